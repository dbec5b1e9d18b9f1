package io.mobileformer.streams.cli;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;
import io.mobileformer.engine.OpProfile;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.model.ModelContract;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code mfs bench engines --model <file> [--batch 1,8] [--threads 1,2] [--seconds s] [--profile]}: ONNX Runtime CPU
 * against the Java engine on the same random batch, in the same process.
 *
 * <p>The build host is shared, so both engines are measured in alternating rounds (the order flips every round) after
 * a warm-up (at least 2.5 s for the Java engine: the JIT compiles its kernels meanwhile), and each gets the same time; load spikes then hit both. Per configuration it prints
 * {@code engine=<ort-cpu|java> batch=<b> threads=<t> img_per_s=<x>} for both engines and then
 * {@code batch=<b> threads=<t> ratio_java_over_ort=<x>}. With {@code --profile} it then prints where the Java engine's
 * time goes, {@code profile op=<kind> ms=<per pass> share=<percent>}, from a separate profiled run (timing each
 * step costs a little, so it does not feed the throughput figures).
 */
public final class BenchEnginesCommand {
    private static final int ROUNDS = 4;
    private static final double WARMUP_SECONDS = 2.5;
    private static final String USAGE = "usage: mfs bench engines --model <file.onnx> [--batch 1,8] [--threads 1,2]"
        + " [--seconds s] [--profile]";

    private BenchEnginesCommand() {
    }

    public static int run(final String[] args, final PrintStream out) {
        Path model = null;
        List<Integer> batches = List.of(1, 8);
        List<Integer> threads = List.of(1, 2);
        double seconds = 4;
        boolean profile = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "bench", "engines" -> {
                    }
                    case "--model" -> model = Path.of(args[++i]);
                    case "--batch" -> batches = ints(args[++i]);
                    case "--threads" -> threads = ints(args[++i]);
                    case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                    case "--profile" -> profile = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (model == null) {
                throw new IllegalArgumentException("--model is required");
            }
        } catch (final IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            out.println("error: " + e.getMessage());
            out.println(USAGE);
            return 2;
        }
        try {
            final ModelContract contract = ModelContract.load(model);
            for (final int t : threads) {
                try (OrtEngine ort = OrtEngine.cpu(model, t); JavaEngine java = JavaEngine.load(model, t)) {
                    for (final int b : batches) {
                        final Tensor images = ModelCommand.randomBatch(b, contract.inputHeight(),
                            contract.inputWidth(), 7);
                        compare(ort, java, images, t, seconds, out);
                        if (profile) {
                            profile(java, images, t, seconds, out);
                        }
                    }
                }
            }
            return 0;
        } catch (final IOException | EngineException e) {
            out.println("error: " + e.getMessage());
            return 2;
        }
    }

    private static void compare(final Engine ort, final Engine java, final Tensor images, final int threads,
                                final double seconds, final PrintStream out) throws EngineException {
        final int b = images.dim(0);
        // C2 needs a few seconds to compile every kernel variant a model uses; measured earlier, the Java engine
        // looks several times slower than it is
        measure(ort, images, WARMUP_SECONDS / 2);
        measure(java, images, Math.max(WARMUP_SECONDS, seconds / 4));
        final double slice = seconds / ROUNDS;
        final double[] ortTotal = new double[2];
        final double[] javaTotal = new double[2];
        for (int r = 0; r < ROUNDS; r++) {
            if (r % 2 == 0) {
                add(ortTotal, measure(ort, images, slice));
                add(javaTotal, measure(java, images, slice));
            } else {
                add(javaTotal, measure(java, images, slice));
                add(ortTotal, measure(ort, images, slice));
            }
        }
        final double ortRate = ortTotal[0] / ortTotal[1];
        final double javaRate = javaTotal[0] / javaTotal[1];
        out.println(String.format(Locale.ROOT, "engine=%s batch=%d threads=%d img_per_s=%.1f", ort.name(), b, threads,
            ortRate));
        out.println(String.format(Locale.ROOT, "engine=%s batch=%d threads=%d img_per_s=%.1f", java.name(), b,
            threads, javaRate));
        out.println(String.format(Locale.ROOT, "batch=%d threads=%d ratio_java_over_ort=%.3f", b, threads,
            javaRate / ortRate));
    }

    private static void profile(final JavaEngine java, final Tensor images, final int threads, final double seconds,
                                final PrintStream out) throws EngineException {
        java.profiling(true);
        measure(java, images, Math.max(1.0, seconds / 2));
        java.profiling(false);
        final List<OpProfile.Entry> entries = java.profile();
        final double total = entries.stream().mapToDouble(OpProfile.Entry::millisPerRun).sum();
        out.println(String.format(Locale.ROOT, "profile batch=%d threads=%d total_ms=%.3f", images.dim(0), threads,
            total));
        for (final OpProfile.Entry e : entries) {
            out.println(String.format(Locale.ROOT, "profile op=%s ms=%.3f share=%.1f%% steps=%d", e.op(),
                e.millisPerRun(), 100 * e.millisPerRun() / total, e.steps()));
        }
    }

    /** {images, seconds} of calls on {@code images} for about {@code seconds}. */
    private static double[] measure(final Engine engine, final Tensor images, final double seconds)
        throws EngineException {
        final long start = System.nanoTime();
        final long budget = (long) (seconds * 1e9);
        long n = 0;
        do {
            engine.run(images);
            n++;
        } while (System.nanoTime() - start < budget);
        return new double[] {n * images.dim(0), (System.nanoTime() - start) / 1e9};
    }

    private static void add(final double[] total, final double[] part) {
        total[0] += part[0];
        total[1] += part[1];
    }

    private static List<Integer> ints(final String csv) {
        final List<Integer> v = new ArrayList<>();
        for (final String s : csv.split(",")) {
            final int x = Integer.parseInt(s.trim());
            if (x < 1) {
                throw new IllegalArgumentException("values must be >= 1: " + csv);
            }
            v.add(x);
        }
        return v;
    }
}
