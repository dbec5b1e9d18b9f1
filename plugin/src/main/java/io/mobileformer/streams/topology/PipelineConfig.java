package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.RegistryConfig;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.analytics.CameraAnalytics;
import io.mobileformer.streams.analytics.TrackerSettings;
import io.mobileformer.streams.analytics.ZoneMonitor;
import io.mobileformer.streams.analytics.ZoneRules;
import io.mobileformer.streams.batch.BatchSettings;
import io.mobileformer.streams.config.ConfigFiles;
import io.mobileformer.streams.decode.DecodeLimits;
import io.mobileformer.streams.inference.EngineFactory;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.observe.MetricsSettings;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;

/**
 * Every setting of a detection pipeline, declared once with type, default, validator and documentation. Kafka's own
 * settings (bootstrap.servers, security.protocol, num.stream.threads, ...) pass through unchanged to Kafka Streams;
 * {@link ConfigLoader} rejects any key that is neither.
 *
 * <p>The README's configuration reference is generated from this class ({@code ./mfs config-docs}).
 */
public final class PipelineConfig extends AbstractConfig {

    public static final String INPUT_TOPIC = "input.topic";
    public static final String OUTPUT_TOPIC = "output.topic";
    public static final String DLQ_TOPIC = "dlq.topic";
    public static final String DROPPED_TOPIC = "dropped.topic";
    public static final String TOPICS_CREATE = "topics.create";
    public static final String TOPICS_PARTITIONS = "topics.partitions";
    public static final String TOPICS_REPLICATION = "topics.replication-factor";
    public static final String TOPICS_OUTPUT_RETENTION = "topics.output-retention-ms";

    public static final String INSTANCE_NAME = "instance.name";

    public static final String MODEL_PATH = "model.path";
    public static final String ENGINE = "engine";
    public static final String ENGINE_THREADS = "engine.threads";
    public static final String ENGINE_CALIBRATION_MS = "engine.calibration-ms";
    public static final String CUDA_DEVICE = "engine.cuda.device-id";
    public static final String CUDA_MEMORY_LIMIT = "engine.cuda.memory-limit-bytes";
    public static final String CUDA_ARENA = "engine.cuda.arena-strategy";

    public static final String BATCH_MAX_SIZE = "batch.max-size";
    public static final String BATCH_MAX_DELAY_MS = "batch.max-delay-ms";
    public static final String BATCH_QUEUE_CAPACITY = "batch.queue-capacity";
    public static final String BATCH_FULL_POLICY = "batch.full-policy";

    public static final String DECODE_MAX_PAYLOAD = "decode.max-payload-bytes";
    public static final String DECODE_MAX_PIXELS = "decode.max-pixels";
    public static final String DECODE_MAX_FRAMES = "decode.max-frames-per-segment";
    public static final String DECODE_MAX_MS = "decode.max-decode-ms";
    public static final String DECODE_KEEP_DECODERS = "decode.keep-decoders";

    public static final String SAMPLE_MODE = "sample.mode";
    public static final String SAMPLE_EVERY_N = "sample.every-n";
    public static final String SAMPLE_FPS = "sample.fps";

    public static final String SCORE_THRESHOLD = "detect.score-threshold";
    public static final String MAX_DETECTIONS = "detect.max-detections";

    public static final String TRACKING_ENABLED = "tracking.enabled";
    public static final String TRACKS_TOPIC = "tracks.topic";
    public static final String EVENTS_TOPIC = "events.topic";
    public static final String TRACKING_HIGH_SCORE = "tracking.high-score";
    public static final String TRACKING_NEW_TRACK_SCORE = "tracking.new-track-score";
    public static final String TRACKING_MATCH_IOU = "tracking.match-iou";
    public static final String TRACKING_LOW_MATCH_IOU = "tracking.low-match-iou";
    public static final String TRACKING_MIN_HITS = "tracking.min-hits";
    public static final String TRACKING_MAX_LOST = "tracking.max-lost-frames";
    public static final String TRACKING_CLASS_AWARE = "tracking.class-aware";
    public static final String ZONES_UNITS = "zones.units";
    public static final String ZONES_ANCHOR = "zones.anchor";
    public static final String ZONES_WINDOW_MS = "zones.count-window-ms";
    public static final String ZONES_LINE_MARGIN = "zones.line-margin-pixels";

    public static final String METRICS_PORT = MetricsSettings.PORT;
    public static final String METRICS_BIND = MetricsSettings.BIND;

