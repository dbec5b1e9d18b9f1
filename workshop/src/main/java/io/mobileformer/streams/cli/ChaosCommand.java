package io.mobileformer.streams.cli;

import io.mobileformer.streams.chaos.ChaosRun;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs chaos}: the fault run of {@link ChaosRun} (SIGKILLed detector JVMs, an added and a removed instance, a
 * broker restart) against an embedded broker of its own, ending with one {@code CHAOS ...} line. Exit code 1 when
 * anything was lost or duplicated.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Faults against real processes and a real broker; verifies exactly-once with an independent "
        + "read_committed consumer and ends with a CHAOS line.")
public final class ChaosCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "180", description = "How long input flows.")
    private int seconds;
    @Option(names = "--kills", defaultValue = "4", description = "SIGKILLs of the first instance (first half).")
    private int kills;
    @Option(names = "--rate", defaultValue = "4", description = "Input records per second.")
    private double rate;
    @Option(names = "--membership", defaultValue = "static",
        description = "static (instance.name set) or dynamic.")
    private String membership;
    @Option(names = "--group-protocol", defaultValue = "classic",
        description = "classic or streams (the Streams rebalance protocol).")
    private String groupProtocol;
    @Option(names = "--work-dir", defaultValue = "target/chaos", description = "Instance configs, logs and state.")
    private Path workDir;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!membership.equals("static") && !membership.equals("dynamic")) {
            throw new IllegalArgumentException("--membership must be static or dynamic, not " + membership);
        }
        final PrintWriter out = spec.commandLine().getOut();
        Files.createDirectories(workDir);
        final ChaosRun.Result r;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory(workDir.toAbsolutePath(),
            "kafka-"), true)) {
            r = ChaosRun.run(new ChaosRun.Settings(Duration.ofSeconds(seconds), kills, membership.equals("static"),
                groupProtocol, rate, workDir.resolve("run-" + System.currentTimeMillis())), kafka, out);
        }
        out.println(r.line());
        return r.tally().lost() == 0 && r.tally().duplicates() == 0 ? 0 : 1;
    }
}
