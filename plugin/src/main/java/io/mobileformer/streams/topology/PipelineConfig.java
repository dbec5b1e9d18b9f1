package io.mobileformer.streams.topology;

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

import java.nio.file.Path;
import java.util.Map;

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

    public static final String MODEL_PATH = "model.path";
    public static final String ENGINE = "engine";
    public static final String ENGINE_THREADS = "engine.threads";
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

    public static final String SAMPLE_MODE = "sample.mode";
    public static final String SAMPLE_EVERY_N = "sample.every-n";
    public static final String SAMPLE_FPS = "sample.fps";

    public static final String SCORE_THRESHOLD = "detect.score-threshold";
    public static final String MAX_DETECTIONS = "detect.max-detections";

    public static final String METRICS_PORT = MetricsSettings.PORT;
    public static final String METRICS_BIND = MetricsSettings.BIND;

    public static final ConfigDef CONFIG = MetricsSettings.define(new ConfigDef()
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
        .define(MODEL_PATH, Type.STRING, "models/demo.onnx", Importance.HIGH,
            "ONNX model following the model contract (README: Bring your own model). Its name, variant, version and "
                + "SHA-256 are written into every output record.")
        .define(ENGINE, Type.STRING, "auto", ValidString.in("auto", "cuda", "cpu", "java"), Importance.HIGH,
            "auto tries ONNX Runtime CUDA, then ONNX Runtime CPU, then the pure-Java engine; a batch that fails on one "
                + "engine is retried on the next and the failed engine retired. cuda, cpu or java pins one engine.")
        .define(ENGINE_THREADS, Type.INT, 1, between(1, 256), Importance.MEDIUM,
            "Intra-op threads of the engine. Kept small by default: decoding and Kafka Streams need cores too. "
                + "num.stream.threads (a Kafka Streams key) defaults to the number of cores + 1 here: stream threads "
                + "mostly wait for the batcher, and one more than the cores keeps a batch ready.")
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
        .define(SAMPLE_MODE, Type.STRING, "all", ValidString.in("all", "every-nth", "fps", "keyframes"),
            Importance.MEDIUM, "Which frames of a segment are analysed: all, every-nth (sample.every-n), fps "
                + "(sample.fps) or keyframes (the others are not even decoded).")
        .define(SAMPLE_EVERY_N, Type.INT, 1, atLeast(1), Importance.LOW, "N for sample.mode=every-nth.")
        .define(SAMPLE_FPS, Type.DOUBLE, 5.0, atLeast(0.001), Importance.LOW, "Target rate for sample.mode=fps.")
        .define(SCORE_THRESHOLD, Type.DOUBLE, 0.3, between(0.0, 1.0), Importance.MEDIUM,
            "Detections scoring below this are not published.")
        .define(MAX_DETECTIONS, Type.INT, 100, between(1, 10_000), Importance.LOW, "Most detections per frame."));

    /** Where the pipeline's records come from and go to, and whether and how missing topics are created. */
    public record Topics(String input, String output, String deadLetters, String dropped, boolean create,
                         int partitions, short replicationFactor) {
    }

    public PipelineConfig(final Map<?, ?> props) {
        super(CONFIG, props, false);
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
            new OrtEngine.Cuda(getInt(CUDA_DEVICE), getLong(CUDA_MEMORY_LIMIT), getString(CUDA_ARENA)));
    }

    public BatchSettings batchSettings() {
        return new BatchSettings(getInt(BATCH_MAX_SIZE), getLong(BATCH_MAX_DELAY_MS) * 1_000_000L,
            getInt(BATCH_QUEUE_CAPACITY), BatchSettings.FullPolicy.parse(getString(BATCH_FULL_POLICY)));
    }

    public DecodeLimits decodeLimits() {
        return new DecodeLimits(getInt(DECODE_MAX_PAYLOAD), getLong(DECODE_MAX_PIXELS), getInt(DECODE_MAX_FRAMES),
            getLong(DECODE_MAX_MS));
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

    /** Where /metrics and the health probes are served (README: Metrics and health). */
    public MetricsSettings metrics() {
        return MetricsSettings.of(this);
    }

    public Topics topics() {
        return new Topics(getString(INPUT_TOPIC), getString(OUTPUT_TOPIC), getString(DLQ_TOPIC),
            getString(DROPPED_TOPIC), getBoolean(TOPICS_CREATE), getInt(TOPICS_PARTITIONS),
            getShort(TOPICS_REPLICATION));
    }

    public static void main(final String[] args) {
        System.out.println(markdownReference());
    }

    /** The configuration reference as a Markdown table, generated from {@link #CONFIG}. */
    public static String markdownReference() {
        return ConfigFiles.markdownReference(CONFIG);
    }
}
