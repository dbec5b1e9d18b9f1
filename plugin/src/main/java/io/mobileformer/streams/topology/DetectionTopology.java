package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.batch.FrameDetector;
import io.mobileformer.streams.decode.DecodeLimits;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.model.ModelContract;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;

/**
 * The one place the detection topology is built; {@code ./mfs run}, the demo and the tests all call {@link #build}.
 *
 * <pre>
 *   frames (bytes) ──▶ detect ──▶ detections   (key: camera id, value: FrameDetections)
 *                          ├────▶ frames.dlq     (original key, value and headers + mfs.* headers)
 *                          └────▶ frames.dropped (FrameDropped: live mode only, never silent)
 * </pre>
 * The source reads raw bytes so that a record that is not Avro still reaches the dead-letter topic intact.
 */
public final class DetectionTopology {
    static final String SOURCE = "frames-source";
    static final String DETECT = "detect";
    static final String DETECTIONS_SINK = "detections-sink";
    static final String DLQ_SINK = "dlq-sink";
    static final String DROPPED_SINK = "dropped-sink";

    private DetectionTopology() {
    }

    public static Topology build(final PipelineConfig cfg, final ModelContract contract, final FrameDetector detector,
                                 final PipelineMetrics metrics) {
        final DecodeLimits limits = new DecodeLimits(cfg.getInt(PipelineConfig.DECODE_MAX_PAYLOAD),
            cfg.getLong(PipelineConfig.DECODE_MAX_PIXELS), cfg.getInt(PipelineConfig.DECODE_MAX_FRAMES),
            cfg.getLong(PipelineConfig.DECODE_MAX_MS));
        final Sampling sampling = Sampling.parse(cfg.getString(PipelineConfig.SAMPLE_MODE),
            cfg.getInt(PipelineConfig.SAMPLE_EVERY_N), cfg.getDouble(PipelineConfig.SAMPLE_FPS));
        final Preprocessor pre = new Preprocessor(contract);
        final ModelRef model = new ModelRef(contract.name(), contract.variant(), contract.version(), contract.sha256());
        final Serializer<FrameDetections> detectionsSer = AvroSerdes.frameDetections().serializer();
        final Serializer<FrameDropped> droppedSer = AvroSerdes.frameDropped().serializer();

        final Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
            cfg.getString(PipelineConfig.INPUT_TOPIC));
        t.addProcessor(DETECT, () -> new DetectProcessor(() -> new FrameDecoder(limits, sampling, pre), detector,
            model, cfg.getInt(PipelineConfig.BATCH_MAX_SIZE), metrics), SOURCE);
        t.addSink(DETECTIONS_SINK, cfg.getString(PipelineConfig.OUTPUT_TOPIC), new StringSerializer(),
            (topic, v) -> detectionsSer.serialize(topic, (FrameDetections) v), DETECT);
        t.addSink(DLQ_SINK, cfg.getString(PipelineConfig.DLQ_TOPIC), new ByteArraySerializer(),
            new ByteArraySerializer(), DETECT);
        t.addSink(DROPPED_SINK, cfg.getString(PipelineConfig.DROPPED_TOPIC), new StringSerializer(),
            (topic, v) -> droppedSer.serialize(topic, (FrameDropped) v), DETECT);
        return t;
    }
}
