package io.mobileformer.streams.security;

import io.mobileformer.streams.chaos.ChildJvm;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.ingest.IngestCommand;
import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.testing.Topics;
import io.mobileformer.streams.topology.DetectionApp;
import io.mobileformer.streams.topology.RunCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The production configuration, {@code config/cluster.properties}, on a broker that asks for it: a SASL_SSL listener
 * (SCRAM-SHA-512 over TLS with a certificate made here by {@code keytool}), an authorizer that denies what no ACL
 * allows, and the least-privilege ACLs the README lists for the detector and for ingest. Both run as child JVMs
 * ({@code ./mfs run} and {@code ./mfs ingest} entry points) with their secrets in the environment only; their logs
 * (Kafka's configuration dumps included) must not contain any secret. The same with mutual TLS instead of SCRAM
 * ({@code config/cluster-mtls.properties}, certificate principals).
 */
class SecurityIT {
    private static final String APP = "mfs-detector";      // application.id of config/cluster.properties

    @Test
    void detectorAndIngestRunWithLeastPrivilegeOverSaslSsl() throws Exception {
        final Path dir = Files.createDirectories(Path.of("target/tmp/security-it-" + System.currentTimeMillis()));
        final String storePass = "ks-" + UUID.randomUUID();
        final String trustPass = "ts-" + UUID.randomUUID();
        final String detectorPass = "det-" + UUID.randomUUID();
        final String ingestPass = "ing-" + UUID.randomUUID();
        final Path keystore = dir.resolve("broker.p12");
        final Path truststore = dir.resolve("truststore.p12");
        Certificates.selfSigned(keystore, storePass, truststore, trustPass);

        final Map<String, String> broker = new HashMap<>();
        broker.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        // the PLAINTEXT and CONTROLLER listeners are the broker's own (and this test's set-up): their principal is
        // ANONYMOUS; every client of the SASL_SSL listener is subject to ACLs
        broker.put("super.users", "User:ANONYMOUS");
        broker.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        broker.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        broker.put("listener.name.sasl_ssl.ssl.keystore.location", keystore.toAbsolutePath().toString());
        broker.put("listener.name.sasl_ssl.ssl.keystore.password", storePass);
        broker.put("listener.name.sasl_ssl.ssl.key.password", storePass);
        broker.put("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory(dir.toAbsolutePath(), "kafka"), true,
            broker, true); Admin admin = kafka.admin()) {
            admin.alterUserScramCredentials(List.of(
                new UserScramCredentialUpsertion("detector", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512,
                    8192), detectorPass),
                new UserScramCredentialUpsertion("ingest", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512,
                    8192), ingestPass))).all().get(30, TimeUnit.SECONDS);
            admin.createAcls(LeastPrivilege.detector(APP, "frames", "detections", "frames.dlq", "frames.dropped"))
                .all().get(30, TimeUnit.SECONDS);
            admin.createAcls(LeastPrivilege.ingest("frames")).all().get(30, TimeUnit.SECONDS);

            final Map<String, String> detectorClient = sasl(kafka, truststore, trustPass, "detector", detectorPass);

            // 1. without CREATE, a start that must create topics fails once, naming each topic and its limit
            final Map<String, String> props = new HashMap<>(detectorClient);
            props.putAll(Map.of("application.id", APP, "topics.create", "true", "model.path",
                "models/tiny-centernet.onnx", "engine", "cpu", "state.dir", dir.resolve("state-0").toString()));
            final IllegalStateException noCreate = assertThrows(IllegalStateException.class,
                () -> DetectionApp.start(props).close());
            final String msg = noCreate.getMessage();
            assertTrue(msg.contains("the principal lacks CREATE"), msg);
            for (final String t : List.of("frames (max.message.bytes=17825792)", "frames.dlq (max.message.bytes="
                + "17825792)", "detections", "frames.dropped")) {
                assertTrue(msg.contains(t), "names " + t + ": " + msg);
            }

            // 2. an operator with CREATE makes them
            admin.createTopics(List.of(new NewTopic("frames", 2, (short) 1).configs(Map.of("max.message.bytes",
                    "17825792")), new NewTopic("detections", 2, (short) 1),
                new NewTopic("frames.dlq", 2, (short) 1).configs(Map.of("max.message.bytes", "17825792")),
                new NewTopic("frames.dropped", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            kafka.createTopics(2, "frames", "detections", "frames.dlq", "frames.dropped");   // waits for leaders

            // 3. the detector from config/cluster.properties, ingest (a file camera) as its own principal
            final List<Path> logs = detectAndIngest(kafka, dir, "config/cluster.properties", Map.of(
                "MFS_BOOTSTRAP_SERVERS", kafka.secureBootstrapServers(),
                "MFS_SSL_TRUSTSTORE_LOCATION", truststore.toAbsolutePath().toString(),
                "MFS_SSL_TRUSTSTORE_PASSWORD", trustPass,
                "MFS_SASL_JAAS_CONFIG", jaas("detector", detectorPass)), List.of("security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512", "ssl.truststore.type=PKCS12", "ssl.truststore.location="
                    + truststore.toAbsolutePath()), Map.of(
                "MFS_BOOTSTRAP_SERVERS", kafka.secureBootstrapServers(),
                "MFS_SSL_TRUSTSTORE_PASSWORD", trustPass,
                "MFS_SASL_JAAS_CONFIG", jaas("ingest", ingestPass)));

            // 4. least privilege: ingest may write frames, not read detections
            assertCannotReadDetections(sasl(kafka, truststore, trustPass, "ingest", ingestPass));

            // 5. no secret in any log, though Kafka's configuration dumps are there
            assertNoSecret(logs, "sasl.jaas.config", List.of(detectorPass, ingestPass, trustPass, storePass));
        }
    }

    /**
     * mTLS as the option to SCRAM: an SSL listener that requires a client certificate signed by the cluster's CA (all
     * made here by {@code keytool}), whose CN is the principal ({@code CN=detector,…} is {@code User:detector}), with
     * the same least-privilege ACLs. The detector runs from {@code config/cluster-mtls.properties} with its passwords
     * only in the environment; a client without a certificate, or with one no trusted CA signed, is refused.
     */
    @Test
    void detectorAndIngestRunWithLeastPrivilegeOverMutualTls() throws Exception {
        final Path dir = Files.createDirectories(Path.of("target/tmp/mtls-it-" + System.currentTimeMillis()));
        final String roguePass = "rog-" + UUID.randomUUID();
        final Certificates.Pki pki = Certificates.Pki.make(dir, "detector", "ingest");
        final Path truststore = pki.truststore();
        final String trustPass = pki.trustPassword();
        final Path brokerStore = pki.brokerStore();
        final String brokerPass = pki.brokerPassword();
        final Path detectorStore = pki.clientStores().get("detector");
        final String detectorPass = pki.clientPasswords().get("detector");
        final Path ingestStore = pki.clientStores().get("ingest");
        final String ingestPass = pki.clientPasswords().get("ingest");
        // the detector's name on a certificate that the cluster's CA never signed
        final Path rogueStore = dir.resolve("rogue.p12");
        Certificates.selfSignedKey(rogueStore, "CN=detector", roguePass, null);

        final Map<String, String> broker = Map.of(
            "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users", "User:ANONYMOUS");     // the PLAINTEXT listener: the broker itself and this set-up
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory(dir.toAbsolutePath(), "kafka"), true,
            broker, false, new EmbeddedKafka.MutualTls(brokerStore, brokerPass, truststore, trustPass));
             Admin admin = kafka.admin()) {
            admin.createAcls(LeastPrivilege.detector(APP, "frames", "detections", "frames.dlq", "frames.dropped"))
                .all().get(30, TimeUnit.SECONDS);
            admin.createAcls(LeastPrivilege.ingest("frames")).all().get(30, TimeUnit.SECONDS);
            kafka.createTopics(2, "frames", "detections", "frames.dlq", "frames.dropped");

            // 1. no certificate, or one that no trusted CA signed: the handshake fails, with an error that says so
            final Map<String, String> noCertificate = Map.of("bootstrap.servers", kafka.mtlsBootstrapServers(),
                "security.protocol", "SSL", "ssl.truststore.location", truststore.toAbsolutePath().toString(),
                "ssl.truststore.password", trustPass, "ssl.truststore.type", "PKCS12");
            for (final Map<String, String> refused : List.of(noCertificate, ssl(kafka, truststore, trustPass,
                rogueStore, roguePass))) {
                final ExecutionException e = assertThrows(ExecutionException.class, () -> {
                    try (Admin a = Admin.create(new HashMap<>(refused))) {
                        a.describeCluster().nodes().get(60, TimeUnit.SECONDS);
                    }
                }, "refused: " + refused.keySet());
                // TLS 1.3 ends the client's side of the handshake before the broker checks its certificate: the
                // refusal comes as the broker's alert, which Kafka reports as an authentication failure
                assertInstanceOf(SslAuthenticationException.class, e.getCause(), String.valueOf(e.getCause()));
                final String why = String.valueOf(e.getCause().getCause());
                assertTrue(why.matches("(?s).*Received fatal alert: (bad_certificate|certificate_unknown"
                    + "|certificate_required|unknown_ca).*"), why);
            }

            // 2. the detector from config/cluster-mtls.properties, ingest with its own certificate
            final List<Path> logs = detectAndIngest(kafka, dir, "config/cluster-mtls.properties", Map.of(
                "MFS_BOOTSTRAP_SERVERS", kafka.mtlsBootstrapServers(),
                "MFS_SSL_KEYSTORE_LOCATION", detectorStore.toAbsolutePath().toString(),
                "MFS_SSL_KEYSTORE_PASSWORD", detectorPass,
                "MFS_SSL_KEY_PASSWORD", detectorPass,
                "MFS_SSL_TRUSTSTORE_LOCATION", truststore.toAbsolutePath().toString(),
                "MFS_SSL_TRUSTSTORE_PASSWORD", trustPass), List.of("security.protocol=SSL",
                "ssl.keystore.type=PKCS12", "ssl.keystore.location=" + ingestStore.toAbsolutePath(),
                "ssl.truststore.type=PKCS12", "ssl.truststore.location=" + truststore.toAbsolutePath()), Map.of(
                "MFS_BOOTSTRAP_SERVERS", kafka.mtlsBootstrapServers(),
                "MFS_SSL_KEYSTORE_PASSWORD", ingestPass,
                "MFS_SSL_KEY_PASSWORD", ingestPass,
                "MFS_SSL_TRUSTSTORE_PASSWORD", trustPass));

            // 3. the ACLs hold for certificate principals: ingest's may write frames, not read detections
            assertCannotReadDetections(ssl(kafka, truststore, trustPass, ingestStore, ingestPass));

            // 4. no secret in any log
            assertNoSecret(logs, "ssl.keystore.password", List.of(trustPass, brokerPass, detectorPass,
                ingestPass, roguePass));
        }
    }

    /**
     * Runs the detector ({@code ./mfs run --config detectorConfig}) and ingest of a 30-frame file camera as child
     * JVMs, each with its secrets only in its environment, and waits for 30 committed detection records.
     *
     * @param ingestSecurity the ingest file's security lines
     * @return the two logs
     */
    private static List<Path> detectAndIngest(final EmbeddedKafka kafka, final Path dir, final String detectorConfig,
                                              final Map<String, String> detectorSecurityEnv,
                                              final List<String> ingestSecurity,
                                              final Map<String, String> ingestEnv) throws Exception {
        final Map<String, String> detectorEnv = new HashMap<>(detectorSecurityEnv);
        detectorEnv.putAll(Map.of("MFS_MODEL_PATH", "models/tiny-centernet.onnx", "MFS_ENGINE", "cpu",
            "MFS_NUM_STREAM_THREADS", "1", "MFS_REPLICATION_FACTOR", "1", "MFS_TOPICS_REPLICATION_FACTOR", "1",
            "MFS_STATE_DIR", dir.resolve("state").toString(), "MFS_INSTANCE_NAME", "detector-1"));
        final List<String> infoLogs = List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.StreamsConfig=info");
        // a file camera, 30 frames in 1 s segments
        Files.write(dir.resolve("clip.ts"), TestMedia.segment(30, 160, 96, Container.MPEG_TS, 15));
        final Path ingestCfg = dir.resolve("ingest.properties");
        final List<String> ingestLines = new ArrayList<>(List.of("topic=frames", "cameras=gate",
            "camera.gate.url=clip.ts", "source.schemes=file", "source.file.root=" + dir.toAbsolutePath(),
            "source.file.realtime=false", "segment.ms=1000"));
        ingestLines.addAll(ingestSecurity);
        Files.writeString(ingestCfg, String.join("\n", ingestLines));
        final Path detectorLog = dir.resolve("detector.log");
        final Path ingestLog = dir.resolve("ingest.log");
        try (ChildJvm detector = ChildJvm.start("detector", RunCommand.class, List.of("--config", detectorConfig),
                 detectorLog, "384m", infoLogs, detectorEnv);
             ChildJvm ingest = ChildJvm.start("ingest", IngestCommand.class, List.of("--config",
                 ingestCfg.toString(), "--seconds", "20"), ingestLog, "256m", infoLogs, ingestEnv)) {
            final List<ConsumerRecord<byte[], byte[]>> got = Topics.readCommitted(kafka.bootstrapServers(),
                "detections", l -> l.size() >= 30, Duration.ofSeconds(150), Duration.ofSeconds(3));
            assertEquals(30, got.size(), "one detection record per ingested frame; logs in " + dir);
            assertEquals(0, ingest.await(60_000), "ingest ends cleanly after its seconds; log " + ingestLog);
            assertEquals(143, detector.stop(60), "SIGTERM closes the detector cleanly");
        }
        return List.of(detectorLog, ingestLog);
    }

    /** A consumer of {@code client} may not read the detections (no READ on the topic or any group). */
    private static void assertCannotReadDetections(final Map<String, String> client) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(client)) {
            c.subscribe(List.of("detections"));
            assertThrows(KafkaException.class, () -> {
                for (int i = 0; i < 50; i++) {
                    c.poll(Duration.ofMillis(200));
                }
            }, "the ingest principal has no READ on detections or any group");
        }
    }

    /** The logs show Kafka's configuration dump (with {@code dumpedKey = [hidden]}) and none of the secrets. */
    private static void assertNoSecret(final List<Path> logs, final String dumpedKey, final List<String> secrets)
        throws IOException {
        for (final Path log : logs) {
            final String text = Files.readString(log);
            assertTrue(text.contains(dumpedKey + " = [hidden]"), "the configuration dump is logged: " + log);
            for (final String secret : secrets) {
                assertFalse(text.contains(secret), "a secret leaked into " + log);
            }
        }
    }

    private static Map<String, String> ssl(final EmbeddedKafka kafka, final Path truststore, final String trustPass,
                                           final Path keystore, final String keyPass) {
        return Map.of("bootstrap.servers", kafka.mtlsBootstrapServers(), "security.protocol", "SSL",
            "ssl.keystore.location", keystore.toAbsolutePath().toString(), "ssl.keystore.password", keyPass,
            "ssl.key.password", keyPass, "ssl.keystore.type", "PKCS12",
            "ssl.truststore.location", truststore.toAbsolutePath().toString(), "ssl.truststore.password", trustPass,
            "ssl.truststore.type", "PKCS12");
    }

    private static String jaas(final String user, final String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";";
    }

    private static Map<String, String> sasl(final EmbeddedKafka kafka, final Path truststore, final String trustPass,
                                            final String user, final String password) {
        return Map.of("bootstrap.servers", kafka.secureBootstrapServers(), "security.protocol", "SASL_SSL",
            "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", jaas(user, password),
            "ssl.truststore.location", truststore.toAbsolutePath().toString(), "ssl.truststore.password", trustPass,
            "ssl.truststore.type", "PKCS12");
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final Map<String, String> client) {
        final Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "ingest-snoop");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The ACLs of the README's table, as bindings. */
    static final class LeastPrivilege {
        private LeastPrivilege() {
        }

        static List<AclBinding> detector(final String applicationId, final String input, final String... outputs) {
            final List<AclBinding> acls = new ArrayList<>();
            acls.add(allow("detector", ResourceType.TOPIC, input, PatternType.LITERAL, AclOperation.READ));
            acls.add(allow("detector", ResourceType.TOPIC, input, PatternType.LITERAL, AclOperation.DESCRIBE));
            for (final String o : outputs) {
                acls.add(allow("detector", ResourceType.TOPIC, o, PatternType.LITERAL, AclOperation.WRITE));
                acls.add(allow("detector", ResourceType.TOPIC, o, PatternType.LITERAL, AclOperation.DESCRIBE));
            }
            acls.add(allow("detector", ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ));
            acls.add(allow("detector", ResourceType.TRANSACTIONAL_ID, applicationId + "-", PatternType.PREFIXED,
                AclOperation.WRITE));
            acls.add(allow("detector", ResourceType.TRANSACTIONAL_ID, applicationId + "-", PatternType.PREFIXED,
                AclOperation.DESCRIBE));
            return acls;
        }

        static List<AclBinding> ingest(final String topic) {
            return List.of(allow("ingest", ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE),
                allow("ingest", ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.DESCRIBE));
        }

        private static AclBinding allow(final String user, final ResourceType type, final String name,
                                        final PatternType pattern, final AclOperation op) {
            return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + user, "*",
                op, AclPermissionType.ALLOW));
        }
    }
}
