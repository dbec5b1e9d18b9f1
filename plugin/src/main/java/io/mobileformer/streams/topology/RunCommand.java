package io.mobileformer.streams.topology;

import io.mobileformer.streams.observe.MetricsEndpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./mfs run --config config/<env>.properties --pipeline processors/<name>.properties}: the detection topology
 * against any Kafka cluster, until SIGTERM/Ctrl-C (which closes Kafka Streams cleanly: in-flight work commits or
 * aborts, nothing is half published).
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Run the detection topology against a Kafka cluster until SIGTERM/Ctrl-C.")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "Where and how: Kafka connection and security, engine, threads (config/<env>.properties).")
    private Path config;
    @Option(names = "--pipeline", paramLabel = "FILE",
        description = "What: topics, model, sampling, batching, thresholds (processors/<name>.properties).")
    private Path pipeline;
    @Spec
    private CommandSpec spec;

    /**
     * The plugin's own entry point, as the container image runs it ({@code java -cp <plugin and its libraries>
     * io.mobileformer.streams.topology.RunCommand --config f}); {@code ./mfs run} is the same command.
     */
    public static void main(final String[] args) {
        System.exit(new CommandLine(new RunCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final List<Path> files = new ArrayList<>();
        files.add(config);
        if (pipeline != null) {
            files.add(pipeline);
        }
        final ConfigLoader.Settings settings = ConfigLoader.load(files, System.getenv());
        final CountDownLatch stopped = new CountDownLatch(1);
        // the endpoint first: while the model loads and Kafka Streams starts, probes get a 503, not a refused connection
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(settings.pipeline().metrics());
             DetectionApp app = DetectionApp.start(settings)) {
            app.observe(endpoint);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                endpoint.shuttingDown();
                app.close();
                stopped.countDown();
            }, "mfs-shutdown"));
            out.println("running " + app.contract() + "; stop with Ctrl-C or SIGTERM");
            while (stopped.getCount() > 0) {
                Thread.sleep(10_000);
                out.printf("records %d, frames %d, detections %d, dead letters %d %s, state %s%n",
                    app.metrics().records(), app.metrics().frames(), app.metrics().detections(),
                    app.metrics().deadLetters(), app.metrics().deadLettersByReason(), app.state());
            }
        }
        return 0;
    }
}
