package io.mobileformer.streams.deploy;

import io.mobileformer.streams.config.ConfigFiles;
import io.mobileformer.streams.ingest.IngestConfig;
import io.mobileformer.streams.topology.ConfigLoader;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks the Kubernetes manifests of {@code docker/k8s/} and {@code docker/compose.yaml} against what the image and
 * the code actually accept: YAML parsed strictly (a duplicate key is an error), probes on the contract
 * ({@code /health/live}, {@code /health/ready} on the port {@code MFS_METRICS_PORT} names), resources, the image's
 * non-root user, every {@code MFS_*} variable naming a real configuration key, secrets never as plain values, and the
 * configuration files each container is started with loaded and validated by the real loaders ({@link ConfigLoader},
 * {@link IngestConfig}) with the container's environment. Returns problems; an empty list is a pass.
 */
final class DeploymentLint {
    static final int IMAGE_UID = 10001;
    /** Variables the image's entry point reads itself (docker/entrypoint.sh). */
    static final Set<String> ENTRYPOINT_ENV = Set.of("MFS_HEAP", "MFS_JAVA_OPTS");
    private static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|JAAS|SECRET|_URL$|TOKEN|KEY$).*");
    private static final Pattern HEAP = Pattern.compile("(\\d+)([mgMG])");

    private final Path repo;
    private final Path scratch;

    DeploymentLint(final Path repo, final Path scratch) {
        this.repo = repo;
        this.scratch = scratch;
    }

    /** Every document of a YAML file; duplicate keys refused. */
    static List<Map<String, Object>> parse(final String yaml) {
        final LoaderOptions o = new LoaderOptions();
        o.setAllowDuplicateKeys(false);
        final List<Map<String, Object>> docs = new ArrayList<>();
        for (final Object d : new Yaml(new SafeConstructor(o)).loadAll(yaml)) {
            if (d != null) {
                docs.add(map(d, "document"));
            }
        }
        return docs;
    }

    /** Problems of a set of Kubernetes documents (all files of a deployment together). */
    List<String> kubernetes(final List<Map<String, Object>> docs) {
        final List<String> problems = new ArrayList<>();
        final Map<String, Map<String, Object>> configMaps = new HashMap<>();
        for (final Map<String, Object> d : docs) {
            if ("ConfigMap".equals(d.get("kind"))) {
                configMaps.put(str(map(d.get("metadata"), "metadata").get("name")), d);
            }
        }
        int deployments = 0;
        for (final Map<String, Object> d : docs) {
            final String kind = str(d.get("kind"));
            if (d.get("apiVersion") == null || kind == null) {
                problems.add("a document without apiVersion or kind");
                continue;
            }
            if (kind.equals("Deployment")) {
                deployments++;
                deployment(d, configMaps, problems);
            }
        }
        if (deployments == 0) {
            problems.add("no Deployment");
        }
        return problems;
    }

    private void deployment(final Map<String, Object> d, final Map<String, Map<String, Object>> configMaps,
                            final List<String> problems) {
        final String name = str(map(d.get("metadata"), "metadata").get("name"));
        final Map<String, Object> spec = map(d.get("spec"), name + ".spec");
        final Map<String, Object> template = map(spec.get("template"), name + ".spec.template");
        final Map<String, Object> labels = map(map(template.get("metadata"), "metadata").get("labels"), "labels");
        final Map<String, Object> selector = map(map(spec.get("selector"), "selector").get("matchLabels"),
            "matchLabels");
        selector.forEach((k, v) -> {
            if (!Objects.equals(labels.get(k), v)) {
                problems.add(name + ": selector " + k + "=" + v + " does not match the pod labels " + labels);
            }
        });
        final Map<String, Object> pod = map(template.get("spec"), name + " pod spec");
        final Map<String, Object> podSecurity = map(pod.getOrDefault("securityContext", Map.of()), "securityContext");
        final Map<String, Map<String, Object>> volumes = new HashMap<>();
        for (final Object v : list(pod.get("volumes"))) {
            volumes.put(str(map(v, "volume").get("name")), map(v, "volume"));
        }
        for (final Object c : list(pod.get("containers"))) {
            container(name, map(c, "container"), podSecurity, volumes, configMaps, problems);
        }
    }

    private void container(final String deployment, final Map<String, Object> c, final Map<String, Object> podSecurity,
                           final Map<String, Map<String, Object>> volumes,
                           final Map<String, Map<String, Object>> configMaps, final List<String> problems) {
        final String where = deployment + "/" + c.get("name");
        final String image = str(c.get("image"));
        if (image == null || !image.contains("mobileformer-streams:")) {
            problems.add(where + ": image " + image + " is not this project's image");
        }
        final List<String> args = list(c.get("args")).stream().map(String::valueOf).toList();
        final String role = args.isEmpty() ? "run" : args.get(0);
        if (!Set.of("run", "ingest").contains(role)) {
            problems.add(where + ": the entry point runs run or ingest, not " + role);
        }
        // environment: known keys only, secrets only from Secrets
        final Map<String, String> env = new LinkedHashMap<>();
        final Set<String> fromSecrets = new TreeSet<>();
        for (final Object o : list(c.get("env"))) {
            final Map<String, Object> e = map(o, "env");
            final String n = str(e.get("name"));
            if (e.containsKey("value")) {
                env.put(n, String.valueOf(e.get("value")));
                if (SECRET_NAME.matcher(n).matches()) {
                    problems.add(where + ": " + n + " holds a secret as a plain value; use a secretKeyRef");
                }
            } else if (e.get("valueFrom") != null && map(e.get("valueFrom"), "valueFrom").containsKey("secretKeyRef")) {
                fromSecrets.add(n);
            } else {
                problems.add(where + ": " + n + " has neither a value nor a secretKeyRef");
            }
        }
        // metrics port, probes on the health contract
        final String metricsPort = env.get(ConfigFiles.envName("metrics.port"));
        if (metricsPort == null || metricsPort.equals("0")) {
            problems.add(where + ": MFS_METRICS_PORT is not set, so nothing serves /health/* to probe");
        }
        final Map<String, String> portNames = new HashMap<>();
        for (final Object o : list(c.get("ports"))) {
            final Map<String, Object> p = map(o, "port");
            portNames.put(String.valueOf(p.get("containerPort")), String.valueOf(p.get("containerPort")));
            if (p.get("name") != null) {
                portNames.put(str(p.get("name")), String.valueOf(p.get("containerPort")));
            }
        }
        probe(where, c, "livenessProbe", "/health/live", metricsPort, portNames, problems);
        probe(where, c, "readinessProbe", "/health/ready", metricsPort, portNames, problems);
        if (c.get("startupProbe") != null) {
            probe(where, c, "startupProbe", "/health/live", metricsPort, portNames, problems);
        }
        resources(where, c, env.get("MFS_HEAP"), problems);
        security(where, c, podSecurity, problems);
        // the configuration the container starts with, loaded by the real loaders with its environment
        final Map<String, String> mounted = mountedFiles(where, c, volumes, configMaps, problems);
        final List<Path> files = new ArrayList<>();
        for (int i = 1; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--config") || args.get(i).equals("--pipeline")) {
                files.add(resolve(where, args.get(i + 1), mounted, problems));
            }
        }
        final Map<String, String> loaderEnv = new HashMap<>(env);
        fromSecrets.forEach(n -> loaderEnv.put(n, n.endsWith("_URL") ? "rtsp://secret.invalid/stream" : "secret"));
        try {
            final Set<String> known = new TreeSet<>(ENTRYPOINT_ENV);
            if (role.equals("ingest")) {
                final IngestConfig cfg = IngestConfig.load(files, loaderEnv);
                ingestKeys(cfg.cameraIds()).forEach(k -> known.add(ConfigFiles.envName(k)));
            } else {
                ConfigLoader.load(files, loaderEnv);
                ConfigLoader.knownKeys().forEach(k -> known.add(ConfigFiles.envName(k)));
            }
            for (final String n : loaderEnv.keySet()) {
                if (!known.contains(n)) {
                    problems.add(where + ": " + n + " names no configuration key of " + role);
                }
            }
        } catch (final Exception e) {
            problems.add(where + ": its configuration does not load: " + e.getMessage());
        }
    }

    private static Set<String> ingestKeys(final List<String> cameras) {
        final Set<String> keys = new TreeSet<>(IngestConfig.CONFIG.names());
        for (final String k : ProducerConfig.configNames()) {
            keys.add(k);
            keys.add("producer." + k);
        }
        for (final String id : cameras) {
            keys.add(IngestConfig.cameraKey(id, IngestConfig.CAMERA_URL_SUFFIX));
            keys.add(IngestConfig.cameraKey(id, IngestConfig.CAMERA_MODE_SUFFIX));
        }
        return keys;
    }

    private static void probe(final String where, final Map<String, Object> c, final String kind, final String path,
                              final String metricsPort, final Map<String, String> portNames,
                              final List<String> problems) {
        if (c.get(kind) == null) {
            problems.add(where + ": no " + kind);
            return;
        }
        final Map<String, Object> get = map(map(c.get(kind), kind).get("httpGet"), kind + ".httpGet");
        if (!path.equals(get.get("path"))) {
            problems.add(where + ": " + kind + " asks " + get.get("path") + ", the contract is " + path);
        }
        final String port = portNames.get(String.valueOf(get.get("port")));
        if (port == null || !port.equals(metricsPort)) {
            problems.add(where + ": " + kind + " probes port " + get.get("port") + " (" + port
                + "), but the endpoint listens on MFS_METRICS_PORT=" + metricsPort);
        }
    }

    private static void resources(final String where, final Map<String, Object> c, final String heap,
                                  final List<String> problems) {
        final Map<String, Object> r = map(c.getOrDefault("resources", Map.of()), "resources");
        for (final String level : List.of("requests", "limits")) {
            final Map<String, Object> m = map(r.getOrDefault(level, Map.of()), level);
            if (m.get("cpu") == null || m.get("memory") == null) {
                problems.add(where + ": resources." + level + " needs cpu and memory");
            }
        }
        final Object limit = map(r.getOrDefault("limits", Map.of()), "limits").get("memory");
        if (heap != null && limit != null && mebibytes(String.valueOf(limit)) < mebibytes(heap) * 3 / 2) {
            problems.add(where + ": memory limit " + limit + " leaves too little beyond the heap " + heap
                + " for ONNX Runtime and FFmpeg (at least heap x 1.5)");
        }
    }

    private static long mebibytes(final String q) {
        final Pattern k8s = Pattern.compile("(\\d+)(Mi|Gi|M|G)");
        final var m = k8s.matcher(q);
        if (m.matches()) {
            final long n = Long.parseLong(m.group(1));
            return m.group(2).startsWith("G") ? n * 1024 : n;
        }
        final var h = HEAP.matcher(q);
        if (h.matches()) {
            final long n = Long.parseLong(h.group(1));
            return h.group(2).equalsIgnoreCase("g") ? n * 1024 : n;
        }
        return -1;
    }

    private static void security(final String where, final Map<String, Object> c, final Map<String, Object> pod,
                                 final List<String> problems) {
        final Map<String, Object> s = new HashMap<>(pod);
        s.putAll(map(c.getOrDefault("securityContext", Map.of()), "securityContext"));
        if (!Boolean.TRUE.equals(s.get("runAsNonRoot"))) {
            problems.add(where + ": runAsNonRoot is not true");
        }
        if (s.get("runAsUser") != null && !Integer.valueOf(IMAGE_UID).equals(s.get("runAsUser"))) {
            problems.add(where + ": runAsUser " + s.get("runAsUser") + " is not the image's user " + IMAGE_UID
                + " (its writable folders belong to it)");
        }
        if (Boolean.TRUE.equals(s.get("readOnlyRootFilesystem"))) {
            final Set<String> mounts = new TreeSet<>();
            list(c.get("volumeMounts")).forEach(m -> mounts.add(str(map(m, "volumeMount").get("mountPath"))));
            for (final String needed : List.of("/opt/mfs/tmp", "/opt/mfs/.javacpp")) {
                if (!mounts.contains(needed)) {
                    problems.add(where + ": a read-only root file system needs a writable volume at " + needed);
                }
            }
        }
    }

    /** Mount path of each file the container's ConfigMap volumes provide, to its content. */
    private static Map<String, String> mountedFiles(final String where, final Map<String, Object> c,
                                                    final Map<String, Map<String, Object>> volumes,
                                                    final Map<String, Map<String, Object>> configMaps,
                                                    final List<String> problems) {
        final Map<String, String> files = new HashMap<>();
        for (final Object o : list(c.get("volumeMounts"))) {
            final Map<String, Object> m = map(o, "volumeMount");
            final Map<String, Object> v = volumes.get(str(m.get("name")));
            if (v == null) {
                problems.add(where + ": mounts volume " + m.get("name") + ", which the pod does not declare");
                continue;
            }
            if (v.get("configMap") != null) {
                final String cm = str(map(v.get("configMap"), "configMap").get("name"));
                final Map<String, Object> doc = configMaps.get(cm);
                if (doc == null) {
                    problems.add(where + ": ConfigMap " + cm + " is not among the manifests");
                    continue;
                }
                map(doc.get("data"), cm + ".data").forEach((k, val) ->
                    files.put(m.get("mountPath") + "/" + k, String.valueOf(val)));
            }
        }
        return files;
    }

    /** A file named on the command line: mounted from a ConfigMap, or else inside the image (the repository). */
    private Path resolve(final String where, final String arg, final Map<String, String> mounted,
                         final List<String> problems) {
        try {
            if (mounted.containsKey(arg)) {
                final Path p = Files.createTempFile(scratch, "mounted-", ".properties");
                Files.writeString(p, mounted.get(arg));
                return p;
            }
            if (arg.startsWith("/")) {
                problems.add(where + ": " + arg + " is neither mounted nor in the image");
                return Path.of(arg);
            }
            return repo.resolve(arg);
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(final Object o, final String what) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(what + " is not a mapping: " + o);
        }
        return (Map<String, Object>) o;
    }

    static List<?> list(final Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    static String str(final Object o) {
        return o == null ? null : String.valueOf(o);
    }
}
