package io.mobileformer.streams.fuzz;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.SourcePosition;
import io.mobileformer.streams.avro.Timings;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.testing.SharedKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kafka half of the fuzz promise: 300 of {@link FuzzIT}'s cases (seed 7) produced to a real broker and run by the
 * real topology (exactly-once, ONNX Runtime, FFmpeg). A {@code read_committed} consumer traces each output back to
 * its input: every case ends as detections or exactly one dead letter carrying the input unchanged, nothing twice, and
 * the app is still RUNNING with no stream thread replaced.
 */
class FuzzKafkaIT {

    @Test
    void fuzzedRecordsThroughTheBrokerEndOnceEach() throws Exception {
        final FuzzKafkaRun.Result r = FuzzKafkaRun.run(new FuzzKafkaRun.Settings(300, 7, 2000,
            Path.of("workshop/src/test/resources/fuzz-regressions"),
            Path.of("target/tmp/fuzz-kafka-it-" + System.currentTimeMillis()), Path.of("models/tiny-centernet.onnx"),
            4, 0), SharedKafka.get(), new PrintWriter(System.out, true));
        System.out.printf("%s (%.0f s)%n", r.line(), r.seconds());
        final String findings = String.join("\n", r.findings());
        assertEquals(0, r.lost(), findings);
        assertEquals(0, r.duplicates(), findings);
        assertEquals(0, r.stray(), findings);
        assertEquals(0, r.dropped(), findings);
        assertEquals(0, r.unexpected(), findings);
        assertEquals(r.cases(), r.detected() + r.deadLetters(), "one outcome per case");
        assertTrue(r.detected() > 0 && r.deadLetters() > 0, "the mutations reach both outcomes: " + r.line());
        assertTrue(r.detectionRecords() >= r.detected(), r.line());
        assertEquals(KafkaStreams.State.RUNNING, r.appState(), findings);
        assertEquals(0, r.stateChanges(), findings);
        assertEquals(0, r.replacedThreads(), findings);
        assertTrue(r.passed(), r.line());
    }

    /**
     * The witness itself can fail: outputs written by hand (no app) for seven inputs, with a duplicate frame, a
     * duplicate dead letter, an input with no outcome, a gap in an input's frames, an input with both outcomes and a
     * dead letter of an offset no case was written to.
     */
    @Test
    void theWitnessCountsLossDuplicatesAndStrays() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String run = "fuzz-witness-" + Long.toHexString(System.nanoTime());
        final String in = run + "-frames";
        kafka.createTopics(1, run + "-detections", run + "-dlq", run + "-dropped");
        try (FuzzWitness w = new FuzzWitness(kafka.bootstrapServers(), in, run + "-detections", run + "-dlq",
            run + "-dropped");
             KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                 kafka.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 7; i++) {
                w.expect(0, i, new Mutator.Case(i, "seed", "none", value(i)), key(i));
            }
            for (final int[] frame : new int[][] {{0, 0}, {0, 1}, {1, 0}, {1, 0}, {5, 0}, {5, 2}, {6, 0}}) {
                p.send(new ProducerRecord<>(run + "-detections", key(frame[0]), AvroSerdes.frameDetections()
                    .serializer().serialize(run, detection(in, frame[0], frame[1]))));
            }
            for (final int at : new int[] {2, 3, 3, 6}) {
                p.send(deadLetter(run + "-dlq", in, at, at));
            }
            p.send(deadLetter(run + "-dlq", in, 99, 2));     // offset 99: no case was written there
            p.flush();
            w.awaitAccounted(3_000_000_000L, n -> { });
            w.drain();
            final FuzzWitness.Tally t = w.tally();
            final String findings = String.join("\n", t.findings());
            assertEquals(2, t.lost(), "input 4 and frame 1 of input 5: " + findings);
            assertEquals(3, t.duplicates(), "frame 0 of input 1, a dead letter of input 3, input 6: " + findings);
            assertEquals(1, t.stray(), findings);
            assertEquals(4, t.detected(), findings);
            assertEquals(3, t.deadLetters(), findings);
            assertEquals(7, t.detectionRecords(), findings);
        }
    }

    private static byte[] key(final int i) {
        return ("cam-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(final int i) {
        return ("not a segment " + i).getBytes(StandardCharsets.UTF_8);
    }

    private static FrameDetections detection(final String input, final long offset, final int frame) {
        return FrameDetections.newBuilder().setCameraId("fuzz").setSegmentSequence(offset).setFrameIndex(frame)
            .setFrameTimestamp(Instant.EPOCH).setSource(new SourcePosition(input, 0, offset))
            .setModel(new ModelRef("m", "v", "1", "00")).setEngine("ort-cpu").setImageWidth(16).setImageHeight(16)
            .setDetections(List.of()).setTimings(new Timings(0f, 0f, 0f)).build();
    }

    /** A dead letter as the topology writes it: the input unchanged plus its source position. */
    private static ProducerRecord<byte[], byte[]> deadLetter(final String dlq, final String input, final long offset,
                                                             final int caseIndex) {
        final ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(dlq, key(caseIndex), value(caseIndex));
        r.headers().add(FuzzKafkaRun.CASE_HEADER, Integer.toString(caseIndex).getBytes(StandardCharsets.UTF_8));
        r.headers().add("mfs.stage", "decode".getBytes(StandardCharsets.UTF_8));
        r.headers().add("mfs.reason", "CORRUPT".getBytes(StandardCharsets.UTF_8));
        r.headers().add("mfs.source.topic", input.getBytes(StandardCharsets.UTF_8));
        r.headers().add("mfs.source.partition", "0".getBytes(StandardCharsets.UTF_8));
        r.headers().add("mfs.source.offset", Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        return r;
    }
}
