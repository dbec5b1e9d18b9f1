package io.mobileformer.streams.embedded;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process) started in this JVM, for the demo and the
 * integration tests. Not a mock: it is {@code kafka.server.KafkaRaftServer} from {@code kafka_2.13}, formatted with
 * {@code StorageTool} like a production node.
 *
 * <p>Settings a single node needs: every internal topic at replication factor 1 and min ISR 1 (otherwise exactly-once
 * Kafka Streams waits in REBALANCING forever, with no error), few partitions for the internal topics (fast start), and
 * large message limits (video segments).
 */
public final class EmbeddedKafka implements AutoCloseable {
    public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

    /**
     * {@code ssl.principal.mapping.rules} of the mutual-TLS listener: the first RDN's CN, when the subject starts with
     * one; any other subject stays the whole distinguished name (which no ACL names).
     */
    public static final String MTLS_PRINCIPAL_RULES = "RULE:^CN=([^,]+)(,.*)?$/$1/,DEFAULT";

    private final Path dir;
    private final boolean deleteOnClose;
    private final int brokerPort;
    private final int securePort;
    private final int mtlsPort;
    private final Properties config;
    private KafkaRaftServer server;
    private final String bootstrapHost;
    private boolean closed;

    private EmbeddedKafka(final Path dir, final boolean deleteOnClose, final String bootstrapHost,
                          final int brokerPort, final int securePort, final int mtlsPort, final Properties config,
                          final KafkaRaftServer server) {
        this.dir = dir;
        this.deleteOnClose = deleteOnClose;
        this.bootstrapHost = bootstrapHost;
        this.brokerPort = brokerPort;
        this.securePort = securePort;
        this.mtlsPort = mtlsPort;
        this.config = config;
        this.server = server;
    }

    /** Starts a broker with its data in a fresh temporary directory, deleted on close. */
    public static EmbeddedKafka start() throws IOException {
        return start(Files.createTempDirectory("mfs-kafka-"), true);
    }

    public static EmbeddedKafka start(final Path dir, final boolean deleteOnClose) throws IOException {
        return start(dir, deleteOnClose, Listeners.loopback(freePort(), freePort()));
    }

    /**
     * Where the broker listens and what it tells clients to connect to. The tests and the demo use {@link #loopback};
     * {@code ./mfs broker} in a container binds every interface and advertises the name other containers know it by.
     */
    public record Listeners(String bindHost, int brokerPort, int controllerPort, String advertisedHost) {
        public static Listeners loopback(final int brokerPort, final int controllerPort) {
            return new Listeners("127.0.0.1", brokerPort, controllerPort, "127.0.0.1");
        }
    }

    /**
     * Starts a broker with its data in {@code dir}; a directory formatted by an earlier run is reused with its topics
     * (a restarted broker container keeps its data).
     */
    public static EmbeddedKafka start(final Path dir, final boolean deleteOnClose, final Listeners l)
        throws IOException {
        return start(dir, deleteOnClose, l, Map.of(), false, null);
    }

    /**
     * A broker on {@code l} that also listens for mutual-TLS clients ({@code ./mfs broker --tls-port}); see
     * {@link #start(Path, boolean, Map, boolean, MutualTls)} for what the listener checks.
     */
    public static EmbeddedKafka start(final Path dir, final boolean deleteOnClose, final Listeners l,
                                      final MutualTls tls) throws IOException {
        return start(dir, deleteOnClose, l, Map.of(), false, tls);
    }

    /**
     * A loopback broker with more settings.
     *
     * @param overrides         broker settings applied last (an authorizer, TLS key stores, SASL mechanisms)
     * @param saslSslListener   also listen for SASL_SSL clients on a port of its own
     *                          ({@link #secureBootstrapServers()}); the PLAINTEXT listener stays for the broker itself
     *                          and for set-up by a super user
     */
    public static EmbeddedKafka start(final Path dir, final boolean deleteOnClose, final Map<String, String> overrides,
                                      final boolean saslSslListener) throws IOException {
        return start(dir, deleteOnClose, Listeners.loopback(freePort(), freePort()), overrides, saslSslListener, null);
    }

