package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.testing.Envelopes;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.testing.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On a real KRaft broker: N frames in, exactly N FrameDetections out (read_committed), each from a real ORT session. */
class ExactlyOnceIT {

    @Test
    void nFramesInExactlyNDetectionsOut() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "eos-frames";
        final String out = "eos-detections";
        final List<byte[][]> records = new ArrayList<>();
        int frames = 0;
        for (int cam = 0; cam < 3; cam++) {
            final String id = "cam-" + cam;
            for (int seq = 0; seq < 4; seq++) {
                if (seq % 2 == 0) {
                    records.add(new byte[][] {Topics.utf8(id), Envelopes.bytes(id, seq, "image/jpeg",
                        TestMedia.jpeg(160, 96))});
                    frames += 1;
                } else {
                    records.add(new byte[][] {Topics.utf8(id), Envelopes.bytes(id, seq, "video/mp2t",
                        TestMedia.segment(8, 160, 96, Container.MPEG_TS))});
                    frames += 8;
                }
            }
        }
        kafka.createTopics(2, in);
        Topics.send(kafka.bootstrapServers(), in, records);
        final int expected = frames;
        try (DetectionApp app = DetectionApp.start(Map.of(
            "bootstrap.servers", kafka.bootstrapServers(),
            "application.id", "eos-it",
            "input.topic", in, "output.topic", out, "dlq.topic", "eos-dlq", "dropped.topic", "eos-dropped",
            "model.path", "models/tiny-centernet.onnx", "engine", "cpu", "num.stream.threads", "2",
            "state.dir", "target/tmp/streams-eos-it"))) {
            final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> l.size() >= expected, Duration.ofSeconds(120), Duration.ofSeconds(3));
            assertEquals(expected, got.size(), "exactly one FrameDetections per frame");
            final Set<String> ids = new HashSet<>();
            for (final ConsumerRecord<byte[], byte[]> r : got) {
                final FrameDetections fd = AvroSerdes.frameDetections().deserializer().deserialize(out, r.value());
                assertEquals("ort-cpu", fd.getEngine());
                assertEquals(app.contract().sha256(), fd.getModel().getSha256());
                assertTrue(ids.add(fd.getCameraId() + "/" + fd.getSegmentSequence() + "/" + fd.getFrameIndex()),
                    "no duplicates");
            }
            assertEquals(0, app.metrics().deadLetters());
        }
    }
}
