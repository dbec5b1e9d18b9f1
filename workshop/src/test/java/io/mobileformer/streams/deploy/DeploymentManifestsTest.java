package io.mobileformer.streams.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.mobileformer.streams.deploy.DeploymentLint.list;
import static io.mobileformer.streams.deploy.DeploymentLint.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kubernetes manifests ({@code docker/k8s/}) and the compose file pass {@link DeploymentLint}, and the lint catches
 * each mistake it exists for: a probe off the health contract or off the metrics port, a variable that names no key, a
 * secret written in plain text, a memory limit below the heap, a configuration file that does not load.
 */
class DeploymentManifestsTest {
    private static final Path K8S = Path.of("docker/k8s");

    @Test
    void theKubernetesManifestsPassTheLint(@TempDir final Path tmp) throws IOException {
        final List<Map<String, Object>> docs = manifests();
        assertEquals(List.of(), new DeploymentLint(Path.of(""), tmp).kubernetes(docs));
        assertEquals(2, docs.stream().filter(d -> "Deployment".equals(d.get("kind"))).count());
    }

    @Test
    void theLintCatchesEachMistake(@TempDir final Path tmp) throws IOException {
        final DeploymentLint lint = new DeploymentLint(Path.of(""), tmp);
        assertProblem(lint, c -> probe(c, "readinessProbe").put("path", "/healthz"), "the contract is /health/ready");
        assertProblem(lint, c -> probe(c, "livenessProbe").put("port", 8080), "probes port 8080");
        assertProblem(lint, c -> c.remove("readinessProbe"), "no readinessProbe");
        assertProblem(lint, c -> env(c).add(Map.of("name", "MFS_BATCH_MAX_SIZ", "value", "8")),
            "MFS_BATCH_MAX_SIZ names no configuration key");
        assertProblem(lint, c -> env(c).add(Map.of("name", "MFS_SASL_JAAS_CONFIG", "value", "x required;")),
            "holds a secret as a plain value");
        assertProblem(lint, c -> env(c).add(Map.of("name", "MFS_BATCH_MAX_SIZE", "value", "0")),
            "its configuration does not load");
        assertProblem(lint, c -> map(map(c.get("resources"), "r").get("limits"), "l").put("memory", "1Gi"),
            "leaves too little beyond the heap");
        assertProblem(lint, c -> map(c.get("securityContext"), "s").put("runAsUser", 0), "runAsUser 0");
    }

    @Test
    void aDuplicateKeyIsAnError() {
        assertThrows(DuplicateKeyException.class, () -> DeploymentLint.parse("a: 1\na: 2\n"));
    }

    @Test
    void theComposeFileUsesOnlyTheProjectsImagesOutsideTheMonitoringProfile() throws IOException {
        final Map<String, Object> compose = DeploymentLint.parse(Files.readString(Path.of("docker/compose.yaml")))
            .get(0);
        final Map<String, Object> services = map(compose.get("services"), "services");
        final List<String> problems = new ArrayList<>();
        services.forEach((name, s) -> {
            final Map<String, Object> svc = map(s, name);
            final String image = String.valueOf(svc.get("image"));
            final boolean ours = image.startsWith("localhost/mobileformer-streams:");
            if (!ours && !list(svc.get("profiles")).contains("monitoring")) {
                problems.add(name + " needs " + image + ", which nobody can build from this repository");
            }
        });
        assertEquals(List.of(), problems);
        for (final String s : List.of("kafka", "detector", "ingest")) {
            assertTrue(services.containsKey(s), s);
        }
        final String health = String.valueOf(map(map(services.get("detector"), "d").get("healthcheck"), "h")
            .get("test"));
        assertTrue(health.contains("/health/ready"), health);
        assertTrue(Files.isRegularFile(Path.of("docker/monitoring/prometheus.yml")));
    }

    private void assertProblem(final DeploymentLint lint, final java.util.function.Consumer<Map<String, Object>> edit,
                               final String expected) throws IOException {
        final List<Map<String, Object>> docs = manifests();
        final Map<String, Object> detector = docs.stream()
            .filter(d -> "Deployment".equals(d.get("kind"))
                && "mfs-detector".equals(map(d.get("metadata"), "m").get("name")))
            .findFirst().orElseThrow();
        final Map<String, Object> pod = map(map(map(detector.get("spec"), "s").get("template"), "t").get("spec"),
            "p");
        edit.accept(map(list(pod.get("containers")).get(0), "c"));
        final List<String> problems = lint.kubernetes(docs);
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected '" + expected + "' in "
            + problems);
    }

    private static Map<String, Object> probe(final Map<String, Object> c, final String kind) {
        return map(map(c.get(kind), kind).get("httpGet"), "httpGet");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> env(final Map<String, Object> c) {
        return (List<Object>) c.get("env");
    }

    private static List<Map<String, Object>> manifests() throws IOException {
        final List<Map<String, Object>> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (final Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                docs.addAll(DeploymentLint.parse(Files.readString(f)));
            }
        }
        return docs;
    }
}
