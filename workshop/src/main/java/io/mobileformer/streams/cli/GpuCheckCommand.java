package io.mobileformer.streams.cli;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.bench.Throughput;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.model.ModelContract;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs gpu-check --model a.onnx[,b.onnx] [--batches 1,8,32,64] [--seconds 5]}: on a machine with a GPU,
 * checks ONNX Runtime CUDA against ONNX Runtime CPU on the same random batch ({@code max_abs_diff}) and measures CUDA
 * and CPU throughput per batch size in the same run. Exit code 3 when CUDA cannot be used, with the reason.
 * Run it from {@code scripts/gpu-check.sh}, which builds with {@code -Pgpu} first.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "CUDA vs CPU parity and throughput (build with -Pgpu; scripts/gpu-check.sh).")
final class GpuCheckCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, split = ",", paramLabel = "FILE",
        description = "ONNX model(s), comma-separated.")
    private List<Path> models;
    @Option(names = "--batches", defaultValue = "1,8,32,64", split = ",", description = "Batch sizes to benchmark.")
    private List<Integer> batches;
    @Option(names = "--seconds", defaultValue = "5",
        description = "Measuring time per engine and batch.")
    private double seconds;
    @Option(names = "--device", defaultValue = "0",
        description = "CUDA device id.")
    private int device;
    @Option(names = "--cpu-threads", description = "ONNX Runtime CPU intra-op threads (default: the number of cores).")
    private Integer cpuThreadsOption;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final int cpuThreads = cpuThreadsOption != null ? cpuThreadsOption : Runtime.getRuntime().availableProcessors();
        int worst = 0;
        for (final Path model : models) {
            final ModelContract c = ModelContract.load(model);
            final Engine cuda;
            try {
                cuda = OrtEngine.cuda(model, 1, new OrtEngine.Cuda(device, 0, "kNextPowerOfTwo"));
            } catch (final EngineException e) {
                out.println("CUDA unavailable: " + e.getMessage());
                return 3;
            }
            try (cuda; Engine cpu = OrtEngine.cpu(model, cpuThreads)) {
                final Tensor probe = random(c, 4, 42);
                final double diff = maxAbsDiff(cuda.run(probe), cpu.run(probe));
                out.printf(Locale.ROOT, "parity model=%s max_abs_diff=%.3g%n", c.name(), diff);
                if (diff > 1e-3) {
                    worst = 1;
                }
                for (final int b : batches) {
                    final Tensor t = random(c, b, b);
                    final double gpu = Throughput.measure(() -> cuda.run(t), b, seconds);
                    final double host = Throughput.measure(() -> cpu.run(t), b, seconds);
                    out.printf(Locale.ROOT, "bench model=%s batch=%d cuda_img_per_s=%.1f cpu_img_per_s=%.1f "
                        + "ratio_cuda_over_cpu=%.2f%n", c.name(), b, gpu, host, gpu / host);
                }
            }
        }
        return worst;
    }

    static Tensor random(final ModelContract c, final int n, final long seed) {
        final Random r = new Random(seed);
        final float[] d = new float[n * 3 * c.inputHeight() * c.inputWidth()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return new Tensor(d, n, 3, c.inputHeight(), c.inputWidth());
    }

    static double maxAbsDiff(final Map<String, Tensor> a, final Map<String, Tensor> b) {
        double m = 0;
        for (final Map.Entry<String, Tensor> e : a.entrySet()) {
            final float[] x = e.getValue().data();
            final float[] y = b.get(e.getKey()).data();
            for (int i = 0; i < x.length; i++) {
                m = Math.max(m, Math.abs(x[i] - y[i]));
            }
        }
        return m;
    }

}
