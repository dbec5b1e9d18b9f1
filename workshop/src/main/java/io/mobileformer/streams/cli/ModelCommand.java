package io.mobileformer.streams.cli;

import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;
import io.mobileformer.engine.ModelStats;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.model.ModelContract;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code mfs model info <file>} and {@code mfs model parity <file> [--batch n] [--threads n]}.
 *
 * <p>{@code info} prints {@code format=<f> params=<n> madds=<n> ops=<a,b,...>} and then one line per label
 * ({@code label=<index> <name>}). {@code parity} runs ONNX Runtime CPU and the Java engine on the same seeded random
 * batch and prints {@code output=<name> max_abs_diff=<x>} per output and then {@code max_abs_diff=<x>}; the exit code
 * is 1 when that exceeds {@value #TOLERANCE} (the bound the Java engine's tests hold it to).
 *
 * <p>Exit codes: 0 fine, 1 parity failed, 2 usage error or a model that cannot be loaded.
 */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Inspect an ONNX model.",
    subcommands = {ModelCommand.Info.class, ModelCommand.Parity.class})
public final class ModelCommand implements Runnable {
    public static final double TOLERANCE = 1e-4;

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand: info or parity");
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
        description = "Format, parameters, MAdds and operators, then one line per label.")
    static final class Info implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "ONNX model.")
        private Path file;
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            return reportingLoadErrors(spec, out -> info(file, out));
        }
    }

    @Command(name = "parity", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "ONNX Runtime CPU vs the Java engine on one seeded random batch: max_abs_diff per output; "
            + "exit code 1 above " + TOLERANCE + ".")
    static final class Parity implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "ONNX model.")
        private Path file;
        @Option(names = "--batch", defaultValue = "2", description = "Images in the batch.")
        private int batch;
        @Option(names = "--threads", defaultValue = "1", description = "Java engine threads.")
        private int threads;
        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            return reportingLoadErrors(spec, out -> parity(file, batch, threads, out));
        }
    }

    /** What a subcommand does with the model, writing to {@code out}. */
    @FunctionalInterface
    private interface ModelAction {
        int run(PrintWriter out) throws IOException, EngineException;
    }

    /** Runs {@code action}; a model that cannot be read or loaded is exit code 2 with its message, as documented. */
    private static int reportingLoadErrors(final CommandSpec spec, final ModelAction action) {
        final PrintWriter out = spec.commandLine().getOut();
        try {
            return action.run(out);
        } catch (final IOException | EngineException e) {
            out.println("error: " + e.getMessage());
            return 2;
        }
    }

    private static int info(final Path file, final PrintWriter out) throws IOException, EngineException {
        final ModelContract contract = ModelContract.load(file);
        final ModelStats stats = ModelStats.of(file);
        out.println("format=" + contract.format().id() + " params=" + stats.params() + " madds=" + stats.madds()
            + " ops=" + String.join(",", stats.ops()));
        for (int l = 0; l < contract.labels().size(); l++) {
            out.println("label=" + l + " " + contract.labels().get(l));
        }
        return 0;
    }

    private static int parity(final Path file, final int batch, final int threads, final PrintWriter out)
        throws IOException, EngineException {
        final ModelContract contract = ModelContract.load(file);
        final Tensor images = randomBatch(batch, contract.inputHeight(), contract.inputWidth(), 42);
        final Map<String, Tensor> expected;
        try (OrtEngine ort = OrtEngine.cpu(file, 1)) {
            expected = ort.run(images);
        }
        final Map<String, Tensor> actual;
        try (JavaEngine java = JavaEngine.load(file, threads)) {
            actual = java.run(images);
        }
        double worst = 0;
        for (final Map.Entry<String, Tensor> e : expected.entrySet()) {
            final Tensor got = actual.get(e.getKey());
            double max = 0;
            if (got == null || got.size() != e.getValue().size()) {
                max = Double.POSITIVE_INFINITY;
            } else {
                final float[] x = e.getValue().data();
                final float[] y = got.data();
                for (int k = 0; k < x.length; k++) {
                    final double d = Math.abs((double) x[k] - y[k]);
                    max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(max, d);
                }
            }
            out.println("output=" + e.getKey() + " max_abs_diff=" + max);
            worst = Math.max(worst, max);
        }
        out.println("max_abs_diff=" + worst);
        return worst <= TOLERANCE ? 0 : 1;
    }

    /** Seeded standard-normal images: what a normalized input looks like, reproducible across runs. */
    static Tensor randomBatch(final int batch, final int h, final int w, final long seed) {
        final Tensor t = Tensor.zeros(batch, 3, h, w);
        final Random r = new Random(seed);
        final float[] d = t.data();
        for (int k = 0; k < d.length; k++) {
            d[k] = (float) r.nextGaussian();
        }
        return t;
    }
}
