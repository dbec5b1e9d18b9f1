package io.mobileformer.streams.cli;

import io.mobileformer.engine.conformance.Conformance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./mfs engine <what>}: the pure-Java engine on its own. */
@Command(name = "engine", mixinStandardHelpOptions = true, description = "The pure-Java engine on its own.",
    subcommands = {EngineCommand.ConformanceCommand.class})
public final class EngineCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required command: conformance");
    }

    /**
     * {@code ./mfs engine conformance [--dir DIR]}: ONNX's backend node tests on the Java engine, with the runner the
     * engine's {@code OnnxConformanceTest} uses. Prints {@code CONFORMANCE ops=<n> tests=<n> passed=<n> ...} and every
     * failed or refused test by name; exits 1 when any test of a claimed operator fails.
     */
    @Command(name = "conformance", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "ONNX's node tests (Debian libonnx-testdata) on the Java engine: CONFORMANCE ops= tests= passed=.")
    static final class ConformanceCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", description = "A node/ directory of ONNX backend tests.")
        private Path dir = Conformance.DEFAULT_NODE_DIR;
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            final PrintWriter out = spec.commandLine().getOut();
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("no ONNX node tests at " + dir + ": run scripts/install-test-data.sh "
                    + "(installs Debian's libonnx-testdata) or name a directory with --dir");
            }
            final Conformance.Report report = Conformance.run(dir);
            out.print(report.summary());
            return report.failures().isEmpty() ? 0 : 1;
        }
    }
}
