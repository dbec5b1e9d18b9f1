package io.mobileformer.streams.security;

import io.mobileformer.streams.chaos.ChildJvm;
import io.mobileformer.streams.cli.Main;
import io.mobileformer.streams.testing.ApicurioRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./mfs broker --tls-port}: the edge broker with a mutual-TLS client listener, run as its own process the way
 * a container runs it, its store passwords only in the environment. A client with a certificate the CA signed
 * produces and consumes; one without a certificate is refused; the log holds no password.
 */
class BrokerTlsIT {

    @Test
    void theBrokerCommandServesMutualTlsClientsAndRefusesTheRest() throws Exception {
        final Path dir = Files.createDirectories(Path.of("target/tmp/broker-tls-it-" + System.currentTimeMillis()));
        final Certificates.Pki pki = Certificates.Pki.make(dir, "detector");
        final Path truststore = pki.truststore();
        final String trustPass = pki.trustPassword();
        final Path brokerStore = pki.brokerStore();
        final String brokerPass = pki.brokerPassword();
        final Path clientStore = pki.clientStores().get("detector");
        final String clientPass = pki.clientPasswords().get("detector");

        final int tlsPort = ApicurioRegistry.freePort();
        final Path log = dir.resolve("broker.log");
        final ChildJvm broker = ChildJvm.start("broker", Main.class, List.of("broker", "--data",
                dir.resolve("data").toString(), "--port", Integer.toString(ApicurioRegistry.freePort()),
                "--controller-port", Integer.toString(ApicurioRegistry.freePort()), "--tls-port",
                Integer.toString(tlsPort), "--tls-keystore", brokerStore.toString(), "--tls-truststore",
                truststore.toString()), log, "512m", List.of(),
            Map.of("MFS_BROKER_KEYSTORE_PASSWORD", brokerPass, "MFS_BROKER_TRUSTSTORE_PASSWORD", trustPass));
        try {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(log).contains("broker ready") && broker.alive() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            final String started = Files.readString(log);
            assertTrue(started.contains("broker ready") && started.contains("127.0.0.1:" + tlsPort + " (SSL, client "
                + "certificates required)") && started.contains("(PLAINTEXT, bound to 127.0.0.1)"), started);

            final Map<String, Object> client = new HashMap<>(Map.of("bootstrap.servers", "127.0.0.1:" + tlsPort,
                "security.protocol", "SSL", "ssl.truststore.location", truststore.toAbsolutePath().toString(),
                "ssl.truststore.password", trustPass, "ssl.truststore.type", "PKCS12"));
            // no certificate: the handshake is refused
            final ExecutionException refused = assertThrows(ExecutionException.class, () -> {
                try (Admin a = Admin.create(new HashMap<>(client))) {
                    a.describeCluster().nodes().get(60, TimeUnit.SECONDS);
                }
            });
            assertInstanceOf(SslAuthenticationException.class, refused.getCause(), String.valueOf(refused.getCause()));

            client.putAll(Map.of("ssl.keystore.location", clientStore.toAbsolutePath().toString(),
                "ssl.keystore.password", clientPass, "ssl.key.password", clientPass, "ssl.keystore.type", "PKCS12"));
            try (Admin a = Admin.create(new HashMap<>(client))) {
                a.createTopics(List.of(new NewTopic("edge-frames", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            }
            final Map<String, Object> producer = new HashMap<>(client);
            try (KafkaProducer<String, String> p = new KafkaProducer<>(producer, new StringSerializer(),
                new StringSerializer())) {
                p.send(new ProducerRecord<>("edge-frames", "door", "over mutual TLS")).get(60, TimeUnit.SECONDS);
            }
            final Map<String, Object> consumer = new HashMap<>(client);
            consumer.put(ConsumerConfig.GROUP_ID_CONFIG, "broker-tls-it");
            consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            final List<String> got = new ArrayList<>();
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumer, new StringDeserializer(),
                new StringDeserializer())) {
                c.subscribe(List.of("edge-frames"));
                final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (got.isEmpty() && System.nanoTime() < until) {
                    for (final ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                        got.add(r.key() + "=" + r.value());
                    }
                }
            }
            assertEquals(List.of("door=over mutual TLS"), got);
        } finally {
            // 143: ended by SIGTERM after its shutdown hook closed the broker; 137 would be the kill after 60 s
            final int rc = broker.stop(60);
            assertTrue(rc == 143 || rc == 0, "the broker stops on SIGTERM, exit " + rc);
        }
        final String text = Files.readString(log);
        for (final String secret : List.of(trustPass, brokerPass, clientPass)) {
            assertFalse(text.contains(secret), "a password leaked into the broker's log");
        }
    }

    @Test
    void aTlsPortWithoutItsFilesAndPasswordsNamesEveryMissingPiece() {
        final ParameterException e = assertThrows(ParameterException.class, () -> Main.call(
            new PrintWriter(OutputStream.nullOutputStream()), "broker", "--tls-port", "9094", "--tls-keystore",
            "no/such/broker.p12"));
        final String m = e.getMessage();
        assertTrue(m.contains("--tls-keystore no/such/broker.p12 is not a readable file")
            && m.contains("--tls-truststore FILE") && m.contains("MFS_BROKER_KEYSTORE_PASSWORD")
            && m.contains("MFS_BROKER_TRUSTSTORE_PASSWORD"), m);
    }
}
