package io.mobileformer.streams.ingest;

import io.mobileformer.streams.observe.MetricsEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./mfs ingest --config config/ingest.example.properties [--seconds N]} (a copy of it, edited): publishes the configured cameras to Kafka
 * until SIGTERM/Ctrl-C (or for N seconds), then stops the cameras, publishes the segments they hold and waits for Kafka
 * to acknowledge them. {@code --config-docs} prints the ingest settings reference (Markdown).
 */
@Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Cameras (rtsp, rtsps, http(s), files) to the frames topic, with reconnects.")
public final class IngestCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Ingest settings: cameras, topic, Kafka connection "
        + "(start from config/ingest.example.properties; every key: --config-docs).")
    private Path config;
    @Option(names = "--seconds", defaultValue = "0",
        description = "Stop after this many seconds (0: at SIGTERM/Ctrl-C).")
    private int seconds;
    @Option(names = "--config-docs", description = "Print the ingest settings reference (Markdown) and exit.")
    private boolean configDocs;
    @Spec
    private CommandSpec spec;

    /**
     * Ingest's own entry point, as the container image runs it ({@code java -cp <ingest and its libraries>
     * io.mobileformer.streams.ingest.IngestCommand --config f}); {@code ./mfs ingest} is the same command.
     */
    public static void main(final String[] args) {
        System.exit(new CommandLine(new IngestCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        if (configDocs) {
            out.print(IngestConfig.markdownReference());
            return 0;
        }
        if (config == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--config=FILE'");
        }
        final IngestConfig settings = IngestConfig.load(List.of(config), System.getenv());
        final CountDownLatch stop = new CountDownLatch(1);
        // the endpoint first: probes get a 503 while cameras and the producer start, not a refused connection
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(settings.metrics());
             Ingest ingest = Ingest.start(settings)) {
            ingest.observe(endpoint);
            final Thread hook = new Thread(() -> {
                endpoint.shuttingDown();
                ingest.close();
                stop.countDown();
            }, "mfs-ingest-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("ingesting %d camera(s) to topic '%s'; %s%n", settings.cameraIds().size(),
                settings.getString(IngestConfig.TOPIC), seconds > 0 ? "stopping after " + seconds + " s"
                    : "stop with Ctrl-C or SIGTERM");
            if (seconds > 0) {
                stop.await(seconds, TimeUnit.SECONDS);
                ingest.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (final IllegalStateException alreadyShuttingDown) {
                    // the hook ran (SIGTERM during the wait): nothing left to remove
                }
            } else {
                stop.await();
            }
            for (final CameraHealth.Snapshot s : ingest.snapshots()) {
                out.println(s.logLine());
            }
            return ingest.snapshots().stream().anyMatch(s -> s.state() == CameraHealth.State.FAILED) ? 1 : 0;
        }
    }
}
