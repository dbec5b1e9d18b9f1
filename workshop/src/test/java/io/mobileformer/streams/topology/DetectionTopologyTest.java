package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.batch.BatchSettings;
import io.mobileformer.streams.batch.DynamicBatcher;
import io.mobileformer.streams.batch.InlineBatcher;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.publish.DeadLetters;
import io.mobileformer.streams.testing.BadPayloads;
import io.mobileformer.streams.testing.Envelopes;
import io.mobileformer.streams.testing.TestMedia;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped topology, run synchronously with a real ONNX Runtime session on the tiny model. */
class DetectionTopologyTest {
    static final int MAX_PAYLOAD = 300_000;
    static ModelContract contract;
    static InlineBatcher detector;

    @BeforeAll
    static void load() throws Exception {
        contract = ModelContract.load(Path.of("models/tiny-centernet.onnx"));
        detector = new InlineBatcher(new Detector(contract, OrtEngine.cpu(contract.path(), 1), 0.3f, 100), 8);
    }

    @AfterAll
    static void close() {
        detector.close();
    }

    private static TopologyTestDriver driver(final PipelineMetrics metrics) {
        final PipelineConfig cfg = new PipelineConfig(Map.of(PipelineConfig.DECODE_MAX_PAYLOAD, MAX_PAYLOAD));
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(DetectionTopology.build(cfg, contract, detector, metrics), p);
    }