    /** The pipeline's keys, the metrics endpoint's and the registry's ({@link RegistryConfig}), in one reference. */
    public static final ConfigDef CONFIG = MetricsSettings.define(new ConfigDef(RegistryConfig.CONFIG)
        .define(INPUT_TOPIC, Type.STRING, "frames", Importance.HIGH,
            "Topic of FrameEnvelope records (key: camera id). One pipeline reads one topic.")
        .define(OUTPUT_TOPIC, Type.STRING, "detections", Importance.HIGH,
            "Topic of FrameDetections records: exactly one per sampled frame.")
        .define(DLQ_TOPIC, Type.STRING, "frames.dlq", Importance.HIGH,
            "Dead-letter topic: every input record that could not be analysed, with its original key, value and "
                + "headers, plus mfs.stage, mfs.reason, mfs.error.class and mfs.error.message headers.")
        .define(DROPPED_TOPIC, Type.STRING, "frames.dropped", Importance.MEDIUM,
            "Where frames deliberately skipped under batch.full-policy=drop-oldest are reported (FrameDropped).")
        .define(TOPICS_CREATE, Type.BOOLEAN, true, Importance.MEDIUM,
            "Create missing topics at start. Turn off where the principal may not create topics.")
        .define(TOPICS_PARTITIONS, Type.INT, 4, atLeast(1), Importance.LOW,
            "Partitions of topics created at start; parallelism is bounded by the input topic's partitions.")
        .define(TOPICS_REPLICATION, Type.SHORT, (short) 1, atLeast(1), Importance.LOW,
            "Replication factor of topics created at start (use 3 on a production cluster).")
        .define(TOPICS_OUTPUT_RETENTION, Type.LONG, null, Importance.MEDIUM,
            "retention.ms of the output topics created at start (detections, dead letters, dropped, tracks, events); "
                + "unset: the broker's log.retention.ms. Outputs are stamped with their frame's time, and the broker "
                + "deletes by that stamp, so the outputs of footage replayed from longer ago than the retention "
                + "are deleted at its next retention check: set -1 (keep) when replaying old video. Topics that "
                + "exist are left as they are.")
        .define(INSTANCE_NAME, Type.STRING, "", Importance.HIGH,
            "A name for this instance that survives its restarts (a StatefulSet pod name, a host name). When set, "
                + "the instance is a static member of the group: group.instance.id is this name (Kafka Streams adds "
                + "the thread index), so an instance that crashes and comes back within session.timeout.ms takes its "
                + "partitions back without waiting for the dead member's session to expire, and its "
                + "transactional ids carry the name, so its first transaction fences the dead one's open transaction "
                + "at once instead of waiting for the broker to time it out. Two running instances "
                + "must never share a name (the second is fenced). Empty: dynamic membership. A stop (SIGTERM) "
                + "leaves the group either way, so the others take over at once.")
        .define(MODEL_PATH, Type.STRING, "models/demo.onnx", Importance.HIGH,
            "ONNX model following the model contract (README: Bring your own model). Its name, variant, version and "
                + "SHA-256 are written into every output record.")
        .define(ENGINE, Type.STRING, "auto", ValidString.in("auto", "cuda", "cpu", "java"), Importance.HIGH,
            "auto loads every engine it can (ONNX Runtime CUDA, ONNX Runtime CPU, the pure-Java engine), measures each "
                + "on the model at batch.max-size for up to engine.calibration-ms, and makes the fastest primary and "
                + "the others failover in order of speed: a batch that fails on one engine is retried on the next and "
                + "the failed engine retired. cuda, cpu or java pins one engine (not measured).")
        .define(ENGINE_THREADS, Type.INT, 1, between(1, 256), Importance.MEDIUM,
            "Intra-op threads of the engine. Kept small by default: decoding and Kafka Streams need cores too. "
                + "num.stream.threads (a Kafka Streams key) defaults to the number of cores + 1 here: stream threads "
                + "mostly wait for the batcher, and one more than the cores keeps a batch ready.")
        .define(ENGINE_CALIBRATION_MS, Type.LONG, 2000L, between(0, 60_000), Importance.LOW,
            "How long engine=auto may measure the engines at start, in all (also the Java engine's JIT warm-up): "
                + "CPU time of the measuring thread with engine.threads=1 and no GPU, else wall time. Up to three "
                + "times this while an engine is still getting faster or the JIT is still compiling (a loaded "
                + "machine). 0 "
                + "skips the measurement and keeps the order CUDA, CPU, Java.")
        .define(CUDA_DEVICE, Type.INT, 0, atLeast(0), Importance.LOW, "CUDA device id.")
        .define(CUDA_MEMORY_LIMIT, Type.LONG, 0L, atLeast(0), Importance.LOW,
            "CUDA memory arena limit in bytes (0: no limit).")
        .define(CUDA_ARENA, Type.STRING, "kNextPowerOfTwo", ValidString.in("kNextPowerOfTwo", "kSameAsRequested"),
            Importance.LOW, "CUDA arena growth strategy.")
        .define(BATCH_MAX_SIZE, Type.INT, 8, between(1, 1024), Importance.HIGH,
            "Largest batch sent to the engine. Batches form from concurrent stream threads and from the frames of one "
                + "segment. ONNX Runtime CPU gains ~2x from batch 1 to 8; GPUs want more.")
        .define(BATCH_MAX_DELAY_MS, Type.LONG, 5L, between(0, 60_000), Importance.HIGH,
            "How long the first frame of a batch may wait for others before the batch runs anyway.")
        .define(BATCH_QUEUE_CAPACITY, Type.INT, 64, atLeast(1), Importance.MEDIUM,
            "Frames that may wait for a batch; when full, batch.full-policy applies.")
        .define(BATCH_FULL_POLICY, Type.STRING, "block", ValidString.in("block", "drop-oldest"), Importance.MEDIUM,
            "block: the stream thread waits (backpressure onto Kafka; nothing is lost). drop-oldest: live mode, the "
                + "oldest waiting frame is dropped, counted and reported on dropped.topic.")
        .define(DECODE_MAX_PAYLOAD, Type.INT, 16 * 1024 * 1024, atLeast(1), Importance.MEDIUM,
            "Largest payload decoded; larger records are dead-lettered before parsing. Topics need max.message.bytes "
                + "at least this large.")
        .define(DECODE_MAX_PIXELS, Type.LONG, 3840L * 2160, atLeast(1), Importance.MEDIUM,
            "Largest width x height, checked from the image or stream header before decoding (decompression bombs).")
        .define(DECODE_MAX_FRAMES, Type.INT, 600, atLeast(1), Importance.MEDIUM,
            "Most frames one segment may decode to.")
        .define(DECODE_MAX_MS, Type.LONG, 30_000L, atLeast(1), Importance.MEDIUM,
            "Longest wall time for decoding one record.")
        .define(DECODE_KEEP_DECODERS, Type.BOOLEAN, true, Importance.LOW,
            "Keep each MPEG-TS stream's H.264/H.265 decoder and scaler open across its segments (per task, keyed by "
                + "the segment's parameter sets, 8 at most) instead of opening them per segment: the same "
                + "frames for less CPU (./mfs bench decode --segments-only). false: every segment through JavaCV's "
                + "grabber, as before.")
        .define(SAMPLE_MODE, Type.STRING, "all", ValidString.in("all", "every-nth", "fps", "keyframes"),
            Importance.MEDIUM, "Which frames of a segment are analysed: all, every-nth (sample.every-n), fps "
                + "(sample.fps) or keyframes (the others are not even decoded).")
        .define(SAMPLE_EVERY_N, Type.INT, 1, atLeast(1), Importance.LOW, "N for sample.mode=every-nth.")
        .define(SAMPLE_FPS, Type.DOUBLE, 5.0, atLeast(0.001), Importance.LOW, "Target rate for sample.mode=fps.")
        .define(SCORE_THRESHOLD, Type.DOUBLE, 0.3, between(0.0, 1.0), Importance.MEDIUM,
            "Detections scoring below this are not published.")
        .define(MAX_DETECTIONS, Type.INT, 100, between(1, 10_000), Importance.LOW, "Most detections per frame.")
        .define(TRACKING_ENABLED, Type.BOOLEAN, false, Importance.HIGH,
            "Track objects per camera and watch zone.* and line.* rules: FrameTracks on tracks.topic, TrackEvent on "
                + "events.topic. The tracker and zone state live in a changelogged store and commit with the outputs "
                + "(exactly-once across crashes). Frames must be keyed by camera id.")
        .define(TRACKS_TOPIC, Type.STRING, "tracks", Importance.MEDIUM,
            "Topic of FrameTracks records (tracking.enabled): one per FrameDetections, its detections with track ids.")
        .define(EVENTS_TOPIC, Type.STRING, "events", Importance.MEDIUM,
            "Topic of TrackEvent records (tracking.enabled): zone enter/exit with dwell, line crossings with "
                + "direction, per-zone counts over zones.count-window-ms.")
        .define(TRACKING_HIGH_SCORE, Type.DOUBLE, 0.5, between(0.0, 1.0), Importance.LOW,
            "Detections scoring at least this are matched first, to every track; weaker ones (down to "
                + "detect.score-threshold, so lower that to use them) only keep tracked objects alive (ByteTrack).")
        .define(TRACKING_NEW_TRACK_SCORE, Type.DOUBLE, 0.6, between(0.0, 1.0), Importance.LOW,
            "An unmatched detection must score at least this to start a track.")
        .define(TRACKING_MATCH_IOU, Type.DOUBLE, 0.2, between(0.01, 1.0), Importance.LOW,
            "Least IoU between a track's predicted box and a strong detection to match them. Low, because the motion "
                + "model already predicts where the object went.")
        .define(TRACKING_LOW_MATCH_IOU, Type.DOUBLE, 0.5, between(0.01, 1.0), Importance.LOW,
            "Least IoU for a weak detection to keep a track alive: stricter, weak detections are more often false.")
        .define(TRACKING_MIN_HITS, Type.INT, 2, between(1, 100), Importance.LOW,
            "Consecutive frames a new object must be detected before it gets a track id (on a camera's first frame, "
                + "at once). 2 keeps one-frame false detections from consuming ids and causing events.")
        .define(TRACKING_MAX_LOST, Type.INT, 30, between(0, 100_000), Importance.LOW,
            "Frames a track survives unseen before it ends (its id is kept if it is found again before): ByteTrack's "
                + "buffer of 30 frames, 1 s at 30 fps. An ended track leaves its zones (ZONE_EXIT at its last sighting).")
        .define(TRACKING_CLASS_AWARE, Type.BOOLEAN, true, Importance.LOW,
            "Match detections only to tracks of their own class.")
        .define(ZONES_UNITS, Type.STRING, "normalized", ValidString.in("normalized", "pixels"), Importance.MEDIUM,
            "Units of zone.<camera>.<name> polygons (x,y x,y x,y ...) and line.<camera>.<name> segments (x,y x,y): "
                + "fractions of the frame (0-1, independent of resolution) or source pixels.")
        .define(ZONES_ANCHOR, Type.STRING, "bottom-center", ValidString.in("bottom-center", "center"),
            Importance.MEDIUM, "The point of a track's box that zones contain and lines are crossed by: the bottom "
                + "centre is where a person or vehicle touches the ground, so zones drawn on the floor work.")
        .define(ZONES_WINDOW_MS, Type.LONG, 60_000L, between(1, 86_400_000L), Importance.LOW,
            "Tumbling window of the per-zone counts (ZONE_COUNT events), in frame time.")
        .define(ZONES_LINE_MARGIN, Type.DOUBLE, 2.0, between(0.0, 1000.0), Importance.LOW,
            "A track's side of a line changes only once its anchor is this many pixels past the line, so a box "
                + "jittering on the line does not count as crossings back and forth."));

