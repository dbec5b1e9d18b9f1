package io.mobileformer.streams.cli;

import io.mobileformer.streams.topology.ConfigLoader;
import io.mobileformer.streams.topology.DetectionApp;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./mfs run --config config/<env>.properties --pipeline processors/<name>.properties}: the detection topology
 * against any Kafka cluster, until SIGTERM/Ctrl-C (which closes Kafka Streams cleanly: in-flight work commits or
 * aborts, nothing is half published).
 */
final class RunCommand {
    private RunCommand() {
    }

    static int run(final String[] argv, final PrintStream out) throws Exception {
        final Args a = new Args(argv, Set.of("config", "pipeline"), Set.of());
        final List<Path> files = new ArrayList<>();
        files.add(Path.of(a.require("config")));
        if (a.get("pipeline", null) != null) {
            files.add(Path.of(a.get("pipeline", null)));
        }
        final Map<String, String> props = ConfigLoader.load(files, System.getenv());
        final CountDownLatch stopped = new CountDownLatch(1);
        try (DetectionApp app = DetectionApp.start(props)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
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
