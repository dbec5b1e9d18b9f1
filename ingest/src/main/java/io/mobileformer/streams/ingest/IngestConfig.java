package io.mobileformer.streams.ingest;

import io.mobileformer.streams.avro.RegistryConfig;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.config.ConfigFiles;
import io.mobileformer.streams.observe.MetricsSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;

/**
 * Every setting of {@code ./mfs ingest}, declared once with type, default, validator and documentation.
 *
 * <p>Three kinds of keys: the ones in {@link #CONFIG}; per-camera keys {@code camera.<id>.url} (required) and
 * {@code camera.<id>.mode} (optional) for each id in {@code cameras}; and Kafka producer settings, plain
 * ({@code bootstrap.servers}, {@code security.protocol}, {@code sasl.jaas.config}, ...) or with a {@code producer.}
 * prefix, which wins. Anything else is refused by name. Environment variables override any of them: {@code MFS_} and
 * the key upper-cased with dots and dashes as underscores ({@code MFS_CAMERA_FRONT_URL} keeps a camera password out of
 * the file).
 *
 * <p>The producer is always idempotent with {@code acks=all}: a retried send after a broker hiccup must not duplicate
 * a segment, and a segment acknowledged by one replica only can vanish in a failover. Settings that would weaken this
 * are refused, not silently overridden.
 */
public final class IngestConfig extends AbstractConfig {

    public static final String CAMERAS = "cameras";
    public static final String CAMERA_PREFIX = "camera.";
    public static final String CAMERA_URL_SUFFIX = ".url";
    public static final String CAMERA_MODE_SUFFIX = ".mode";
    public static final String TOPIC = "topic";
    public static final String MODE = "mode";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String SEGMENT_CONTAINER = "segment.container";
    public static final String SEGMENT_MAX_BYTES = "segment.max-bytes";
    public static final String JPEG_FPS = "jpeg.fps";
    public static final String JPEG_QUALITY = "jpeg.quality";
    public static final String SOURCE_SCHEMES = "source.schemes";
    public static final String SOURCE_FILE_ROOT = "source.file.root";
    public static final String SOURCE_FILE_LOOP = "source.file.loop";
    public static final String SOURCE_FILE_REALTIME = "source.file.realtime";
    public static final String SOURCE_RTSP_TRANSPORT = "source.rtsp.transport";
    public static final String SOURCE_IO_TIMEOUT_MS = "source.io-timeout-ms";
    public static final String SOURCE_STALL_TIMEOUT_MS = "source.stall-timeout-ms";
    public static final String SOURCE_BACKOFF_BASE_MS = "source.backoff.base-ms";
    public static final String SOURCE_BACKOFF_MAX_MS = "source.backoff.max-ms";
    public static final String SOURCE_AUTH_BACKOFF_BASE_MS = "source.auth-backoff.base-ms";
    public static final String SOURCE_AUTH_BACKOFF_MAX_MS = "source.auth-backoff.max-ms";
    public static final String SOURCE_MAX_ATTEMPTS = "source.max-attempts";
    public static final String HEALTH_LOG_INTERVAL_MS = "health.log-interval-ms";
    public static final String SEQUENCE_ORIGIN = "sequence.origin";

    public static final String PRODUCER_PREFIX = "producer.";

    /** Producer settings applied unless the configuration says otherwise. */
    static final Map<String, Object> PRODUCER_DEFAULTS = Map.of(
        // a 1080p segment of a few seconds is 1-4 MB; this matches decode.max-payload-bytes' default
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024,
        ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024,
        // segments and JPEGs are compressed already
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "none",
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.CLIENT_ID_CONFIG, "mfs-ingest");

    /** Room for the envelope's other fields and Kafka's record and batch headers around a payload. */
    static final int RECORD_OVERHEAD = 64 * 1024;

