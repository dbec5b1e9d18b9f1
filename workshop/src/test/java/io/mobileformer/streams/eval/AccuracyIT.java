package io.mobileformer.streams.eval;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.publish.DetectionRecords;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import io.mobileformer.streams.synthetic.SyntheticFeed;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.Topics;
import io.mobileformer.streams.topology.DetectionApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end accuracy: synthetic cameras with exact ground truth, through the full topology on the real broker (H.264
 * segments and JPEG stills, FFmpeg decode, resize, normalization, batching, the engine, box mapping, Avro), scored
 * from the FrameDetections records. Colour order, normalization, resize and box mapping are right only if the mAP here
 * matches the model card's held-out mAP.
 */
class AccuracyIT {
    static final Path MODEL = Path.of("models/demo.onnx");

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "java"})
    void pipelineMapMatchesTheModelCard(final String engine) throws Exception {
        final ModelContract contract = ModelContract.load(MODEL);
        final double card = Double.parseDouble(contract.metadata().get("mf.eval.map50"));
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "acc-frames-" + engine;
        final String out = "acc-detections-" + engine;
        kafka.createTopics(2, in);
        final Map<String, List<SyntheticCamera.Frame>> truth = new HashMap<>();
        final List<byte[][]> records = new ArrayList<>();
        for (int cam = 0; cam < 2; cam++) {
            final SyntheticFeed feed = new SyntheticFeed("acc-" + cam, 77 + cam, 640, 360, 10, 8, 4);
            for (int i = 0; i < 6; i++) {
                final SyntheticFeed.Record r = feed.next(Instant.ofEpochSecond(1_700_000_000L + i));
                truth.put(r.envelope().getCameraId() + "/" + r.envelope().getSequence(), r.frames());
                records.add(new byte[][] {Topics.utf8(r.envelope().getCameraId()),
                    AvroSerdes.frameEnvelope().serializer().serialize(in, r.envelope())});
            }
        }
        final int frames = truth.values().stream().mapToInt(List::size).sum();
        Topics.send(kafka.bootstrapServers(), in, records);
        final MeanAveragePrecision map = new MeanAveragePrecision(contract.labels().size());
        try (DetectionApp app = DetectionApp.start(Map.of("bootstrap.servers", kafka.bootstrapServers(),
            "application.id", "accuracy-" + engine, "input.topic", in, "output.topic", out,
            "dlq.topic", "acc-dlq-" + engine, "dropped.topic", "acc-dropped-" + engine,
            "model.path", MODEL.toString(), "engine", engine, "detect.score-threshold", "0.05",
            "state.dir", "target/tmp/streams-accuracy-" + engine))) {
            final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> l.size() >= frames, Duration.ofSeconds(300), Duration.ofSeconds(1));
            assertEquals(frames, got.size());
            for (final ConsumerRecord<byte[], byte[]> r : got) {
                final FrameDetections fd = AvroSerdes.frameDetections().deserializer().deserialize(out, r.value());
                assertEquals(engine.equals("cpu") ? "ort-cpu" : "java", fd.getEngine());
                final List<Detection> dets = DetectionRecords.detections(fd);
                map.add(dets, truth.get(fd.getCameraId() + "/" + fd.getSegmentSequence()).get(fd.getFrameIndex())
                    .truth());
            }
        }
        final double m = map.map50();
        System.out.printf("accuracy engine=%s frames=%d map50=%.4f map50_95=%.4f card_map50=%.4f%n", engine,
            map.frames(), m, map.map50to95(), card);
        assertTrue(m >= card - 0.05, "pipeline mAP@0.5 " + m + " below the model card's " + card + " - 0.05");
    }
}
