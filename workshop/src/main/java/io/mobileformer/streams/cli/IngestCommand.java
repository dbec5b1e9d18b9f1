package io.mobileformer.streams.cli;

import io.mobileformer.streams.config.ConfigFiles;
import io.mobileformer.streams.ingest.CameraHealth;
import io.mobileformer.streams.ingest.Ingest;
import io.mobileformer.streams.ingest.IngestConfig;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./mfs ingest --config config/ingest.properties [--seconds N]}: publishes the configured cameras to Kafka
 * until SIGTERM/Ctrl-C (or for N seconds), then stops the cameras, publishes the segments they hold and waits for Kafka
 * to acknowledge them. {@code --config-docs} prints the ingest settings reference (Markdown).
 */
public final class IngestCommand {
    static final String USAGE = "ingest --config <file> [--seconds N] | ingest --config-docs";

    private IngestCommand() {
    }

    /** Runs the command on its own ({@code java -cp ... io.mobileformer.streams.cli.IngestCommand --config f}). */
    public static void main(final String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    public static int run(final String[] argv, final PrintStream out) throws Exception {
        final Args a = new Args(argv, Set.of("config", "seconds"), Set.of("config-docs"));
        if (a.flag("config-docs")) {
            out.print(ConfigFiles.markdownReference(IngestConfig.CONFIG));
            return 0;
        }
        final IngestConfig config = IngestConfig.load(List.of(Path.of(a.require("config"))), System.getenv());
        final int seconds = a.getInt("seconds", 0);
        final CountDownLatch stop = new CountDownLatch(1);
        try (Ingest ingest = Ingest.start(config)) {
            final Thread hook = new Thread(() -> {
                ingest.close();
                stop.countDown();
            }, "mfs-ingest-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.printf("ingesting %d camera(s) to topic '%s'; %s%n", config.cameraIds().size(),
                config.getString(IngestConfig.TOPIC), seconds > 0 ? "stopping after " + seconds + " s"
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