    private static final Pattern CAMERA_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public static final ConfigDef CONFIG = MetricsSettings.define(new ConfigDef(RegistryConfig.CONFIG)
        .define(CAMERAS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, new CameraIds(), Importance.HIGH,
            "Camera ids, comma-separated. Each id is the Kafka record key of its records (ordering is per camera) and "
                + "needs camera.<id>.url; camera.<id>.mode overrides mode for that camera.")
        .define(TOPIC, Type.STRING, "frames", new ConfigDef.NonEmptyString(), Importance.HIGH,
            "Topic the FrameEnvelope records go to (the detection pipeline's input.topic). Its max.message.bytes must "
                + "hold a segment (see segment.max-bytes).")
        .define(MODE, Type.STRING, "segments", ValidString.in("segments", "jpeg"), Importance.HIGH,
            "segments: GOP-aligned video segments remuxed without re-encoding (packet copy, cut at key frames): the "
                + "cheapest for the camera host and lossless. jpeg: frames decoded and sampled at jpeg.fps, each "
                + "published as a JPEG: for low-rate analysis or consumers that cannot decode video.")
        .define(SEGMENT_MS, Type.LONG, 2000L, between(100, 600_000), Importance.MEDIUM,
            "Target segment length. A segment is cut at the first key frame at or after this much video, so its real "
                + "length is a multiple of the camera's GOP (a camera with a 4 s GOP gives 4 s segments). Shorter "
                + "segments lower latency; each costs one record and one demuxer start downstream.")
        .define(SEGMENT_CONTAINER, Type.STRING, "mpegts", ValidString.in("mpegts", "matroska", "mp4"),
            Importance.LOW, "Container of segments: mpegts (video/mp2t, robust to truncation, the default), matroska "
                + "(video/x-matroska) or mp4 (fragmented, video/mp4).")
        .define(SEGMENT_MAX_BYTES, Type.INT, 8 * 1024 * 1024, atLeast(64 * 1024), Importance.LOW,
            "A segment that grows this large before the next key frame is published as it is, and packets are then "
                + "skipped until the next key frame (a segment must start with one). Guards against cameras with very "
                + "long GOPs; keep it under the producer's max.request.size and the topic's max.message.bytes.")
        .define(JPEG_FPS, Type.DOUBLE, 1.0, between(0.001, 120), Importance.MEDIUM,
            "Frames per second published in mode=jpeg, chosen by presentation time (every frame is still decoded: "
                + "inter-coded video cannot skip frames).")
        .define(JPEG_QUALITY, Type.INT, 4, between(2, 31), Importance.LOW,
            "JPEG quantizer in mode=jpeg: 2 is best and largest, 31 worst; 4 keeps detector accuracy at about a third "
                + "of the size of 2.")
        .define(SOURCE_SCHEMES, Type.LIST, "rtsp,rtsps,https,file", ConfigDef.ValidList.in(false, "rtsp", "rtsps",
                "http", "https", "file"), Importance.HIGH,
            "Source schemes that may be opened (a camera URL with any other scheme is refused at start). Supported: "
                + "rtsp, rtsps, http, https, file. http is off by default: credentials and video would cross the "
                + "network in clear text.")
        .define(SOURCE_FILE_ROOT, Type.STRING, "", Importance.MEDIUM,
            "Directory under which file sources are read. A file camera whose path resolves outside it (through .. "
                + "or a symbolic link) is refused; empty refuses every file camera.")
        .define(SOURCE_FILE_LOOP, Type.BOOLEAN, false, Importance.LOW,
            "Restart a file source from the beginning when it ends (a recorded clip as an endless camera); otherwise "
                + "the camera is finished.")
        .define(SOURCE_FILE_REALTIME, Type.BOOLEAN, true, Importance.LOW,
            "Read file sources at their own frame rate, like a camera; false reads them as fast as possible (bulk "
                + "import).")
        .define(SOURCE_RTSP_TRANSPORT, Type.STRING, "tcp", ValidString.in("tcp", "udp", "udp_multicast", "http",
            "https"), Importance.MEDIUM, "RTSP lower transport. tcp (interleaved) survives NAT and firewalls and "
            + "loses no packets; udp has lower latency on a clean LAN but turns loss into broken frames.")
        .define(SOURCE_IO_TIMEOUT_MS, Type.LONG, 10_000L, between(100, 600_000), Importance.MEDIUM,
            "Socket timeout while connecting to and reading from a network source (FFmpeg's timeout/rw_timeout), and "
                + "once a camera streams, the longest it may go without new video before it is dropped and "
                + "reconnected, whatever else trickles in (RTCP, keep-alives, late or repeated packets).")
        .define(SOURCE_STALL_TIMEOUT_MS, Type.LONG, 15_000L, between(100, 3_600_000), Importance.MEDIUM,
            "The longest a connection attempt may go without video: connecting, the RTSP handshake and FFmpeg's "
                + "probe of the stream. Once streaming, source.io-timeout-ms applies if shorter (the 'no frames "
                + "received' state that otherwise needs a manual restart).")
        .define(SOURCE_BACKOFF_BASE_MS, Type.LONG, 500L, between(1, 3_600_000), Importance.MEDIUM,
            "Cap of the first wait before reconnecting; each failure in a row doubles the cap up to "
                + "source.backoff.max-ms, and the wait is uniform between 0 and the cap (full jitter, so cameras that "
                + "dropped together do not reconnect in lockstep).")
        .define(SOURCE_BACKOFF_MAX_MS, Type.LONG, 30_000L, between(1, 3_600_000), Importance.MEDIUM,
            "Largest cap of the reconnect wait.")
        .define(SOURCE_AUTH_BACKOFF_BASE_MS, Type.LONG, 60_000L, between(1, 86_400_000), Importance.MEDIUM,
            "Wait before retrying a camera that refused the credentials (RTSP/HTTP 401 or 403): such a failure is not "
                + "retried at the network pace, because cameras lock an account after a few failed logins. Each "
                + "refusal in a row doubles the cap up to source.auth-backoff.max-ms, and the wait is uniform between "
                + "half the cap and the cap (never short). With the defaults a camera is tried at most 5 times in ten "
                + "minutes. The camera's state is auth_failed meanwhile.")
        .define(SOURCE_AUTH_BACKOFF_MAX_MS, Type.LONG, 900_000L, between(1, 86_400_000), Importance.MEDIUM,
            "Largest cap of the wait after refused credentials (default 15 minutes).")
        .define(SOURCE_MAX_ATTEMPTS, Type.INT, -1, atLeast(-1), Importance.LOW,
            "Failed attempts in a row after which a camera is marked failed and no longer retried; -1 retries forever "
                + "(cameras come back after power cuts and firmware updates).")
        .define(HEALTH_LOG_INTERVAL_MS, Type.LONG, 30_000L, atLeast(0), Importance.LOW,
            "Interval of the per-camera health log line (state, time since the last frame, successful reconnects, "
                + "failed attempts, refused logins, last connect time, records and bytes sent, last error); 0 turns it "
                + "off. The same values are JMX metrics (mobileformer.ingest:type=camera-health) and, with metrics.port set, "
                + "mfs_ingest_camera_* on /metrics.")
        .define(SEQUENCE_ORIGIN, Type.STRING, "epoch-micros", ValidString.in("epoch-micros", "zero"),
            Importance.LOW, "First per-camera sequence number. epoch-micros starts at the start time in microseconds, "
                + "so sequences keep growing across restarts without stored state (a camera never sends a million "
                + "records a second); zero starts at 0, for tests."));

