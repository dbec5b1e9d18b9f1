package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.batch.Batcher;
import io.mobileformer.streams.decode.DecodeLimits;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.publish.PipelineOutput;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The one place the detection topology is built; {@code ./mfs run}, the demo and the tests all call {@link #build}.
 *
 * <pre>
 *   frames (bytes) ──▶ detect ──▶ detections   (key: camera id, value: FrameDetections)
 *                          ├────▶ frames.dlq     (original key, value and headers + mfs.* headers)
 *                          ├────▶ frames.dropped (FrameDropped: live mode only, never silent)
 *                          └────▶ analytics ──▶ tracks  (FrameTracks)      only with tracking.enabled: tracker
 *                                           └─▶ events  (TrackEvent)       and zones in a changelogged store
 * </pre>
 * The source reads raw bytes so that a record that is not Avro still reaches the dead-letter topic intact. Avro values
 * are framed as the configuration's {@link WireFormat} says (schema-registry wire format when schema.registry.url is
 * set, single-object encoding otherwise); the input is read in either framing.
 */
public final class DetectionTopology {
    static final String SOURCE = "frames-source";
    static final String DETECT = "detect";
    static final String DETECTIONS_SINK = "detections-sink";
    static final String DLQ_SINK = "dlq-sink";
    static final String DROPPED_SINK = "dropped-sink";
    static final String ANALYTICS = "analytics";
    static final String ANALYTICS_STORE = "analytics-state";
    static final String TRACKS_SINK = "tracks-sink";
    static final String EVENTS_SINK = "events-sink";

    private DetectionTopology() {
    }

    public static Topology build(final PipelineConfig cfg, final ModelContract contract, final Batcher batcher,
                                 final PipelineMetrics metrics) {
        final DecodeLimits limits = cfg.decodeLimits();
        final Sampling sampling = cfg.sampling();
        final boolean keepDecoders = cfg.keepDecoders();
        final PipelineConfig.Topics topics = cfg.topics();
        final Preprocessor pre = new Preprocessor(contract);
        final ModelRef model = new ModelRef(contract.name(), contract.variant(), contract.version(), contract.sha256());
        final WireFormat wire = cfg.wireFormat();
        final Serializer<PipelineOutput> values = PipelineOutput.serializer(wire);
        final Deserializer<FrameEnvelope> envelopes = wire.deserializer(FrameEnvelope.class);

        final PipelineConfig.Analytics analytics = cfg.analytics();

        final Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.input());
        t.addProcessor(DETECT, () -> new DetectProcessor(() -> new FrameDecoder(limits, sampling, pre, keepDecoders),
            envelopes, batcher, model, metrics, analytics.enabled()), SOURCE);
        t.addSink(DETECTIONS_SINK, topics.output(), new ByteArraySerializer(), values, DETECT);
        t.addSink(DROPPED_SINK, topics.dropped(), new ByteArraySerializer(), values, DETECT);
        if (!analytics.enabled()) {
            t.addSink(DLQ_SINK, topics.deadLetters(), new ByteArraySerializer(), values, DETECT);
            return t;
        }
        // the analytics run in the detection's own task, so their state and outputs commit in its transaction
        t.addProcessor(ANALYTICS, () -> new AnalyticsProcessor(analytics.settings(), metrics), DETECT);
        // in memory: one small value per camera, restored from the changelog after a crash or a move (under
        // exactly-once a crashed task's local state is discarded and rebuilt from the changelog anyway)
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ANALYTICS_STORE), Serdes.String(),
            Serdes.ByteArray()).withCachingDisabled(), ANALYTICS);
        t.addSink(TRACKS_SINK, analytics.tracksTopic(), new ByteArraySerializer(), values, ANALYTICS);
        t.addSink(EVENTS_SINK, analytics.eventsTopic(), new ByteArraySerializer(), values, ANALYTICS);
        t.addSink(DLQ_SINK, topics.deadLetters(), new ByteArraySerializer(), values, DETECT, ANALYTICS);
        return t;
    }
}
