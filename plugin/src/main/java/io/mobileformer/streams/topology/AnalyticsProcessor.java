package io.mobileformer.streams.topology;

import io.mobileformer.streams.analytics.CameraAnalytics;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.publish.DeadLetters;
import io.mobileformer.streams.publish.PipelineOutput;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The thin adapter between Kafka Streams and {@link CameraAnalytics}: a frame's detections in; the camera's state read
 * from the store, advanced, written back; its {@code FrameTracks} and events out. It runs in the detection processor's
 * task (a child of it), so the state write, the outputs and the input offset commit in one transaction.
 *
 * <p>The state is read from the store for every frame rather than cached in this object: after an aborted transaction
 * Kafka Streams restores the store, and a cached copy would be ahead of it.
 */
final class AnalyticsProcessor implements Processor<byte[], PipelineOutput, byte[], PipelineOutput> {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final CameraAnalytics.Settings settings;
    private final PipelineMetrics metrics;
    private ProcessorContext<byte[], PipelineOutput> context;
    private KeyValueStore<String, byte[]> store;

    AnalyticsProcessor(final CameraAnalytics.Settings settings, final PipelineMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<byte[], PipelineOutput> ctx) {
        this.context = ctx;
        this.store = ctx.getStateStore(DetectionTopology.ANALYTICS_STORE);
    }

    @Override
    public void process(final Record<byte[], PipelineOutput> record) {
        if (!(record.value() instanceof PipelineOutput.Detections d)) {
            return;
        }
        final long start = System.nanoTime();
        final long cpuStart = THREADS.getCurrentThreadCpuTime();
        try {
            analyse(record, d);
        } finally {
            metrics.recordAnalytics(System.nanoTime() - start, THREADS.getCurrentThreadCpuTime() - cpuStart);
        }
    }

    private void analyse(final Record<byte[], PipelineOutput> record, final PipelineOutput.Detections d) {
        final FrameDetections fd = d.value();
        final String camera = fd.getCameraId();
        final CameraAnalytics.Result result;
        try {
            final byte[] state = store.get(camera);
            final CameraAnalytics a = state == null ? CameraAnalytics.start(camera, settings)
                : CameraAnalytics.decode(camera, state, settings);
            result = a.update(fd);
            store.put(camera, a.encode());
        } catch (final RuntimeException e) {
            // the camera's state stays as it was; the frame is reported, not silently skipped
            metrics.deadLetter("analytics", "UNEXPECTED");
            // single-object encoded whatever the pipeline's framing: self-describing, and no registry call on a
            // failure path
            context.forward(DeadLetters.of(new Record<>(record.key(), d.encode("", WireFormat.singleObject()),
                record.timestamp(), record.headers()), context.recordMetadata().orElse(null), "analytics",
                "UNEXPECTED", e),
                DetectionTopology.DLQ_SINK);
            return;
        }
        context.forward(new PipelineOutput.Tracks(result.tracks()).record(), DetectionTopology.TRACKS_SINK);
        for (final TrackEvent e : result.events()) {
            context.forward(new PipelineOutput.Event(e).record(), DetectionTopology.EVENTS_SINK);
        }
    }
}