    /**
     * The key store that identifies the broker and the trust store of the authority whose client certificates it
     * accepts, for an SSL listener with mutual TLS, and its port (0: a free one). All PKCS12. The listener binds and
     * advertises the same host as the PLAINTEXT one ({@link Listeners}).
     */
    public record MutualTls(Path keystore, String keystorePassword, Path truststore, String truststorePassword,
                            int port) {
        /** On a free port. */
        public MutualTls(final Path keystore, final String keystorePassword, final Path truststore,
                         final String truststorePassword) {
            this(keystore, keystorePassword, truststore, truststorePassword, 0);
        }

        @Override
        public String toString() {
            return "MutualTls[keystore=" + keystore + ", truststore=" + truststore + "]";
        }
    }

    /**
     * A loopback broker that also listens for mutual-TLS clients on an SSL listener of its own
     * ({@link #mtlsBootstrapServers()}): a client must present a certificate signed by an authority in
     * {@code tls.truststore()}, and its principal is the certificate's CN ({@code CN=detector,O=…} is
     * {@code User:detector}; {@link #MTLS_PRINCIPAL_RULES}), so ACLs name the same users as with SASL.
     *
     * @param overrides       as for {@link #start(Path, boolean, Map, boolean)}, applied last
     * @param saslSslListener as for {@link #start(Path, boolean, Map, boolean)}
     */
    public static EmbeddedKafka start(final Path dir, final boolean deleteOnClose, final Map<String, String> overrides,
                                      final boolean saslSslListener, final MutualTls tls) throws IOException {
        return start(dir, deleteOnClose, Listeners.loopback(freePort(), freePort()), overrides, saslSslListener, tls);
    }

