package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.avro.TrackedDetection;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.synthetic.SyntheticFeed;
import io.mobileformer.streams.testing.PipelineProcess;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exactly once across a crash, on a real broker with pipelines in child JVMs: the same frames go once through a
 * pipeline that runs undisturbed and once through one that is SIGKILLed part way and restarted on the same state
 * directory. Read committed, both give the same tracks (same ids on the same detections of the same frames, each
 * frame once) and the same events (same enters, exits, crossings and window counts), because the tracker and zone
 * state commit in one transaction with the outputs and the input offsets, and a crashed task is rebuilt from the
 * changelog.
 */
class AnalyticsCrashIT {
    private static final int CAMERAS = 2;
    private static final int RECORDS = 4;

    @Test
    void aKilledAndRestartedRunGivesTheSameTracksAndEvents() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "crash-frames";
        kafka.createTopics(CAMERAS, in);
        final List<byte[][]> records = new ArrayList<>();
        int frames = 0;
        for (int cam = 0; cam < CAMERAS; cam++) {
            final SyntheticFeed feed = new SyntheticFeed("crash-" + cam, 31 + cam, 640, 360, 8, 8, 4);
            for (int i = 0; i < RECORDS; i++) {
                final SyntheticFeed.Record r = feed.next(Instant.ofEpochSecond(1_700_000_000L + i));
                frames += r.frames().size();
                records.add(new byte[][] {Topics.utf8(r.envelope().getCameraId()),
                    AvroSerdes.frameEnvelope().serializer().serialize(in, r.envelope())});
            }
        }
        Topics.send(kafka.bootstrapServers(), in, records);
        final int expected = frames;
        final Path logs = Files.createDirectories(Path.of("target/tmp/analytics-crash-it"));

        // 1. undisturbed
        final Outputs reference = whileRunning(props(kafka, "whole", logs), logs.resolve("whole.log"),
            () -> read(kafka, "whole", expected));
        assertEquals(expected, reference.tracks.size(), "one FrameTracks per frame");
        assertTrue(reference.events.values().stream().mapToInt(List::size).sum() >= 4, "the rules produce events: "
            + reference.events);

        // 2. killed once a third of the frames are out, then restarted on the same state directory
        final int partial = whileRunning(props(kafka, "killed", logs), logs.resolve("killed-1.log"),
            () -> Topics.readCommitted(kafka.bootstrapServers(), "killed-tracks", l -> l.size() >= expected / 3,
                Duration.ofSeconds(120), Duration.ZERO).size());
        assertTrue(partial >= expected / 3 && partial < expected, "killed part way: " + partial + " of " + expected);
        final Outputs resumed = whileRunning(props(kafka, "killed", logs), logs.resolve("killed-2.log"),
            () -> read(kafka, "killed", expected));
        assertEquals(reference.tracks, resumed.tracks, "same tracks, each frame once");
        assertEquals(reference.events, resumed.events, "same events");
    }

    /** Runs {@code body} while a pipeline process runs, then SIGKILLs the process (the end of every run here). */
    private static <T> T whileRunning(final Map<String, String> props, final Path log, final Callable<T> body)
        throws Exception {
        final Process p = PipelineProcess.start(props, log);
        try {
            return body.call();
        } finally {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, String> props(final EmbeddedKafka kafka, final String run, final Path logs) {
        final Map<String, String> p = new HashMap<>(Map.ofEntries(
            Map.entry("bootstrap.servers", kafka.bootstrapServers()),
            Map.entry("application.id", "crash-it-" + run),
            Map.entry("input.topic", "crash-frames"),
            Map.entry("output.topic", run + "-detections"),
            Map.entry("dlq.topic", run + "-dlq"),
            Map.entry("dropped.topic", run + "-dropped"),
            Map.entry("tracks.topic", run + "-tracks"),
            Map.entry("events.topic", run + "-events"),
            Map.entry("tracking.enabled", "true"),
            Map.entry("zones.anchor", "center"),
            Map.entry("zones.count-window-ms", "1000"),
            Map.entry("zone.*.left", "0,0 0.4,0 0.4,1 0,1"),
            Map.entry("line.*.middle", "0.5,0 0.5,1"),
            Map.entry("model.path", "models/demo.onnx"),
            Map.entry("engine", "cpu"),
            // batch 1 on one engine thread: the detections themselves are bit-identical from run to run
            Map.entry("batch.max-size", "1"),
            Map.entry("num.stream.threads", "1"),
            Map.entry("topics.partitions", Integer.toString(CAMERAS)),
            // frames from 2023: outputs stamped with that time would be deleted by the broker's 7-day retention at
            // its first check (30 s after it starts), which lost the killed run's first events when this IT ran
            // alone on a fresh broker
            Map.entry("topics.output-retention-ms", "-1"),
            // a dead member leaves the group after 6 s (the broker's least), not 45
            Map.entry("consumer.session.timeout.ms", "6000"),
            Map.entry("consumer.heartbeat.interval.ms", "1000"),
            Map.entry("state.dir", logs.resolve("state-" + run).toAbsolutePath().toString())));
        return p;
    }

    /** Tracks by frame and events in order per camera, as comparable strings. */
    private record Outputs(Map<String, String> tracks, Map<String, List<String>> events) {
    }

    private static Outputs read(final EmbeddedKafka kafka, final String run, final int expected) {
        final Map<String, String> tracks = new TreeMap<>();
        int duplicates = 0;
        for (final ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(kafka.bootstrapServers(), run + "-tracks",
            l -> l.size() >= expected, Duration.ofSeconds(180), Duration.ofSeconds(3))) {
            final FrameTracks ft = AvroSerdes.frameTracks().deserializer().deserialize("", r.value());
            final StringBuilder sb = new StringBuilder();
            for (final TrackedDetection t : ft.getTracks()) {
                sb.append(t.getTrackId()).append(':').append(t.getClassId()).append('@').append(t.getXMin()).append(',')
                    .append(t.getYMin()).append(',').append(t.getXMax()).append(',').append(t.getYMax()).append(' ');
            }
            if (tracks.put(ft.getCameraId() + "/" + ft.getSegmentSequence() + "/" + ft.getFrameIndex(),
                sb.toString()) != null) {
                duplicates++;
            }
        }
        assertEquals(0, duplicates, "no frame's tracks twice (" + run + ")");
        final Map<String, List<String>> events = new TreeMap<>();
        for (final ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(kafka.bootstrapServers(), run + "-events",
            l -> false, Duration.ofSeconds(3), Duration.ZERO)) {
            final TrackEvent e = AvroSerdes.trackEvent().deserializer().deserialize("", r.value());
            events.computeIfAbsent(e.getCameraId(), k -> new ArrayList<>()).add(e.getType() + " " + e.getName() + " "
                + e.getTrackId() + " " + e.getEventTime() + " " + e.getDirection() + " " + e.getDwellMs() + " "
                + e.getCount() + " " + e.getEntries() + " " + e.getSegmentSequence() + "/" + e.getFrameIndex());
        }
        return new Outputs(tracks, events);
    }
}