    /** Where the pipeline's records come from and go to, and whether and how missing topics are created. */
    /** @param outputRetentionMs retention.ms for the outputs created at start, {@code null} for the broker's */
    public record Topics(String input, String output, String deadLetters, String dropped, boolean create,
                         int partitions, short replicationFactor, Long outputRetentionMs) {
    }

    private WireFormat wireFormat;

    /** What the analytics stage does: whether it runs, where it writes, and how it tracks and counts. */
    public record Analytics(boolean enabled, String tracksTopic, String eventsTopic,
                            CameraAnalytics.Settings settings) {
    }

    private final ZoneRules zoneRules;

    /**
     * @param props this class's keys, plus {@code zone.<camera>.<name>} and {@code line.<camera>.<name>} rules
     * @throws ConfigException naming every bad key
     */
    public PipelineConfig(final Map<?, ?> props) {
        super(CONFIG, props, false);
        final List<String> problems = new ArrayList<>();
        final Map<String, Object> rules = new TreeMap<>();
        props.forEach((k, v) -> rules.put(String.valueOf(k), v));
        this.zoneRules = ZoneRules.parse(rules, ZoneRules.Units.parse(getString(ZONES_UNITS)), problems);
        if (!getBoolean(TRACKING_ENABLED) && rules.keySet().stream().anyMatch(ZoneRules::isRuleKey)) {
            problems.add("zone and line rules are set but " + TRACKING_ENABLED + "=false: set it to true, or remove "
                + "them");
        }
        ConfigFiles.failOn(problems);
    }

