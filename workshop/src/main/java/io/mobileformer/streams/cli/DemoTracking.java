package io.mobileformer.streams.cli;

import io.mobileformer.streams.analytics.CameraAnalytics;
import io.mobileformer.streams.analytics.ZoneMonitor;
import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.avro.TrackEventType;
import io.mobileformer.streams.avro.TrackedDetection;
import io.mobileformer.streams.eval.GroundTruth;
import io.mobileformer.streams.eval.TrackingMetrics;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import io.mobileformer.streams.synthetic.SyntheticScene;
import io.mobileformer.streams.topology.ConfigLoader;
import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's tracking check: the synthetic cameras' pipeline runs with tracking and a counting line, and this class
 * scores what comes out of the {@code tracks} and {@code events} topics against the cameras' truth, which knows every
 * object's identity (object i of a camera is truth entry i of every frame) and path. MOTA and IDF1 from the tracks;
 * line crossings from the events, against the crossings the same {@link ZoneMonitor} rule finds on the true boxes.
 */
final class DemoTracking {
    static final String TRACKS = "tracks";
    static final String EVENTS = "events";

    /** The synthetic pipeline's analytics: shapes are placed by their centre; a line down the middle of the frame. */
    static Map<String, String> settings() {
        return Map.of(PipelineConfig.TRACKING_ENABLED, "true", PipelineConfig.TRACKS_TOPIC, TRACKS,
            PipelineConfig.EVENTS_TOPIC, EVENTS, PipelineConfig.ZONES_ANCHOR, "center",
            PipelineConfig.ZONES_WINDOW_MS, "10000", "zone.*.left", "0,0 0.4,0 0.4,1 0,1",
            "line.*.middle", "0.5,0 0.5,1");
    }

    private final String bootstrap;
    private final CameraAnalytics.Settings analytics;
    private final Map<String, List<SyntheticCamera.Frame>> truth = new ConcurrentHashMap<>();
    private final Map<String, ZoneMonitor> truthZones = new ConcurrentHashMap<>();
    private final TrackingMetrics metrics = new TrackingMetrics(0.5);
    private final AtomicLong crossings = new AtomicLong();
    private final AtomicLong trueCrossings = new AtomicLong();
    private final AtomicLong events = new AtomicLong();

    DemoTracking(final String bootstrap) {
        this.bootstrap = bootstrap;
        this.analytics = ConfigLoader.Settings.of(settings()).pipeline().analytics().settings();
    }

    /** A record about to be sent: its frames' truth, kept until its tracks come back. */
    void expect(final String camera, final long sequence, final List<SyntheticCamera.Frame> frames) {
        truth.put(camera + "/" + sequence, frames.stream().map(f -> new SyntheticCamera.Frame(f.index(), f.width(),
            f.height(), null, f.truth())).toList());
    }

    void readTracks(final AtomicBoolean stop) {
        read(TRACKS, stop, r -> onTracks(AvroSerdes.frameTracks().deserializer().deserialize(TRACKS, r.value())));
    }

    void readEvents(final AtomicBoolean stop) {
        read(EVENTS, stop, r -> {
            final TrackEvent e = AvroSerdes.trackEvent().deserializer().deserialize(EVENTS, r.value());
            events.incrementAndGet();
            if (e.getType() == TrackEventType.LINE_CROSSING) {
                crossings.incrementAndGet();
            }
        });
    }

    /** Reads committed records until stopped, then on to the end of the topic (all that was committed by then). */
    private void read(final String topic, final AtomicBoolean stop,
                      final java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        try (KafkaConsumer<String, byte[]> c = DemoCommand.committedConsumer(bootstrap, "demo-" + topic,
            new StringDeserializer())) {
            c.subscribe(List.of(topic));
            final long giveUp = Long.MAX_VALUE;
            long end = giveUp;
            while (true) {
                final var batch = c.poll(Duration.ofMillis(100));
                batch.forEach(each);
                if (stop.get() && end == giveUp) {
                    end = System.nanoTime() + 10_000_000_000L;
                }
                if (stop.get() && (batch.isEmpty() && atEnd(c) || System.nanoTime() > end)) {
                    return;
                }
            }
        }
    }

    private static boolean atEnd(final KafkaConsumer<String, byte[]> c) {
        final var parts = c.assignment();
        if (parts.isEmpty()) {
            return false;
        }
        final Map<TopicPartition, Long> ends = c.endOffsets(parts);
        return parts.stream().allMatch(p -> c.position(p) >= ends.get(p));
    }

    private void onTracks(final FrameTracks ft) {
        final String key = ft.getCameraId() + "/" + ft.getSegmentSequence();
        final List<SyntheticCamera.Frame> frames = truth.get(key);
        if (frames == null || ft.getFrameIndex() >= frames.size()) {
            return;
        }
        final List<GroundTruth> objects = frames.get(ft.getFrameIndex()).truth();
        final List<TrackingMetrics.Box> t = new ArrayList<>(objects.size());
        final List<ZoneMonitor.Sighting> seen = new ArrayList<>(objects.size());
        for (int i = 0; i < objects.size(); i++) {
            final GroundTruth g = objects.get(i);
            t.add(new TrackingMetrics.Box(i + 1, g.x0(), g.y0(), g.x1(), g.y1()));
            seen.add(new ZoneMonitor.Sighting(i + 1, g.classId(), SyntheticScene.CLASSES.get(g.classId()), g.x0(),
                g.y0(), g.x1(), g.y1()));
        }
        final List<TrackingMetrics.Box> h = new ArrayList<>();
        for (final TrackedDetection d : ft.getTracks()) {
            if (d.getTrackId() != null) {
                h.add(new TrackingMetrics.Box(d.getTrackId(), d.getXMin(), d.getYMin(), d.getXMax(), d.getYMax()));
            }
        }
        final long micros = ChronoUnit.MICROS.between(java.time.Instant.EPOCH, ft.getFrameTimestamp());
        final ZoneMonitor zones = truthZones.computeIfAbsent(ft.getCameraId(), cam -> new ZoneMonitor(
            analytics.rules().zonesOf(cam), analytics.rules().linesOf(cam), analytics.zones()));
        final long crossed = zones.update(micros, ft.getImageWidth(), ft.getImageHeight(), seen, List.of()).stream()
            .filter(e -> e.type() == ZoneMonitor.ZoneEvent.Type.LINE_CROSSING).count();
        trueCrossings.addAndGet(crossed);
        synchronized (metrics) {
            metrics.add(ft.getCameraId(), t, h);
        }
        if (ft.getFrameIndex() == frames.size() - 1) {
            truth.remove(key);
        }
    }

    /** A line for the log: the counts behind the summary's figures. */
    String describe() {
        synchronized (metrics) {
            return "tracking: " + metrics + ", events " + events.get() + ", line crossings " + crossings.get()
                + " (truth " + trueCrossings.get() + ")";
        }
    }

    /** The summary's part: {@code mota= idf1= crossings=<got>/<true>}. */
    String summary() {
        synchronized (metrics) {
            return String.format(" mota=%.3f idf1=%.3f crossings=%d/%d", metrics.mota(), metrics.idf1(),
                crossings.get(), trueCrossings.get());
        }
    }
}