    /** Camera ids: at least one, each usable as a record key and inside {@code camera.<id>.*} keys. */
    private static final class CameraIds implements ConfigDef.Validator {
        @Override
        public void ensureValid(final String name, final Object value) {
            @SuppressWarnings("unchecked") final List<String> ids = (List<String>) value;
            if (ids == null || ids.isEmpty()) {
                throw new ConfigException(name, value, "list at least one camera id");
            }
            for (final String id : ids) {
                if (!CAMERA_ID.matcher(id).matches()) {
                    throw new ConfigException(name, value, "camera id '" + id + "' must be 1-64 letters, digits, "
                        + "'-' or '_' (it is the Kafka record key and part of camera.<id>.* keys)");
                }
            }
        }

        @Override
        public String toString() {
            return "one or more ids of 1-64 letters, digits, '-', '_'";
        }
    }

    private final Map<String, String> cameraUrls;
    private final Map<String, String> cameraModes;
    private final Map<String, Object> producer;

    private IngestConfig(final Map<String, String> props) {
        super(CONFIG, ours(props), false);
        final List<String> problems = new ArrayList<>();
        this.cameraUrls = new LinkedHashMap<>();
        this.cameraModes = new LinkedHashMap<>();
        final Set<String> ids = new TreeSet<>(getList(CAMERAS));
        for (final String id : getList(CAMERAS)) {
            final String url = props.get(cameraKey(id, CAMERA_URL_SUFFIX));
            if (url == null || url.isBlank()) {
                problems.add("camera '" + id + "' has no " + cameraKey(id, CAMERA_URL_SUFFIX) + " (or "
                    + ConfigFiles.envName(cameraKey(id, CAMERA_URL_SUFFIX)) + ")");
            } else {
                cameraUrls.put(id, url);
            }
            final String mode = props.get(cameraKey(id, CAMERA_MODE_SUFFIX));
            if (mode != null && !mode.equals("segments") && !mode.equals("jpeg")) {
                problems.add(cameraKey(id, CAMERA_MODE_SUFFIX) + "=" + mode + " must be segments or jpeg");
            }
            cameraModes.put(id, mode == null ? getString(MODE) : mode);
        }
        final Set<String> known = knownStaticKeys();
        for (final String k : props.keySet()) {
            if (k.startsWith(CAMERA_PREFIX)) {
                final String rest = k.substring(CAMERA_PREFIX.length());
                final int dot = rest.lastIndexOf('.');
                final String id = dot < 0 ? rest : rest.substring(0, dot);
                final String suffix = dot < 0 ? "" : rest.substring(dot);
                if (!ids.contains(id)) {
                    problems.add("key '" + k + "' is for camera '" + id + "', which is not listed in " + CAMERAS);
                } else if (!suffix.equals(CAMERA_URL_SUFFIX) && !suffix.equals(CAMERA_MODE_SUFFIX)) {
                    problems.add("unknown camera key '" + k + "': cameras have only .url and .mode");
                }
            } else if (!known.contains(k) && !isProducerKey(k)) {
                problems.add(ConfigFiles.unknownKey(k, known));
            }
        }
        if (getLong(SOURCE_BACKOFF_MAX_MS) < getLong(SOURCE_BACKOFF_BASE_MS)) {
            problems.add(SOURCE_BACKOFF_MAX_MS + " must be at least " + SOURCE_BACKOFF_BASE_MS);
        }
        if (getLong(SOURCE_AUTH_BACKOFF_MAX_MS) < getLong(SOURCE_AUTH_BACKOFF_BASE_MS)) {
            problems.add(SOURCE_AUTH_BACKOFF_MAX_MS + " must be at least " + SOURCE_AUTH_BACKOFF_BASE_MS);
        }
        this.producer = producerProps(props, getInt(SEGMENT_MAX_BYTES), problems);
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid ingest configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** Parses and checks a complete set of properties (files already merged with the environment). */
    public static IngestConfig of(final Map<String, String> props) {
        return new IngestConfig(props);
    }

    /** Reads configuration files, applies {@code MFS_*} environment overrides, and checks everything. */
    public static IngestConfig load(final List<Path> files, final Map<String, String> env) throws IOException {
        final Map<String, String> props = ConfigFiles.read(files);
        final Set<String> overridable = new TreeSet<>(knownStaticKeys());
        for (final String k : ProducerConfig.configNames()) {
            overridable.add(PRODUCER_PREFIX + k);
        }
        ConfigFiles.applyEnv(props, overridable, env);
        // camera keys depend on the camera list, which the environment may itself have set
        final String ids = props.get(CAMERAS);
        if (ids != null) {
            final List<String> cameraKeys = new ArrayList<>();
            for (final String id : ids.split(",")) {
                cameraKeys.add(cameraKey(id.trim(), CAMERA_URL_SUFFIX));
                cameraKeys.add(cameraKey(id.trim(), CAMERA_MODE_SUFFIX));
            }
            ConfigFiles.applyEnv(props, cameraKeys, env);
        }
        return new IngestConfig(props);
    }

    /**
     * The settings reference of {@code ./mfs ingest --config-docs} (Markdown): the {@link #CONFIG} keys, generated
     * from their definitions, and the keys that are not in it because their names vary (per camera) or belong to
     * Kafka's producer, sorted together.
     */
    public static String markdownReference() {
        final String generated = ConfigFiles.markdownReference(CONFIG);
        final int body = generated.indexOf('\n', generated.indexOf('\n') + 1) + 1;
        final List<String> rows = new ArrayList<>(generated.substring(body).lines().toList());
        rows.add("| `bootstrap.servers` | list | required | host:port,... | Kafka brokers to publish to (Kafka's "
            + "producer setting, the only one required). Every other producer setting passes through, plain "
            + "(`security.protocol`, `sasl.jaas.config`, `ssl.truststore.location`, ...) or with a `producer.` prefix, "
            + "which wins; `enable.idempotence=true` and `acks=all` are enforced: a retried send must neither "
            + "duplicate nor lose a segment. |");
        rows.add("| `camera.<id>.url` | string | required | rtsp://, rtsps://, http(s)://, file: (see `source.schemes`) "
            + "| Source of camera `<id>` (one per id in `cameras`). Credentials go in the URL "
            + "(`rtsp://user:password@host:554/path`); keep them out of the file with the environment: "
            + "`MFS_CAMERA_<ID>_URL` (id upper-cased, dashes as underscores). They are masked in every log line, "
            + "error and health record. |");
        rows.add("| `camera.<id>.mode` | string | `mode` | segments, jpeg | Overrides `mode` for camera `<id>`. |");
        rows.sort(null);
        return generated.substring(0, body) + String.join("\n", rows) + "\n";
    }

    public static String cameraKey(final String id, final String suffix) {
        return CAMERA_PREFIX + id + suffix;
    }

    /** Camera id to its configured URL (credentials included: never log these values). */
    public Map<String, String> cameraUrls() {
        return Map.copyOf(cameraUrls);
    }

    /** segments or jpeg, per camera. */
    public String cameraMode(final String id) {
        return cameraModes.get(id);
    }

    public List<String> cameraIds() {
        return getList(CAMERAS);
    }

    /** Properties for the Kafka producer: defaults, then the configuration's, then the enforced ones. */
    public Map<String, Object> producerProps() {
        return Map.copyOf(producer);
    }

    /**
     * How frames records are framed: the registry wire format under {@code <topic>-value} when
     * {@code schema.registry.url} is set (what Kafka Connect, ksqlDB and the registry-aware clients read), Avro
     * single-object encoding otherwise; the detector reads either. A new instance, with its own registry client: the
     * caller closes it.
     */
    public WireFormat wireFormat() {
        return WireFormat.of(originals());
    }

    /** Where /metrics and the health probes are served (README: Metrics and health). */
    public MetricsSettings metrics() {
        return MetricsSettings.of(this);
    }

    public SourcePolicy sourcePolicy() {
        return new SourcePolicy(getList(SOURCE_SCHEMES), getString(SOURCE_FILE_ROOT));
    }

    private static Map<String, String> ours(final Map<String, String> props) {
        final Map<String, String> out = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (CONFIG.names().contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static Set<String> knownStaticKeys() {
        final Set<String> s = new TreeSet<>(CONFIG.names());
        s.addAll(ProducerConfig.configNames());
        return s;
    }

    private static boolean isProducerKey(final String k) {
        return ProducerConfig.configNames().contains(k)
            || k.startsWith(PRODUCER_PREFIX) && ProducerConfig.configNames().contains(k.substring(
            PRODUCER_PREFIX.length()));
    }

    private static Map<String, Object> producerProps(final Map<String, String> props, final int maxSegmentBytes,
                                                     final List<String> problems) {
        final Map<String, Object> p = new LinkedHashMap<>(PRODUCER_DEFAULTS);
        props.forEach((k, v) -> {
            if (ProducerConfig.configNames().contains(k) && !CONFIG.names().contains(k)) {
                p.put(k, v);
            }
        });
        props.forEach((k, v) -> {
            if (k.startsWith(PRODUCER_PREFIX) && isProducerKey(k)) {
                p.put(k.substring(PRODUCER_PREFIX.length()), v);
            }
        });
        try {
            final long maxRequest = Long.parseLong(String.valueOf(p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG))
                .trim());
            if ((long) maxSegmentBytes + RECORD_OVERHEAD > maxRequest) {
                problems.add(SEGMENT_MAX_BYTES + "=" + maxSegmentBytes + " does not fit in the producer's "
                    + "max.request.size=" + maxRequest + " (with " + RECORD_OVERHEAD + " bytes for the envelope); "
                    + "lower " + SEGMENT_MAX_BYTES + " or raise producer.max.request.size (and the topic's "
                    + "max.message.bytes)");
            }
        } catch (final NumberFormatException e) {
            problems.add("max.request.size must be a number of bytes");
        }
        if (!p.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
            problems.add("bootstrap.servers is not set: the Kafka cluster to publish to (e.g. "
                + "bootstrap.servers=kafka:9092, or MFS_BOOTSTRAP_SERVERS)");
        }
        requireValue(p, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true", problems);
        requireValue(p, ProducerConfig.ACKS_CONFIG, "all", problems);
        for (final String serializer : List.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ProducerConfig.TRANSACTIONAL_ID_CONFIG)) {
            if (p.containsKey(serializer)) {
                problems.add(serializer + " is set by ingest itself; remove it");
            }
        }
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    private static void requireValue(final Map<String, Object> p, final String key, final String required,
                                     final List<String> problems) {
        final Object v = p.get(key);
        if (v != null && !String.valueOf(v).trim().toLowerCase(Locale.ROOT).equals(required)
            && !(key.equals(ProducerConfig.ACKS_CONFIG) && String.valueOf(v).trim().equals("-1"))) {
            problems.add(key + "=" + v + " is refused: ingest needs " + key + "=" + required + " so that a retried "
                + "send neither duplicates nor loses a segment; remove the setting");
        }
    }
}
