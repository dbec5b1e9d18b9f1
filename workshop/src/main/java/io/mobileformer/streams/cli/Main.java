package io.mobileformer.streams.cli;

import io.mobileformer.streams.ingest.IngestCommand;
import io.mobileformer.streams.topology.PipelineConfig;
import io.mobileformer.streams.topology.RunCommand;
import io.mobileformer.streams.view.ViewCommand;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs <command>}: the launcher's entry point. Every command is a picocli {@link Command} whose options are
 * declared on its fields, so {@code ./mfs help} and {@code ./mfs <command> --help} are generated from what each
 * command accepts and cannot drift from it.
 *
 * <p>Exit codes: 0 fine; 1 a command failed (its message and stack trace on standard error); 2 a usage error (unknown
 * option, missing or malformed value, invalid configuration), named on standard error with the command's usage.
 */
@Command(name = "mfs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Streaming object detection on Apache Kafka (Mobile-Former on ONNX Runtime or the pure-Java engine).",
    commandListHeading = "%nCommands:%n",
    footer = {"", "Run ./mfs <command> --help for a command's options; the Kafka and pipeline settings of run are "
        + "documented by ./mfs config-docs."},
    subcommands = {DemoCommand.class, RunCommand.class, IngestCommand.class, ViewCommand.class, BrokerCommand.class,
        Main.Bench.class, ModelCommand.class, ChaosCommand.class, FuzzCommand.class, SoakCommand.class,
        EvalCommand.class, EngineCommand.class, GpuCheckCommand.class, Main.ConfigDocs.class, HelpCommand.class})
public final class Main implements Runnable {
    /** The model of the demo and the pipeline benchmark when none is named, as help text. */
    static final String DEFAULT_MODEL = "models/demo.onnx, or models/tiny-centernet.onnx without it";

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required command");
    }

    /** {@code ./mfs bench <what>}. */
    @Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks, each printing its ratios.",
        subcommands = {BenchPipelineCommand.class, BenchDecodeCommand.class, BenchEnginesCommand.class,
            BenchViewCommand.class})
    static final class Bench implements Runnable {
        @Spec
        private CommandSpec spec;

        @Override
        public void run() {
            throw new ParameterException(spec.commandLine(), "Missing required benchmark: pipeline, decode, engines or view");
        }
    }

    /** {@code ./mfs config-docs}: the configuration reference, generated from {@link PipelineConfig}. */
    @Command(name = "config-docs", mixinStandardHelpOptions = true,
        description = "Print the configuration reference of run (Markdown), generated from the declared settings.")
    static final class ConfigDocs implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(PipelineConfig.markdownReference());
            return 0;
        }
    }

    /** The version of this build, from the jar manifest when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"mobileformer-streams " + (v == null ? "(development build)" : v)};
        }
    }

    private Main() {
    }

    static Path defaultModel() {
        return Files.exists(Path.of("models/demo.onnx")) ? Path.of("models/demo.onnx")
            : Path.of("models/tiny-centernet.onnx");
    }

    public static void main(final String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true)));
    }

    /** The command line with every command, writing normal output to {@code out}. */
    static CommandLine commandLine(final PrintWriter out) {
        final CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof ConfigException) {
                line.getErr().println("error: " + e.getMessage());
                return 2;
            }
            line.getErr().println("error: " + e);
            e.printStackTrace(line.getErr());
            return 1;
        });
        return cl;
    }

    /** Runs {@code args} as {@code ./mfs} would and returns the exit code. */
    public static int run(final String[] args, final PrintWriter out) {
        try {
            return commandLine(out).execute(args);
        } finally {
            out.flush();
        }
    }

    /**
     * Parses {@code args} and calls the chosen command directly, so its exceptions reach the caller (tests assert on
     * them); usage errors throw {@link ParameterException}.
     */
    public static int call(final PrintWriter out, final String... args) throws Exception {
        ParseResult parsed = commandLine(out).parseArgs(args);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        final Object command = parsed.commandSpec().userObject();
        try {
            if (command instanceof Callable<?> c) {
                return (Integer) c.call();
            }
            ((Runnable) command).run();
            return 0;
        } finally {
            out.flush();
        }
    }
}