    private static EmbeddedKafka start(final Path dir, final boolean deleteOnClose, final Listeners l,
                                       final Map<String, String> overrides, final boolean saslSslListener,
                                       final MutualTls tls)
        throws IOException {
        final int securePort = saslSslListener ? freePort() : -1;
        final int mtlsPort = tls == null ? -1 : tls.port() > 0 ? tls.port() : freePort();
        final int brokerPort = l.brokerPort();
        final int controllerPort = l.controllerPort();
        final Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        final Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + l.bindHost() + ":" + brokerPort + ",CONTROLLER://127.0.0.1:"
            + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + l.advertisedHost() + ":" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logs.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.streams.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        p.put("replica.fetch.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
        p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        if (saslSslListener) {
            p.put("listeners", p.get("listeners") + ",SASL_SSL://127.0.0.1:" + securePort);
            p.put("advertised.listeners", p.get("advertised.listeners") + ",SASL_SSL://127.0.0.1:" + securePort);
            p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + ",SASL_SSL:SASL_SSL");
        }
        if (tls != null) {
            p.put("listeners", p.get("listeners") + ",SSL://" + l.bindHost() + ":" + mtlsPort);
            p.put("advertised.listeners", p.get("advertised.listeners") + ",SSL://" + l.advertisedHost() + ":"
                + mtlsPort);
            p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + ",SSL:SSL");
            // per-listener keys: the SASL_SSL listener (its own key store, no client certificates) is unaffected
            p.put("listener.name.ssl.ssl.client.auth", "required");
            p.put("listener.name.ssl.ssl.principal.mapping.rules", MTLS_PRINCIPAL_RULES);
            p.put("listener.name.ssl.ssl.keystore.type", "PKCS12");
            p.put("listener.name.ssl.ssl.keystore.location", tls.keystore().toAbsolutePath().toString());
            p.put("listener.name.ssl.ssl.keystore.password", tls.keystorePassword());
            p.put("listener.name.ssl.ssl.key.password", tls.keystorePassword());
            p.put("listener.name.ssl.ssl.truststore.type", "PKCS12");
            p.put("listener.name.ssl.ssl.truststore.location", tls.truststore().toAbsolutePath().toString());
            p.put("listener.name.ssl.ssl.truststore.password", tls.truststorePassword());
        }
        p.putAll(overrides);
        final Path cfgFile = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(cfgFile)) {
            p.store(out, "mobileformer-streams embedded broker");
        }
        format(cfgFile);
        final KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p, false), Time.SYSTEM);
        server.startup();
        final EmbeddedKafka k = new EmbeddedKafka(dir, deleteOnClose, l.advertisedHost(), brokerPort, securePort, mtlsPort, p,
            server);
        k.awaitReady();
        return k;
    }

    private static void format(final Path cfgFile) throws IOException {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        final int rc;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                cfgFile.toString(), "--ignore-formatted"}, ps);
        }
        if (rc != 0) {
            throw new IOException("formatting the embedded broker's storage failed (" + rc + "): " + buf);
        }
    }

    private void awaitReady() throws IOException {
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
        } catch (final Exception e) {
            close();
            throw new IOException("embedded broker did not become ready: " + e.getMessage(), e);
        }
    }

    /**
     * Stops the broker the way a node is restarted in a rolling upgrade (a controlled shutdown: logs flushed,
     * leadership given up) and starts it again on the same ports and the same log directory. Clients see their
     * connections drop and reconnect; committed data and open transactions survive. For fault tests.
     *
     * @param down how long the broker stays down
     */
    public synchronized void restart(final java.time.Duration down) throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("restarting a closed embedded broker");
        }
        server.shutdown();
        server.awaitShutdown();
        Thread.sleep(down.toMillis());
        server = new KafkaRaftServer(new KafkaConfig(config, false), Time.SYSTEM);
        server.startup();
        awaitReady();
    }

    /** The SASL_SSL listener's address; only for a broker started with one. */
    public String secureBootstrapServers() {
        if (securePort < 0) {
            throw new IllegalStateException("this embedded broker was started without a SASL_SSL listener");
        }
        return "127.0.0.1:" + securePort;
    }

    /** The mutual-TLS listener's address; only for a broker started with {@link MutualTls}. */
    public String mtlsBootstrapServers() {
        if (mtlsPort < 0) {
            throw new IllegalStateException("this embedded broker was started without a mutual-TLS listener");
        }
        return bootstrapHost + ":" + mtlsPort;
    }

    public String bootstrapServers() {
        return bootstrapHost + ":" + brokerPort;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates topics (ignoring ones that exist) with large message limits. */
    public void createTopics(final int partitions, final String... names) {
        try (Admin admin = admin()) {
            final List<NewTopic> topics = Stream.of(names).map(n -> new NewTopic(n, partitions, (short) 1)
                .configs(Map.of("max.message.bytes", Integer.toString(MAX_MESSAGE_BYTES)))).toList();
            for (final var f : admin.createTopics(topics).values().values()) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitLeaders(admin, List.of(names));
        } catch (final Exception e) {
            throw new IllegalStateException("creating topics failed: " + e.getMessage(), e);
        }
    }

    /**
     * Waits until every partition of {@code names} has a leader. Creation returns before the broker leads the new
     * partitions; a producer that writes at once gets NOT_LEADER_OR_FOLLOWER, and on a loaded machine its idempotent
     * retries were seen to end in OUT_OF_ORDER_SEQUENCE until the delivery timeout dropped the records.
     */
    private static void awaitLeaders(final Admin admin, final List<String> names) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                final boolean led = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values()
                    .stream().allMatch(t -> t.partitions().stream().allMatch(p -> p.leader() != null
                        && !p.leader().isEmpty()));
                if (led) {
                    return;
                }
            } catch (final ExecutionException e) {
                // the broker's metadata may not know a topic created a moment ago: ask again
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no leader for every partition of " + names + " after 30 s");
            }
            Thread.sleep(50);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> {
                    try {
                        Files.deleteIfExists(f);
                    } catch (final IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (final IOException | UncheckedIOException e) {
                // a leftover temp dir is not worth failing shutdown for
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
