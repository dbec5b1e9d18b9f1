package io.mobileformer.streams.cli;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;
import io.mobileformer.engine.OpProfile;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.bench.CorePeak;
import io.mobileformer.streams.bench.TorchvisionModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mfs bench engines [--model <file>] [--torchvision] [--batch 1,8] [--threads 1,2] [--seconds s] [--profile]}:
 * ONNX Runtime CPU against the Java engine on the same random batch, in the same process.
 *
 * <p>The build host is shared, so both engines are measured in alternating rounds (the order flips every round) after
 * a warm-up (at least 2.5 s for the Java engine: the JIT compiles its kernels meanwhile), and each gets the same time; load spikes then hit both. Per configuration it prints
 * {@code engine=<ort-cpu|java> batch=<b> threads=<t> img_per_s=<x>} for both engines and then
 * {@code batch=<b> threads=<t> ratio_java_over_ort=<x>}. Each engine line also carries {@code gflop_per_s} (the model's
 * multiply-adds of convolutions and matrix products, counted from the planned graph, times two; elementwise work is
 * not counted) and {@code peak_fraction}: that over {@code threads} cores at the FP32 FMA peak {@link CorePeak} states
 * on the first line, measured in the same run in a JVM of its own ({@link CorePeak#measureApart()}).
 * {@code --torchvision} adds MobileNetV3-small and ResNet-18 exported by Debian's torchvision (exported on first use
 * into {@code target/torchvision}) with ONNX Runtime vs Java {@code max_abs_diff}. With {@code --profile} it then
 * prints where the Java engine's time goes, {@code profile op=<kind> ms=<per pass> share=<percent> steps=<n>
 * gflop_per_s=<x> peak_fraction=<x>} (the kind's multiply-adds over the time its steps took), from a separate
 * profiled run (timing each step costs a little, so it does not feed the throughput figures); {@code --profile-shapes}
 * prints the same per kind and input shapes ({@code op=Conv(dw3x3/s1)+dyrelu shapes=[1,36,64,64]x[36,1,3,3]}).
 */
@Command(name = "engines", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "ONNX Runtime CPU vs the Java engine, side by side: img_per_s and ratio_java_over_ort.")
public final class BenchEnginesCommand implements Callable<Integer> {
    private static final int ROUNDS = 4;
    private static final double WARMUP_SECONDS = 2.5;

    @Option(names = "--model", paramLabel = "FILE", description = "ONNX model (default: " + Main.DEFAULT_MODEL + ").")
    private Path model;
    @Option(names = "--torchvision", description = "Also torchvision's MobileNetV3-small and ResNet-18 (random "
        + "weights, Debian python3-torchvision): max_abs_diff and speed side by side.")
    private boolean torchvision;
    @Option(names = "--batch", defaultValue = "1,8", split = ",", description = "Batch sizes, comma-separated.")
    private List<Integer> batches;
    @Option(names = "--threads", defaultValue = "1,2", split = ",", description = "Thread counts, comma-separated.")
    private List<Integer> threads;
    @Option(names = "--seconds", defaultValue = "4", description = "Measuring time per engine and configuration.")
    private double seconds;
    @Option(names = "--profile", description = "Then print where the Java engine's time goes, per operator kind.")
    private boolean profile;
    @Option(names = "--profile-shapes", description = "Like --profile, per operator kind and input shapes.")
    private boolean profileShapes;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final CorePeak peak = CorePeak.measureApart();
        out.println(String.format(Locale.ROOT, "peak_fp32_gflop_per_s_per_core=%.1f (%s)", peak.gflops(),
            peak.assumption()));
        try {
            final List<Path> models = new ArrayList<>();
            models.add(model != null ? model : Main.defaultModel());
            if (torchvision) {
                models.addAll(TorchvisionModels.export(Path.of("target/torchvision")));
            }
            for (final Path m : models) {
                bench(m, peak, out);
            }
            return 0;
        } catch (final IOException | EngineException e) {
            out.println("error: " + e.getMessage());
            return 2;
        }
    }

    private void bench(final Path file, final CorePeak peak, final PrintWriter out) throws EngineException {
        for (final int t : threads) {
            try (OrtEngine ort = OrtEngine.cpu(file, t); JavaEngine java = JavaEngine.load(file, t)) {
                final int[] dims = java.inputs().get(0).dims();
                final int h = dims[dims.length - 2];
                final int w = dims[dims.length - 1];
                final double gflop = 2.0 * java.maddsPerImage() / 1e9;
                if (t == threads.get(0)) {
                    final double diff = TorchvisionModels.maxAbsDiff(ort, java, ModelCommand.randomBatch(2, h, w,
                        5));
                    out.println(String.format(Locale.ROOT, "model=%s gflop_per_image=%.3f max_abs_diff=%.3g "
                        + "(ort-cpu vs java, batch 2)", file.getFileName(), gflop, diff));
                }
                for (final int b : batches) {
                    final Tensor images = ModelCommand.randomBatch(b, h, w, 7);
                    compare(ort, java, images, t, seconds, gflop, peak, out);
                    if (profile || profileShapes) {
                        profile(java, images, t, seconds, peak.gflops(), profileShapes, out);
                    }
                }
            }
        }
    }

    private static void compare(final Engine ort, final Engine java, final Tensor images, final int threads,
                                final double seconds, final double gflopPerImage, final CorePeak peak,
                                final PrintWriter out) throws EngineException {
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
        for (final Engine e : List.of(ort, java)) {
            final double rate = e == ort ? ortRate : javaRate;
            out.println(String.format(Locale.ROOT, "engine=%s batch=%d threads=%d img_per_s=%.1f gflop_per_s=%.2f "
                + "peak_fraction=%.3f", e.name(), b, threads, rate, rate * gflopPerImage,
                rate * gflopPerImage / (threads * peak.gflops())));
        }
        out.println(String.format(Locale.ROOT, "batch=%d threads=%d ratio_java_over_ort=%.3f", b, threads,
            javaRate / ortRate));
    }

    private static void profile(final JavaEngine java, final Tensor images, final int threads, final double seconds,
                                final double peak, final boolean byShape, final PrintWriter out)
        throws EngineException {
        java.profiling(true);
        measure(java, images, Math.max(1.0, seconds / 2));
        java.profiling(false);
        final List<OpProfile.Entry> entries = java.profile(byShape);
        final double total = entries.stream().mapToDouble(OpProfile.Entry::millisPerImage).sum();
        out.println(String.format(Locale.ROOT, "profile batch=%d threads=%d total_ms=%.3f", images.dim(0), threads,
            total));
        for (final OpProfile.Entry e : entries) {
            // madds counted at plan time for the step's shapes; 2 FLOP each, over the wall time the steps took.
            final double gflops = e.nanos() == 0 ? 0 : 2.0 * e.madds() / e.nanos();
            out.println(String.format(Locale.ROOT, "profile op=%s%s ms=%.3f share=%.1f%% steps=%d gflop_per_s=%.1f "
                + "peak_fraction=%.3f", e.op(), e.shapes().isEmpty() ? "" : " shapes=" + e.shapes(), e.millisPerImage(),
                100 * e.millisPerImage() / total, e.steps(), gflops, gflops / (threads * peak)));
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
}
