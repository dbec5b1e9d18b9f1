package io.mobileformer.streams.cli;

import io.mobileformer.streams.embedded.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        Files.createDirectories(data);
        final CountDownLatch stopped = new CountDownLatch(1);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(data, false,
            new EmbeddedKafka.Listeners(bind, port, controllerPort, advertisedHost))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                kafka.close();
                stopped.countDown();
            }, "mfs-broker-stop"));
            out.println("broker ready on " + kafka.bootstrapServers() + " (data in " + data.toAbsolutePath()
                + "); stop with Ctrl-C or SIGTERM");
            stopped.await();
        }
        return 0;
    }
}
