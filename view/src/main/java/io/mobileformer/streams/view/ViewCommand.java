package io.mobileformer.streams.view;

import io.mobileformer.streams.topology.ConfigLoader;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./mfs view --config config/<env>.properties --pipeline processors/<name>.properties}: the live view of a
 * running pipeline, read from its topics, until SIGTERM/Ctrl-C. The same files as {@code ./mfs run}: the Kafka
 * connection, the topics, the decode limits and the sampling all come from there.
 */
@Command(name = "view", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = {"Serve a live, read-only web view of a pipeline: every camera's latest frame with its boxes, "
        + "labels, scores and track ids, its frame rate, latency and engine, the latest events and dead letters.",
        "Authentication from the environment: MFS_VIEW_USER + MFS_VIEW_PASSWORD (basic auth) and/or MFS_VIEW_TOKEN "
            + "(Authorization: Bearer)."})
public final class ViewCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE",
        description = "Where: Kafka connection and security (config/<env>.properties), as for run.")
    private Path config;
    @Option(names = "--pipeline", paramLabel = "FILE",
        description = "What: the pipeline's topics, decode limits and sampling (processors/<name>.properties); "
            + "repeat it to view several pipelines on one page.")
    private List<Path> pipelines = new ArrayList<>();
    @Option(names = "--port", defaultValue = "8090", description = "Port to serve on (0: any free port).")
    private int port;
    @Option(names = "--bind", defaultValue = "127.0.0.1",
        description = "Address to serve on. Loopback by default: to expose the view, bind 0.0.0.0 behind "
            + "authentication (MFS_VIEW_*) and, across networks, a TLS proxy.")
    private String bind;
    @Option(names = "--max-fps", defaultValue = "2",
        description = "Frames drawn per camera per second, at most (each one is fetched and decoded).")
    private double maxFps;
    @Option(names = "--min-score", defaultValue = "0",
        description = "Boxes scoring below this are not drawn (0: every detection the pipeline published).")
    private double minScore;
    @Spec
    private CommandSpec spec;

    /** The view's own entry point: {@code java -cp <view and its libraries> io.mobileformer.streams.view.ViewCommand}.
     */
    public static void main(final String[] args) {
        System.exit(new CommandLine(new ViewCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final List<List<Path>> runs = new ArrayList<>();
        if (pipelines.isEmpty()) {
            runs.add(List.of(config));
        }
        for (final Path p : pipelines) {
            runs.add(List.of(config, p));
        }
        final List<ViewSources> sources = new ArrayList<>();
        ConfigLoader.Settings first = null;
        for (final List<Path> files : runs) {
            final ConfigLoader.Settings s = ConfigLoader.load(files, System.getenv());
            first = first == null ? s : first;
            sources.add(ViewSources.of(s.pipeline()));
        }
        final LiveView.Options opts = new LiveView.Options(bind, port, ViewAuth.fromEnv(System.getenv()), maxFps,
            minScore);
        if (!opts.auth().required() && !isLoopback(bind)) {
            out.println("WARNING: serving on " + bind + " without authentication: anyone who can reach it sees every "
                + "camera (set MFS_VIEW_USER and MFS_VIEW_PASSWORD, or MFS_VIEW_TOKEN)");
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        try (LiveView view = LiveView.start(clientSettings(first.properties()), sources, opts)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                view.close();
                stopped.countDown();
            }, "mfs-view-shutdown"));
            out.println(view.describe() + "; topics " + sources.stream().flatMap(s -> s.all().stream()).toList()
                + "; stop with Ctrl-C or SIGTERM");
            out.flush();
            stopped.await();
        }
        return 0;
    }

    private static boolean isLoopback(final String bind) {
        return bind.equals("localhost") || bind.startsWith("127.") || bind.equals("::1");
    }


    /**
     * The consumer settings among a deployment's keys: plain client keys (bootstrap, security, SASL, SSL) and
     * {@code consumer.}-prefixed overrides; Kafka Streams' own keys are not for a plain consumer.
     */
    public static Map<String, Object> clientSettings(final Map<String, String> props) {
        final Map<String, Object> out = new LinkedHashMap<>();
        final var names = ConsumerConfig.configNames();
        ConfigLoader.kafkaOnly(props).forEach((k, v) -> {
            if (names.contains(k)) {
                out.put(k, v);
            }
        });
        ConfigLoader.kafkaOnly(props).forEach((k, v) -> {
            if (k.startsWith("consumer.") && names.contains(k.substring("consumer.".length()))) {
                out.put(k.substring("consumer.".length()), v);
            }
        });
        return out;
    }
}