    /** Every setting at its default: the one place defaults live is {@link #CONFIG}. */
    public static PipelineConfig defaults() {
        return new PipelineConfig(Map.of());
    }

    // Typed settings: the rest of the plugin asks for these and never reads a key itself.

    public Path modelPath() {
        return Path.of(getString(MODEL_PATH));
    }

    public EngineFactory.Settings engineSettings() {
        return new EngineFactory.Settings(getString(ENGINE), getInt(ENGINE_THREADS),
            new OrtEngine.Cuda(getInt(CUDA_DEVICE), getLong(CUDA_MEMORY_LIMIT), getString(CUDA_ARENA)),
            getInt(BATCH_MAX_SIZE), getLong(ENGINE_CALIBRATION_MS));
    }

    public BatchSettings batchSettings() {
        return new BatchSettings(getInt(BATCH_MAX_SIZE), getLong(BATCH_MAX_DELAY_MS) * 1_000_000L,
            getInt(BATCH_QUEUE_CAPACITY), BatchSettings.FullPolicy.parse(getString(BATCH_FULL_POLICY)));
    }

    public DecodeLimits decodeLimits() {
        return new DecodeLimits(getInt(DECODE_MAX_PAYLOAD), getLong(DECODE_MAX_PIXELS), getInt(DECODE_MAX_FRAMES),
            getLong(DECODE_MAX_MS));
    }

