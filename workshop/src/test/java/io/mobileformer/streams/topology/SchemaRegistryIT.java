package io.mobileformer.streams.topology;

import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.RegistryConfig;
import io.mobileformer.streams.avro.SchemaRegistryClient;
import io.mobileformer.streams.avro.SchemaRegistryException;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.ingest.CameraHealth;
import io.mobileformer.streams.ingest.Ingest;
import io.mobileformer.streams.ingest.IngestConfig;
import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import io.mobileformer.streams.testing.ApicurioRegistry;
import io.mobileformer.streams.testing.AuthenticatingProxy;
import io.mobileformer.streams.testing.Envelopes;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.testing.Topics;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema-registry wire format end to end, against a real broker and a real registry (Apicurio, child process):
 * camera producers outside this code base (the Python example, old and new schema version side by side, both
 * framings, plus this build's own single-object producer) feed the topology; the consumers outside this code base
 * (the Python example, kcat, the Java example) read every detection of the run. Then the registry failing: down at
 * start is one clear error; down while running delays a record but never loses or misframes it.
 */
class SchemaRegistryIT {
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path WORK = Path.of("workshop/target/tmp/schema-registry-it");
    private static ApicurioRegistry registry;

    @BeforeAll
    static void startRegistry() throws IOException {
        Files.createDirectories(WORK);
        registry = ApicurioRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void outsideProducersAndConsumersSpeakTheRegistryFormat() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "reg-frames";
        final String out = "reg-detections";
        final String dlq = "reg-dlq";
        kafka.createTopics(2, in, out, dlq, "reg-dropped");
        final List<Path> jpegs = jpegs(6);
        final Path segment = WORK.resolve("segment.ts");
        Files.write(segment, TestMedia.segment(8, 320, 240, MediaEncoder.Container.MPEG_TS));

        // old producers before the detector runs: registry framing (FULL set on the subject: the detector must read
        // producers a version ahead and behind), single-object framing from Python and from this build
        produce("py-reg", "registry", "schemas/FrameEnvelope.avsc", 0, List.of("--compatibility", "FULL"),
            jpegs.subList(0, 4), in);
        produce("py-single", "single-object", "schemas/FrameEnvelope.avsc", 0, List.of(), jpegs.subList(0, 4), in);
        Topics.send(kafka.bootstrapServers(), in, List.<byte[][]>of(new byte[][] {Topics.utf8("java-single"),
            Envelopes.bytes("java-single", 0, "image/jpeg", Files.readAllBytes(jpegs.get(4)))}));

        // the registry enforces the rule: a new field without a default is refused, before any record is written
        final SchemaRegistryClient client = new SchemaRegistryClient(new RegistryConfig(Map.of(RegistryConfig.URL,
            registry.url())));
        final SchemaRegistryException refused = assertThrows(SchemaRegistryException.class, () -> client.register(
            in + "-value", parse("workshop/src/test/resources/schemas/FrameEnvelope-incompatible.avsc")));
        assertEquals(409, refused.status(), refused.getMessage());

        try (DetectionApp app = DetectionApp.start(props(
            "bootstrap.servers", kafka.bootstrapServers(), "application.id", "registry-it",
            "input.topic", in, "output.topic", out, "dlq.topic", dlq, "dropped.topic", "reg-dropped",
            "model.path", "models/demo.onnx", "engine", "cpu", "num.stream.threads", "2",
            "state.dir", "target/tmp/streams-registry-it", RegistryConfig.URL, registry.url()))) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "pipeline running");
            // the schema change rolls out while the detector runs: a new producer with v2 (a new optional field)
            // next to an old one still writing v1, both registry-framed
            produce("py-v2", "registry", "workshop/src/test/resources/schemas/FrameEnvelope-v2.avsc", 0,
                List.of("--set", "lens=wide"), List.of(jpegs.get(0), jpegs.get(1), segment), in);
            produce("py-reg", "registry", "schemas/FrameEnvelope.avsc", 4, List.of(), jpegs.subList(4, 6), in);
            final int expected = 4 + 4 + 1 + (2 + 8) + 2;

            final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> l.size() >= expected, Duration.ofSeconds(180), Duration.ofSeconds(2));
            assertEquals(expected, got.size(), "one FrameDetections per frame, none dead-lettered: dlq="
                + app.metrics().deadLettersByReason());
            assertEquals(0, app.metrics().deadLetters());
            final WireFormat wire = app.config().wireFormat();
            final int detectionsId = wire.schemaId(out, FrameDetections.class);
            final Set<String> frames = new HashSet<>();
            int boxes = 0;
            for (final ConsumerRecord<byte[], byte[]> r : got) {
                assertEquals(0, r.value()[0], "registry magic byte");
                assertEquals(detectionsId, ByteBuffer.wrap(r.value(), 1, 4).getInt(), "schema id of " + out + "-value");
                final FrameDetections d = wire.deserializer(FrameDetections.class).deserialize(out, r.value());
                assertTrue(frames.add(frameKey(d.getCameraId(), d.getSegmentSequence(), d.getFrameIndex())));
                boxes += d.getDetections().size();
            }
            assertTrue(boxes > 0, "the demo model finds shapes in the synthetic frames");
            assertEquals("BACKWARD", client.compatibility(out + "-value"), "rule set on the output subject");
            assertEquals(0, Topics.readCommitted(kafka.bootstrapServers(), dlq, l -> false, Duration.ofMillis(1500),
                Duration.ZERO).size(), "nothing dead-lettered");

            // consumers outside this code base read every detection of the run
            assertEquals(frames, pythonConsumer(kafka, out, expected), "Python consumer (python3-confluent-kafka)");
            assertEquals(frames, javaConsumer(kafka, out, expected), "Java consumer example");
            kcatReadsTheFraming(kafka, out, expected, detectionsId);
        }
    }

    /**
     * {@code ./mfs ingest} with {@code schema.registry.url} writes the frames topic in the registry wire format under
     * {@code <topic>-value}, so registry-aware tools read the camera records too; a registry down at its start is the
     * same clear error as the detector's, before any camera starts.
     */
    @Test
    void ingestWritesFramesInTheRegistryFormat(@TempDir final Path dir) throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String topic = "reg-ingest-frames";
        kafka.createTopics(1, topic);
        // 2 s at 15 fps, a key frame every second: two segments
        Files.write(dir.resolve("clip.ts"), TestMedia.segment(30, 320, 240, MediaEncoder.Container.MPEG_TS, 15));
        final Map<String, String> props = props("bootstrap.servers", kafka.bootstrapServers(), "topic", topic,
            "cameras", "door", "camera.door.url", "clip.ts", "source.schemes", "file", "source.file.root",
            dir.toString(), "source.file.realtime", "false", "segment.ms", "1000", "sequence.origin", "zero",
            RegistryConfig.URL, registry.url());
        try (Ingest ingest = Ingest.start(IngestConfig.of(props))) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ingest.health("door").state() != CameraHealth.State.FINISHED && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(CameraHealth.State.FINISHED, ingest.health("door").state());
        }
        final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(), topic,
            l -> l.size() >= 2, Duration.ofSeconds(30), Duration.ofSeconds(1));
        assertEquals(2, got.size());
        final Schema written = FrameEnvelope.getClassSchema();
        try (SchemaRegistryClient client = new SchemaRegistryClient(new RegistryConfig(Map.of(RegistryConfig.URL,
                registry.url())));
             WireFormat wire = WireFormat.of(Map.of(RegistryConfig.URL, registry.url()))) {
            final int id = client.lookup(topic + "-value", written);
            for (final ConsumerRecord<byte[], byte[]> r : got) {
                assertEquals(0, r.value()[0], "registry magic byte");
                assertEquals(id, ByteBuffer.wrap(r.value(), 1, 4).getInt(), "the id registered under " + topic
                    + "-value");
                final FrameEnvelope env = wire.deserializer(FrameEnvelope.class).deserialize(topic, r.value());
                assertEquals("door", env.getCameraId());
                assertEquals("video/mp2t", env.getContentType());
            }
        }

        final int closed = ApicurioRegistry.freePort();
        props.put(RegistryConfig.URL, "http://127.0.0.1:" + closed);
        props.put(RegistryConfig.USER_INFO, "alice:s3cret-pw");
        props.put(RegistryConfig.RETRY_MAX, "300");
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> Ingest.start(IngestConfig.of(props)).close());
        assertTrue(e.getMessage().contains("cannot start with the schema registry at [http://127.0.0.1:" + closed)
            && e.getMessage().contains("unset " + RegistryConfig.URL), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    }

    @Test
    void registryDownAtStartIsOneClearErrorWithoutCredentials() {
        final int closed = ApicurioRegistry.freePort();
        final Map<String, String> props = new HashMap<>(Map.of("bootstrap.servers", "127.0.0.1:1",
            "model.path", "models/tiny-centernet.onnx", RegistryConfig.URL,
            "http://bob:hunter22@127.0.0.1:" + closed + "/apis/ccompat/v7", RegistryConfig.AUTH_SOURCE, "URL",
            RegistryConfig.RETRY_MAX, "300"));
        final IOException e = assertThrows(IOException.class, () -> DetectionApp.start(props).close());
        final String m = e.getMessage();
        assertTrue(m.contains("cannot start with the schema registry") && m.contains("unset " + RegistryConfig.URL)
            && m.contains("127.0.0.1:" + closed), m);
        assertFalse(m.contains("hunter22") || m.contains("bob"), "no credentials in: " + m);

        props.put(RegistryConfig.AUTH_SOURCE, "USER_INFO");
        props.put(RegistryConfig.USER_INFO, "alice:s3cret-pw");
        props.put(RegistryConfig.URL, "http://127.0.0.1:" + closed);
        final String m2 = assertThrows(IOException.class, () -> DetectionApp.start(props).close()).getMessage();
        assertFalse(m2.contains("s3cret-pw"), m2);
        final String dump = new PipelineConfig(props).values().toString();
        assertTrue(dump.contains(RegistryConfig.USER_INFO + "=[hidden]") && !dump.contains("s3cret-pw"), dump);
    }

    @Test
    void registryHangingWhileRunningDelaysARecordButNeverLosesOrMisframesIt() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String in = "outage-frames";
        final String out = "outage-detections";
        final String dlq = "outage-dlq";
        kafka.createTopics(1, in, out, dlq, "outage-dropped");
        try (ApicurioRegistry own = ApicurioRegistry.start();
             DetectionApp app = DetectionApp.start(props(
                 "bootstrap.servers", kafka.bootstrapServers(), "application.id", "registry-outage-it",
                 "input.topic", in, "output.topic", out, "dlq.topic", dlq, "dropped.topic", "outage-dropped",
                 "model.path", "models/tiny-centernet.onnx", "engine", "cpu", "num.stream.threads", "1",
                 "state.dir", "target/tmp/streams-registry-outage-it", RegistryConfig.URL, own.url(),
                 RegistryConfig.RETRY_MAX, "2000", RegistryConfig.REQUEST_TIMEOUT, "2000"))) {
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "pipeline running");
            // a camera registers its schema (an id the detector has not seen yet), then the registry hangs
            final WireFormat camera = WireFormat.of(Map.of(RegistryConfig.URL, own.url()));
            camera.prepare(in, FrameEnvelope.class);
            own.freeze();
            final byte[] jpeg = TestMedia.jpeg(160, 96);
            final List<byte[][]> records = new ArrayList<>();
            for (int seq = 0; seq < 2; seq++) {
                records.add(new byte[][] {Topics.utf8("outage"), camera.serializer(FrameEnvelope.class).serialize(in,
                    Envelopes.envelope("outage", seq, "image/jpeg", jpeg))});
            }
            Topics.send(kafka.bootstrapServers(), in, records);

            // while it is down: nothing out, nothing dead-lettered (the record is fine, only the registry is not)
            final List<ConsumerRecord<byte[], byte[]>> during = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> false, Duration.ofSeconds(8), Duration.ZERO);
            assertEquals(0, during.size(), "no detection without the writer schema");
            assertEquals(0, app.metrics().deadLetters(), "a registry outage is not a dead letter");

            // back: the waiting record is read, analysed and published once
            own.thaw();
            final List<ConsumerRecord<byte[], byte[]>> after = Topics.readCommitted(kafka.bootstrapServers(), out,
                l -> l.size() >= 2, Duration.ofSeconds(120), Duration.ofSeconds(3));
            assertEquals(2, after.size(), "each record exactly once after the registry came back");
            final Set<Long> seqs = new HashSet<>();
            for (final ConsumerRecord<byte[], byte[]> r : after) {
                assertEquals(0, r.value()[0]);
                seqs.add(app.config().wireFormat().deserializer(FrameDetections.class).deserialize(out, r.value())
                    .getSegmentSequence());
            }
            assertEquals(Set.of(0L, 1L), seqs);
            assertEquals(0, app.metrics().deadLetters());
        }
    }

    /**
     * Basic auth and TLS with the Confluent client's keys, against the real registry behind an authenticating https
     * proxy (how registries are often deployed; Apicurio 2.6 itself authenticates only through an OIDC server). The
     * proxy is the JDK's HttpsServer with a certificate made here by keytool.
     */
    @Test
    void basicAuthAndTlsUseTheClientKeysAndNeverShowTheSecret() throws Exception {
        final Path keystore = WORK.resolve("proxy-" + System.nanoTime() + ".p12");
        final Path truststore = WORK.resolve("trust-" + System.nanoTime() + ".p12");
        final Path cert = WORK.resolve("proxy-" + System.nanoTime() + ".crt");
        final String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(List.of(keytool, "-genkeypair", "-alias", "proxy", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
            "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
            keystore.toString(), "-storepass", "changeit"), 60);
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", "proxy", "-keystore", keystore.toString(), "-storepass",
            "changeit", "-file", cert.toString()), 60);
        run(List.of(keytool, "-importcert", "-noprompt", "-alias", "proxy", "-file", cert.toString(), "-storetype",
            "PKCS12", "-keystore", truststore.toString(), "-storepass", "trustpass"), 60);
        try (AuthenticatingProxy proxy = AuthenticatingProxy.start(keystore, "changeit", registry.port(),
            "alice:s3cret-pw")) {
            final String url = "https://127.0.0.1:" + proxy.port() + "/apis/ccompat/v7";
            final Map<String, String> tls = Map.of(RegistryConfig.URL, url,
                RegistryConfig.TRUSTSTORE_LOCATION, truststore.toString(),
                RegistryConfig.TRUSTSTORE_PASSWORD, "trustpass", RegistryConfig.RETRY_MAX, "300");
            final Map<String, String> ok = new HashMap<>(tls);
            ok.put(RegistryConfig.USER_INFO, "alice:s3cret-pw");
            final FrameDropped value = FrameDropped.newBuilder().setCameraId("tls").setSegmentSequence(3)
                .setFrameIndex(1).setFrameTimestamp(java.time.Instant.ofEpochSecond(1_700_000_000L))
                .setReason("test").build();
            final byte[] bytes = WireFormat.of(ok).serializer(FrameDropped.class).serialize("tls-dropped", value);
            assertEquals(0, bytes[0]);
            // a fresh client (nothing cached) fetches the writer schema by id through TLS and basic auth
            assertEquals(value, WireFormat.of(ok).deserializer(FrameDropped.class).deserialize("tls-dropped", bytes));
            assertTrue(proxy.authorized() >= 2, "requests went through the proxy");

            final Map<String, String> wrong = new HashMap<>(tls);
            wrong.put(RegistryConfig.USER_INFO, "alice:not-the-pw");
            final SchemaRegistryException denied = assertThrows(SchemaRegistryException.class,
                () -> WireFormat.of(wrong).prepare("tls-dropped-2", FrameDropped.class));
            assertEquals(401, denied.status());
            assertTrue(denied.getMessage().contains(RegistryConfig.USER_INFO), denied.getMessage());
            assertFalse(denied.getMessage().contains("not-the-pw"), denied.getMessage());

            final Map<String, String> untrusted = new HashMap<>(ok);
            untrusted.remove(RegistryConfig.TRUSTSTORE_LOCATION);
            untrusted.remove(RegistryConfig.TRUSTSTORE_PASSWORD);
            final RuntimeException noTrust = assertThrows(RuntimeException.class,
                () -> WireFormat.of(untrusted).prepare("tls-dropped-3", FrameDropped.class));
            assertFalse(noTrust.getMessage().contains("s3cret-pw"), noTrust.getMessage());
        }
    }

    // --- the examples, run as a user would run them -------------------------------------------------------------

    private static void produce(final String camera, final String framing, final String schema, final int firstSeq,
                                final List<String> extra, final List<Path> files, final String topic)
        throws Exception {
        final List<String> cmd = new ArrayList<>(List.of(PYTHON, "examples/python/produce_frames.py",
            "--bootstrap", SharedKafka.get().bootstrapServers(), "--camera", camera, "--topic", topic,
            "--framing", framing, "--registry", registry.url(), "--schema", schema,
            "--first-sequence", Integer.toString(firstSeq)));
        cmd.addAll(extra);
        files.forEach(f -> cmd.add(f.toString()));
        run(cmd, 60);
    }

    private static Set<String> pythonConsumer(final EmbeddedKafka kafka, final String topic, final int expected)
        throws Exception {
        final String stdout = run(List.of(PYTHON, "examples/python/consume_detections.py", "--bootstrap",
            kafka.bootstrapServers(), "--registry", registry.url(), "--topic", topic, "--max-records",
            Integer.toString(expected), "--idle-seconds", "10"), 90);
        return framesListed(stdout, "\"camera\": \"([^\"]+)\", \"segment\": (\\d+), \"frame\": (\\d+)", expected);
    }

    private static Set<String> javaConsumer(final EmbeddedKafka kafka, final String topic, final int expected)
        throws Exception {
        final String cp = Files.readString(Path.of("workshop/target/runtime.classpath")).strip()
            + ":common/target/classes";
        final String stdout = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", cp, "examples/java/ConsumeDetections.java", kafka.bootstrapServers(), registry.url(), topic,
            Integer.toString(expected), "10"), 90);
        return framesListed(stdout, "^(\\S+) segment=(\\d+) frame=(\\d+) ", expected);
    }

    /** The camera/segment/frame of every line of a consumer's output, checked to be one line per record. */
    private static Set<String> framesListed(final String stdout, final String regex, final int expected) {
        final Pattern p = Pattern.compile(regex);
        final Set<String> out = new HashSet<>();
        int lines = 0;
        for (final String line : stdout.split("\n")) {
            final Matcher m = p.matcher(line);
            if (m.find()) {
                lines++;
                out.add(frameKey(m.group(1), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3))));
            }
        }
        assertEquals(expected, lines, "one line per record:\n" + stdout);
        return out;
    }

    /**
     * Debian's kcat is built without Avro/registry support ({@code -s value=avro} says so), so it reads the raw
     * records: every one must carry the registry framing with the detections subject's id.
     */
    private static void kcatReadsTheFraming(final EmbeddedKafka kafka, final String topic, final int expected,
                                            final int id) throws Exception {
        final String stdout = run(List.of("kcat", "-C", "-b", kafka.bootstrapServers(), "-t", topic, "-e", "-q",
            "-X", "isolation.level=read_committed", "-s", "value=>bI", "-f", "%k %s\\n"), 60);
        final List<String> lines = stdout.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(expected, lines.size(), stdout);
        for (final String l : lines) {
            // the pack format prints the fields back to back: the magic byte "0", then the id in decimal
            assertTrue(l.endsWith(" 0" + id),
                "magic 0 and schema id " + id + " in: " + l);
        }
    }

    private static String run(final List<String> cmd, final int timeoutSeconds) throws Exception {
        final Path log = Files.createTempFile(WORK, "proc", ".out");
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectOutput(log.toFile())
            .redirectError(ProcessBuilder.Redirect.appendTo(WORK.resolve("stderr.log").toFile()))
            .start();
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), "timed out: " + cmd);
        final String stdout = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), cmd + " failed (stderr in " + WORK.resolve("stderr.log") + "):\n" + stdout);
        return stdout;
    }

    private static List<Path> jpegs(final int n) throws IOException {
        final List<Path> out = new ArrayList<>();
        for (final SyntheticCamera.Frame f : TestMedia.frames(11, n, 320, 240)) {
            final Path p = WORK.resolve("frame-" + f.index() + ".jpg");
            Files.write(p, MediaEncoder.jpeg(f.rgb(), f.width(), f.height()));
            out.add(p);
        }
        return out;
    }

    private static Schema parse(final String path) throws IOException {
        return new Schema.Parser().parse(Files.readString(Path.of(path)));
    }

    private static Map<String, String> props(final String... keyValues) {
        final Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static String frameKey(final String camera, final long segment, final int frame) {
        return camera + "/" + segment + "/" + frame;
    }
}
