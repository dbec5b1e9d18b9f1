package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.inference.EngineFactory;
import io.mobileformer.streams.inference.FailoverEngine;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.testing.Envelopes;
import io.mobileformer.streams.testing.FaultyEngine;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.testing.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An engine fails mid-stream on the real broker under exactly-once: the failing batch is retried on the next engine,
 * the failed engine is retired, every frame still yields exactly one FrameDetections, and each record names the
 * engine that computed it.
 */
class FailoverIT {

    @Test
    void noFrameIsLostToAnEngineFault() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "failover-frames";
        final String out = "failover-detections";
        final List<byte[][]> records = new ArrayList<>();
        final byte[] seg = TestMedia.segment(8, 160, 96, Container.MPEG_TS);
        for (int seq = 0; seq < 10; seq++) {
            records.add(new byte[][] {Topics.utf8("cam-f"), Envelopes.bytes("cam-f", seq, "video/mp2t", seg)});
        }
        final int expected = 80;
        kafka.createTopics(1, in);
        Topics.send(kafka.bootstrapServers(), in, records);
        final Path model = Path.of("models/tiny-centernet.onnx");
        final FailoverEngine[] failover = new FailoverEngine[1];
        try (DetectionApp app = DetectionApp.start(Map.of("bootstrap.servers", kafka.bootstrapServers(),
            "application.id", "failover-it", "input.topic", in, "output.topic", out,
            "dlq.topic", "failover-dlq", "dropped.topic", "failover-dropped", "model.path", model.toString(),
            "engine", "cpu", "state.dir", "target/tmp/streams-failover-it"), primary -> {
                try {
                    failover[0] = new FailoverEngine(List.of(new FaultyEngine(primary, 4),
                        EngineFactory.create(model, new EngineFactory.Settings("java", 1, OrtEngine.Cuda.defaults()))));
                    return failover[0];
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            })) {
            final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> l.size() >= expected, Duration.ofSeconds(180), Duration.ofSeconds(3));
            assertEquals(expected, got.size(), "exactly one FrameDetections per frame");
            final Set<String> ids = new HashSet<>();
            final Map<Long, String> engineBySegment = new TreeMap<>();
            for (final ConsumerRecord<byte[], byte[]> r : got) {
                final FrameDetections fd = AvroSerdes.frameDetections().deserializer().deserialize(out, r.value());
                assertTrue(ids.add(fd.getSegmentSequence() + "/" + fd.getFrameIndex()), "no duplicates");
                engineBySegment.merge(fd.getSegmentSequence(), fd.getEngine(), (x, y) -> x.equals(y) ? x : x + "+" + y);
            }
            // batches 1-3 ran on ONNX Runtime, batch 4 failed there and ran on the Java engine, as did the rest
            assertEquals("ort-cpu", engineBySegment.get(0L));
            assertEquals("ort-cpu", engineBySegment.get(2L));
            assertEquals("java", engineBySegment.get(3L));
            assertEquals("java", engineBySegment.get(9L));
            assertEquals(List.of("java"), failover[0].liveEngines());
            assertEquals(1, failover[0].retiredCount());
            assertEquals(0, app.metrics().deadLetters());
        }
    }
}
