package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.avro.TrackEventType;
import io.mobileformer.streams.batch.InlineBatcher;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.publish.DeadLetters;
import io.mobileformer.streams.synthetic.SyntheticFeed;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped topology with tracking on, run synchronously: the demo model on a synthetic camera, its frames through
 * detection into the analytics stage, tracks and events out, state in the store.
 */
class AnalyticsTopologyTest {
    static ModelContract contract;
    static InlineBatcher detector;

    @BeforeAll
    static void load() throws Exception {
        contract = ModelContract.load(Path.of("models/demo.onnx"));
        detector = new InlineBatcher(new Detector(contract, OrtEngine.cpu(contract.path(), 1), 0.3f, 100), 8);
    }

    @AfterAll
    static void close() {
        detector.close();
    }

    private static TopologyTestDriver driver(final Map<String, String> extra) {
        final Map<String, String> props = new HashMap<>(Map.of(PipelineConfig.TRACKING_ENABLED, "true",
            PipelineConfig.ZONES_ANCHOR, "center", PipelineConfig.ZONES_WINDOW_MS, "1000",
            "zone.*.everywhere", "0,0 1,0 1,1 0,1"));
        props.putAll(extra);
        final PipelineConfig cfg = ConfigLoader.Settings.of(props).pipeline();
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "analytics-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(DetectionTopology.build(cfg, contract, detector, new PipelineMetrics()), p);
    }

    private static void feed(final TopologyTestDriver d, final String camera, final int records) throws Exception {
        final TestInputTopic<byte[], byte[]> in = d.createInputTopic("frames", new ByteArraySerializer(),
            new ByteArraySerializer());
        final SyntheticFeed feed = new SyntheticFeed(camera, 5, 640, 360, 8, 8, 4);
        for (int i = 0; i < records; i++) {
            final SyntheticFeed.Record r = feed.next(Instant.ofEpochSecond(1_700_000_000L + i));
            in.pipeInput(camera.getBytes(StandardCharsets.UTF_8),
                AvroSerdes.frameEnvelope().serializer().serialize("frames", r.envelope()));
        }
    }

    @Test
    void everyFrameGetsItsTracksAndZonesTheirEvents() throws Exception {
        try (TopologyTestDriver d = driver(Map.of())) {
            feed(d, "cam-t", 5);
            final List<FrameDetections> dets = d.createOutputTopic("detections", new StringDeserializer(),
                AvroSerdes.frameDetections().deserializer()).readValuesToList();
            final List<TestRecord<String, FrameTracks>> tracks = d.createOutputTopic("tracks",
                new StringDeserializer(), AvroSerdes.frameTracks().deserializer()).readRecordsToList();
            final List<TrackEvent> events = d.createOutputTopic("events", new StringDeserializer(),
                AvroSerdes.trackEvent().deserializer()).readValuesToList();
            assertEquals(8 * 3 + 1 + 8, dets.size());
            assertEquals(dets.size(), tracks.size(), "one FrameTracks per FrameDetections");
            final Set<Long> ids = new TreeSet<>();
            for (int i = 0; i < dets.size(); i++) {
                final FrameTracks ft = tracks.get(i).value();
                assertEquals("cam-t", tracks.get(i).key());
                assertEquals(dets.get(i).getFrameTimestamp(), ft.getFrameTimestamp());
                assertEquals(dets.get(i).getDetections().size(), ft.getTracks().size());
                for (int k = 0; k < ft.getTracks().size(); k++) {
                    assertEquals(dets.get(i).getDetections().get(k).getXMin(), ft.getTracks().get(k).getXMin());
                    if (ft.getTracks().get(k).getTrackId() != null) {
                        ids.add(ft.getTracks().get(k).getTrackId());
                    }
                }
            }
            // the camera films 5 objects that never leave the frame nor hide each other: 5 tracks, ids 1-5, if the
            // detector finds them all; a short-lived false track or two at most
            assertTrue(ids.size() >= 4 && ids.size() <= 7, "track ids " + ids);
            assertEquals(1L, ids.iterator().next());
            final long enters = events.stream().filter(e -> e.getType() == TrackEventType.ZONE_ENTER).count();
            assertEquals(ids.size(), enters, "each track enters the all-covering zone once");
            final List<TrackEvent> counts = events.stream().filter(e -> e.getType() == TrackEventType.ZONE_COUNT)
                .toList();
            final long windows = dets.stream().map(f -> Math.floorDiv(f.getFrameTimestamp().toEpochMilli(), 1000))
                .distinct().count();
            assertEquals(windows - 1, counts.size(), "every 1-s window the frames span, but the last (still open)");
            for (final TrackEvent c : counts) {
                assertEquals("everywhere", c.getName());
                // at least every track seen in the window, at most every track (lost ones stay inside)
                final Set<Long> seen = new TreeSet<>();
                for (final TestRecord<String, FrameTracks> t : tracks) {
                    final Instant ts = t.value().getFrameTimestamp();
                    if (!ts.isBefore(c.getWindowStart()) && ts.isBefore(c.getWindowEnd())) {
                        t.value().getTracks().stream().filter(x -> x.getTrackId() != null)
                            .forEach(x -> seen.add(x.getTrackId()));
                    }
                }
                assertTrue(c.getCount() >= seen.size() && c.getCount() <= ids.size(), seen + " " + c);
                assertTrue(c.getCount() >= 3, "the objects are inside: " + c);
            }
            final KeyValueStore<String, byte[]> store = d.getKeyValueStore(DetectionTopology.ANALYTICS_STORE);
            assertNotNull(store.get("cam-t"), "the camera's state is in the store");
        }
    }

    @Test
    void damagedStateIsDeadLetteredNotACrash() throws Exception {
        try (TopologyTestDriver d = driver(Map.of())) {
            final KeyValueStore<String, byte[]> store = d.getKeyValueStore(DetectionTopology.ANALYTICS_STORE);
            store.put("cam-x", new byte[] {0, 0, 0, 99, 1});
            feed(d, "cam-x", 1);
            final TestOutputTopic<byte[], byte[]> dlq = d.createOutputTopic("frames.dlq", new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
            final List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
            assertEquals(8, dead.size(), "each frame of the segment");
            assertEquals("analytics", DeadLetters.header(dead.get(0).headers(), DeadLetters.STAGE));
            assertEquals(8, d.createOutputTopic("detections", new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).readRecordsToList().size(), "detections are still published");
        }
    }

    @Test
    void badZonesAreRefusedAtStartByKey() throws Exception {
        final Path cfg = Files.createTempFile("zones", ".properties");
        Files.writeString(cfg, "tracking.enabled=true\nzone.cam-1.dock=0.1,0.1 0.9,0.1\nline.cam-1.door=0,0 2,2\n"
            + "zones.units=normalized\n");
        final String msg = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(cfg), Map.of()))
            .getMessage();
        assertTrue(msg.contains("zone.cam-1.dock: a zone needs at least 3 points"), msg);
        assertTrue(msg.contains("line.cam-1.door: point '2,2' is outside [0, 1]"), msg);
        Files.writeString(cfg, "zone.cam-1.dock=0.1,0.1 0.9,0.1 0.9,0.9\n");
        final String off = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(cfg), Map.of()))
            .getMessage();
        assertTrue(off.contains("tracking.enabled=false"), off);
        Files.delete(cfg);
    }
}
