package io.mobileformer.streams.cli;

import io.mobileformer.streams.embedded.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./mfs broker}: the demo's one-node KRaft broker as a long-running process, so the images and the compose file
 * need no broker image from elsewhere. Fine for an edge box or a trial; a production cluster wants replicated brokers.
 */
@Command(name = "broker", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Run a one-node Kafka broker (KRaft) until SIGTERM/Ctrl-C; its data survives a restart.")
public final class BrokerCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", description = "Log and metadata folder (kept between runs).",
        defaultValue = "target/broker")
    private Path data;
    @Option(names = "--port", description = "Client port.", defaultValue = "9092")
    private int port;
    @Option(names = "--controller-port", description = "KRaft controller port (loopback only).",
        defaultValue = "9093")
    private int controllerPort;
    @Option(names = "--bind", paramLabel = "HOST", description = "Interface the client port listens on.",
        defaultValue = "0.0.0.0")
    private String bind;
    @Option(names = "--advertised-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
        description = "Host name clients are told to connect to (the compose service name, e.g. kafka).")
    private String advertisedHost;
    @Option(names = "--tls-port", paramLabel = "PORT",
        description = "Also listen for mutual-TLS clients (security.protocol=SSL with a client certificate; "
            + "config/cluster-mtls.properties) on this port, bound and advertised like the client port. The "
            + "PLAINTEXT client port then binds to loopback unless --bind is given. Needs --tls-keystore, "
            + "--tls-truststore and the passwords in MFS_BROKER_KEYSTORE_PASSWORD and MFS_BROKER_TRUSTSTORE_PASSWORD.")
    private Integer tlsPort;
    @Option(names = "--tls-keystore", paramLabel = "FILE",
        description = "PKCS12 key store with the broker's key and certificate (its name as clients connect to it).")
    private Path tlsKeystore;
    @Option(names = "--tls-truststore", paramLabel = "FILE",
        description = "PKCS12 trust store of the authority that signs client certificates; a client's principal is "
            + "its certificate's CN (User:<CN>).")
    private Path tlsTruststore;
    @Spec
    private CommandSpec spec;

    /** Environment variables of the key and trust store passwords: never arguments, which {@code ps} shows. */
    static final String KEYSTORE_PASSWORD_ENV = "MFS_BROKER_KEYSTORE_PASSWORD";
    static final String TRUSTSTORE_PASSWORD_ENV = "MFS_BROKER_TRUSTSTORE_PASSWORD";

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final EmbeddedKafka.MutualTls tls = tls(System.getenv());
        // with clients on mutual TLS, an open PLAINTEXT port would let anyone in around it: it stays for the broker's
        // own use on loopback unless the operator binds it on purpose
        final String plainBind = tls != null && !spec.commandLine().getParseResult().hasMatchedOption("--bind")
            ? "127.0.0.1" : bind;
        Files.createDirectories(data);
        final CountDownLatch stopped = new CountDownLatch(1);
        final EmbeddedKafka.Listeners listeners = new EmbeddedKafka.Listeners(plainBind, port, controllerPort,
            advertisedHost);
        try (EmbeddedKafka kafka = tls == null ? EmbeddedKafka.start(data, false, listeners)
            : EmbeddedKafka.start(data, false, listeners, tls)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                kafka.close();
                stopped.countDown();
            }, "mfs-broker-stop"));
            out.println("broker ready on " + kafka.bootstrapServers() + (tls == null ? ""
                : " (PLAINTEXT, bound to " + plainBind + ") and " + kafka.mtlsBootstrapServers() + " (SSL, client "
                + "certificates required)") + " (data in " + data.toAbsolutePath() + "); stop with Ctrl-C or SIGTERM");
            out.flush();
            stopped.await();
        }
        return 0;
    }

    /** The mutual-TLS listener's settings, or null without {@code --tls-port}; every missing piece named at once. */
    private EmbeddedKafka.MutualTls tls(final Map<String, String> env) {
        if (tlsPort == null) {
            if (tlsKeystore != null || tlsTruststore != null) {
                throw new ParameterException(spec.commandLine(), "--tls-keystore and --tls-truststore need --tls-port");
            }
            return null;
        }
        final List<String> missing = new ArrayList<>();
        if (tlsPort < 1 || tlsPort > 65535) {
            missing.add("--tls-port must be 1-65535, not " + tlsPort);
        }
        for (final Map.Entry<String, Path> f : List.of(
            Map.entry("--tls-keystore", tlsKeystore == null ? Path.of("") : tlsKeystore),
            Map.entry("--tls-truststore", tlsTruststore == null ? Path.of("") : tlsTruststore))) {
            if (f.getValue().toString().isEmpty()) {
                missing.add(f.getKey() + " FILE");
            } else if (!Files.isReadable(f.getValue())) {
                missing.add(f.getKey() + " " + f.getValue() + " is not a readable file");
            }
        }
        for (final String v : List.of(KEYSTORE_PASSWORD_ENV, TRUSTSTORE_PASSWORD_ENV)) {
            if (env.get(v) == null || env.get(v).isEmpty()) {
                missing.add("the environment variable " + v);
            }
        }
        if (!missing.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--tls-port needs: " + String.join("; ", missing));
        }
        return new EmbeddedKafka.MutualTls(tlsKeystore, env.get(KEYSTORE_PASSWORD_ENV), tlsTruststore,
            env.get(TRUSTSTORE_PASSWORD_ENV), tlsPort);
    }
}
