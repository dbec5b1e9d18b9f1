package io.mobileformer.streams.eval;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.clip.ClipSegments;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.publish.DetectionRecords;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.Topics;
import io.mobileformer.streams.topology.DetectionApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real footage end to end: the shipped excerpt of a campus camera (samples/vtest-tail.ts, frames the people model
 * never trained on) cut into one-second segments, through the full topology on the real broker with the people
 * model, scored from the FrameDetections records against the truth checked by eye. The bar is the model card's
 * figure ({@code mf.eval.real_map50}, measured with {@code ./mfs eval}) minus 0.05, on ONNX Runtime and on the
 * Java engine alike.
 */
class RealAccuracyIT {
    static final Path MODEL = Path.of("models/people.onnx");
    static final Path CLIP = Path.of("samples/vtest-tail.ts");
    static final Path TRUTH = Path.of("samples/vtest-tail.truth.json");

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "java"})
    void peopleOnRealFootageMatchTheModelCard(final String engine) throws Exception {
        final ModelContract contract = ModelContract.load(MODEL);
        final double card = Double.parseDouble(contract.metadata().get("mf.eval.real_map50"));
        final ClipTruth truth = ClipTruth.read(TRUTH, contract.labels());
        final ClipSegments.Clip clip = ClipSegments.cut(CLIP, 10);
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "real-frames-" + engine;
        final String out = "real-detections-" + engine;
        kafka.createTopics(1, in);
        final List<byte[][]> records = new ArrayList<>();
        for (int seq = 0; seq < clip.segments().size(); seq++) {
            final ClipSegments.Segment s = clip.segments().get(seq);
            final FrameEnvelope env = FrameEnvelope.newBuilder().setCameraId("campus").setSequence(seq)
                .setCaptureTime(Instant.ofEpochSecond(1_700_000_000L).plusMillis(Math.round(s.firstFrame() * 100.0)))
                .setContentType("video/mp2t").setPayload(ByteBuffer.wrap(s.payload()))
                .setWidth(clip.width()).setHeight(clip.height()).setFps(clip.fps()).build();
            records.add(new byte[][] {Topics.utf8("campus"), AvroSerdes.frameEnvelope().serializer().serialize(in,
                env)});
        }
        Topics.send(kafka.bootstrapServers(), in, records);
        final MeanAveragePrecision map = new MeanAveragePrecision(contract.labels().size());
        try (DetectionApp app = DetectionApp.start(Map.of("bootstrap.servers", kafka.bootstrapServers(),
            "application.id", "real-accuracy-" + engine, "input.topic", in, "output.topic", out,
            "dlq.topic", "real-dlq-" + engine, "dropped.topic", "real-dropped-" + engine,
            "model.path", MODEL.toString(), "engine", engine, "detect.score-threshold", "0.05",
            "state.dir", "target/tmp/streams-real-accuracy-" + engine))) {
            final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> l.size() >= clip.frames(), Duration.ofSeconds(300), Duration.ofSeconds(1));
            assertEquals(clip.frames(), got.size(), "one detections record per frame of the clip");
            for (final ConsumerRecord<byte[], byte[]> r : got) {
                final FrameDetections fd = AvroSerdes.frameDetections().deserializer().deserialize(out, r.value());
                assertEquals(engine.equals("cpu") ? "ort-cpu" : "java", fd.getEngine());
                final int frame = clip.segments().get((int) fd.getSegmentSequence()).firstFrame() + fd.getFrameIndex();
                final ClipTruth.FrameTruth t = truth.frame(frame);
                if (t != null) {
                    map.add(DetectionRecords.detections(fd), t);
                }
            }
        }
        assertEquals(truth.frames().size(), map.frames(), "every labelled frame scored");
        final double m = map.map50();
        System.out.printf("real accuracy engine=%s frames=%d scored=%d person_ap50=%.4f ap50_95=%.4f card=%.4f%n",
            engine, clip.frames(), map.frames(), m, map.map50to95(), card);
        assertTrue(m >= card - 0.05, "real-footage AP@0.5 " + m + " below the model card's " + card + " - 0.05");
    }
}