    /** Whether MPEG-TS decoders are kept across a stream's segments (decode.keep-decoders). */
    public boolean keepDecoders() {
        return getBoolean(DECODE_KEEP_DECODERS);
    }

    public Sampling sampling() {
        return Sampling.parse(getString(SAMPLE_MODE), getInt(SAMPLE_EVERY_N), getDouble(SAMPLE_FPS));
    }

    /** Detections scoring below this are not published. */
    public float scoreThreshold() {
        return getDouble(SCORE_THRESHOLD).floatValue();
    }

    public int maxDetections() {
        return getInt(MAX_DETECTIONS);
    }

    /** The stable name that makes this instance a static group member; empty for dynamic membership. */
    public java.util.Optional<String> instanceName() {
        final String n = getString(INSTANCE_NAME).trim();
        return n.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(n);
    }

    public Analytics analytics() {
        final TrackerSettings tracker = new TrackerSettings(getDouble(TRACKING_HIGH_SCORE),
            getDouble(TRACKING_NEW_TRACK_SCORE), getDouble(TRACKING_MATCH_IOU), getDouble(TRACKING_LOW_MATCH_IOU),
            getInt(TRACKING_MIN_HITS), getInt(TRACKING_MAX_LOST), getBoolean(TRACKING_CLASS_AWARE));
        final ZoneMonitor.Settings zones = new ZoneMonitor.Settings(ZoneRules.Units.parse(getString(ZONES_UNITS)),
            ZoneMonitor.Anchor.parse(getString(ZONES_ANCHOR)), getLong(ZONES_WINDOW_MS) * 1000,
            getDouble(ZONES_LINE_MARGIN));
        return new Analytics(getBoolean(TRACKING_ENABLED), getString(TRACKS_TOPIC), getString(EVENTS_TOPIC),
            new CameraAnalytics.Settings(tracker, zones, zoneRules));
    }

    /** Where /metrics and the health probes are served (README: Metrics and health). */
    public MetricsSettings metrics() {
        return MetricsSettings.of(this);
    }

    public Topics topics() {
        return new Topics(getString(INPUT_TOPIC), getString(OUTPUT_TOPIC), getString(DLQ_TOPIC),
            getString(DROPPED_TOPIC), getBoolean(TOPICS_CREATE), getInt(TOPICS_PARTITIONS),
            getShort(TOPICS_REPLICATION), getLong(TOPICS_OUTPUT_RETENTION));
    }

    /**
     * How this pipeline frames its Avro records, and the factory of every topic's serde (one per pipeline, so that
     * schema ids are resolved and cached once): the registry wire format when schema.registry.url is set.
     */
    public synchronized WireFormat wireFormat() {
        if (wireFormat == null) {
            wireFormat = WireFormat.of(originals());
        }
        return wireFormat;
    }

    public static void main(final String[] args) {
        System.out.println(markdownReference());
    }

    /** The configuration reference as a Markdown table, generated from {@link #CONFIG}. */
    public static String markdownReference() {
        return ConfigFiles.markdownReference(CONFIG);
    }
}