    @Test
    void everyFrameOfEveryKindYieldsOneFrameDetections() {
        try (TopologyTestDriver d = driver(new PipelineMetrics())) {
            final TestInputTopic<byte[], byte[]> in = d.createInputTopic("frames", new ByteArraySerializer(),
                new ByteArraySerializer());
            final TestOutputTopic<String, FrameDetections> out = d.createOutputTopic("detections",
                new StringDeserializer(), AvroSerdes.frameDetections().deserializer());
            in.pipeInput(key("cam-a"), Envelopes.bytes("cam-a", 1, "image/jpeg", TestMedia.jpeg(160, 96)));
            in.pipeInput(key("cam-a"), Envelopes.bytes("cam-a", 2, "image/png", TestMedia.png(160, 96)));
            in.pipeInput(key("cam-b"), Envelopes.bytes("cam-b", 7, "video/mp2t",
                TestMedia.segment(10, 160, 96, Container.MPEG_TS)));
            in.pipeInput(key("cam-b"), Envelopes.bytes("cam-b", 8, "video/mp4",
                TestMedia.segment(5, 160, 96, Container.MP4)));
            in.pipeInput(key("cam-b"), Envelopes.bytes("cam-b", 9, "video/x-matroska",
                TestMedia.segment(3, 160, 96, Container.MATROSKA)));
            final List<TestRecord<String, FrameDetections>> recs = out.readRecordsToList();
            assertEquals(1 + 1 + 10 + 5 + 3, recs.size());
            final List<FrameDetections> seg = recs.stream().map(TestRecord::value)
                .filter(v -> v.getSegmentSequence() == 7).toList();
            assertEquals(10, seg.size());
            for (int i = 0; i < seg.size(); i++) {
                final FrameDetections fd = seg.get(i);
                assertEquals(i, fd.getFrameIndex());
                assertEquals("cam-b", fd.getCameraId());
                assertEquals(160, fd.getImageWidth());
                assertEquals("ort-cpu", fd.getEngine());
                assertEquals(contract.sha256(), fd.getModel().getSha256());
                assertEquals("frames", fd.getSource().getTopic());
                fd.getDetections().forEach(det -> assertTrue(det.getXMin() >= 0 && det.getXMax() <= 160
                    && det.getScore() >= 0.3f));
            }
            assertTrue(seg.get(9).getFrameTimestamp().isAfter(seg.get(0).getFrameTimestamp()));
            assertEquals("cam-a", recs.get(0).key());
            assertTrue(d.createOutputTopic("frames.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .isEmpty());
        }
    }

    @Test
    void everyBadInputGivesOneDeadLetterAndProcessingContinues() {
        final PipelineMetrics metrics = new PipelineMetrics();
        try (TopologyTestDriver d = driver(metrics)) {
            final TestInputTopic<byte[], byte[]> in = d.createInputTopic("frames", new ByteArraySerializer(),
                new ByteArraySerializer());
            final TestOutputTopic<byte[], byte[]> dlq = d.createOutputTopic("frames.dlq", new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
            final TestOutputTopic<String, FrameDetections> out = d.createOutputTopic("detections",
                new StringDeserializer(), AvroSerdes.frameDetections().deserializer());
            long seq = 0;
            for (final Map.Entry<String, BadPayloads.Bad> e : BadPayloads.all(MAX_PAYLOAD).entrySet()) {
                final BadPayloads.Bad bad = e.getValue();
                final byte[] value = Envelopes.bytes("cam-x", ++seq, bad.contentType(), bad.payload());
                final RecordHeaders headers = new RecordHeaders();
                headers.add("trace-id", ("t" + seq).getBytes(StandardCharsets.UTF_8));
                in.pipeInput(new TestRecord<>(key("cam-x"), value, headers));
                final List<TestRecord<byte[], byte[]>> letters = dlq.readRecordsToList();
                assertEquals(1, letters.size(), e.getKey() + ": one dead letter");
                final TestRecord<byte[], byte[]> l = letters.get(0);
                assertArrayEquals(value, l.value(), e.getKey() + ": original bytes");
                assertEquals(bad.stage(), DeadLetters.header(l.headers(), DeadLetters.STAGE), e.getKey());
                assertEquals(bad.reason(), DeadLetters.header(l.headers(), DeadLetters.REASON), e.getKey() + ": "
                    + DeadLetters.header(l.headers(), DeadLetters.ERROR_MESSAGE));
                assertEquals("t" + seq, DeadLetters.header(l.headers(), "trace-id"), "original headers kept");
                assertTrue(out.isEmpty(), e.getKey() + ": no detections");
            }
            final byte[] notAvro = "{\"camera\":\"x\"}".getBytes(StandardCharsets.UTF_8);
            in.pipeInput(key("cam-x"), notAvro);
            final TestRecord<byte[], byte[]> l = dlq.readRecord();
            assertArrayEquals(notAvro, l.value());
            assertEquals("deserialize", DeadLetters.header(l.headers(), DeadLetters.STAGE));
            assertTrue(dlq.isEmpty());
            // and the pipeline is still working
            in.pipeInput(key("cam-x"), Envelopes.bytes("cam-x", 99, "image/jpeg", TestMedia.jpeg(96, 64)));
            assertEquals(1, out.readRecordsToList().size());
            assertEquals(BadPayloads.all(MAX_PAYLOAD).size() + 1, metrics.deadLetters());
        }
    }

    @Test
    void liveModeDropsAreReportedNeverSilent() throws Exception {
        // a 2 s max delay keeps the worker away until all six frames are queued: the evictions are deterministic
        final PipelineConfig cfg = new PipelineConfig(Map.of(PipelineConfig.BATCH_FULL_POLICY, "drop-oldest",
            PipelineConfig.BATCH_QUEUE_CAPACITY, 2));
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test-drops");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        final PipelineMetrics metrics = new PipelineMetrics();
        try (DynamicBatcher batcher = new DynamicBatcher(new Detector(contract, OrtEngine.cpu(contract.path(), 1),
                 0.3f, 100), new BatchSettings(8, 2_000_000_000L, 2, BatchSettings.FullPolicy.DROP_OLDEST));
             TopologyTestDriver d = new TopologyTestDriver(DetectionTopology.build(cfg, contract, batcher, metrics), p)) {
            d.createInputTopic("frames", new ByteArraySerializer(), new ByteArraySerializer()).pipeInput(key("cam-l"),
                Envelopes.bytes("cam-l", 5, "video/mp2t", TestMedia.segment(6, 160, 96, Container.MPEG_TS)));
            final List<FrameDetections> done = d.createOutputTopic("detections", new StringDeserializer(),
                AvroSerdes.frameDetections().deserializer()).readValuesToList();
            final List<FrameDropped> dropped = d.createOutputTopic("frames.dropped", new StringDeserializer(),
                AvroSerdes.frameDropped().deserializer()).readValuesToList();
            assertEquals(6, done.size() + dropped.size(), "every frame is either analysed or reported dropped");
            assertEquals(4, dropped.size());
            assertEquals(List.of(0, 1, 2, 3), dropped.stream().map(FrameDropped::getFrameIndex).toList());
            assertEquals(List.of(4, 5), done.stream().map(FrameDetections::getFrameIndex).toList());
            assertEquals(DynamicBatcher.DROPPED_QUEUE_FULL, dropped.get(0).getReason());
            assertEquals(4, metrics.droppedFrames());
        }
    }

    private static byte[] key(final String camera) {
        return camera.getBytes(StandardCharsets.UTF_8);
    }
}
