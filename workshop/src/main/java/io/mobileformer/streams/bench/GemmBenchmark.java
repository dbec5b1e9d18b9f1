package io.mobileformer.streams.bench;

import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.kernel.Gemm;
import io.mobileformer.engine.kernel.PackedA;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The product behind 1x1 convolutions, {@code C[m x n] = W[m x k] * X[k x n]} with m output channels, k input
 * channels and n pixels, in three forms: the Vector API micro-kernel, its scalar twin, and the textbook triple loop.
 * Shapes are 294M's pointwise convolutions at 256x256 input (expand at 64x64, project at 32x32, head at 8x8).
 * GFLOPS = 2 * m * n * k / time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBenchmark {
    @Param({"96x4096x24", "192x1024x48", "48x1024x192", "1152x64x192"})
    public String shape;

    private int m;
    private int n;
    private int k;
    private float[] a;
    private float[] b;
    private float[] c;
    private PackedA packed;

    @Setup
    public void setup() {
        final String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        final Random r = new Random(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        packed = PackedA.pack(a, 0, m, k, k, 1);
    }

    @Benchmark
    public float[] vector() {
        Gemm.multiply(true, packed, b, 0, n, c, 0, n, 0, n, Epilogue.NONE, Epilogue.Inputs.NONE);
        return c;
    }

    @Benchmark
    public float[] scalar() {
        Gemm.multiply(false, packed, b, 0, n, c, 0, n, 0, n, Epilogue.NONE, Epilogue.Inputs.NONE);
        return c;
    }

    @Benchmark
    public float[] naive() {
        Gemm.multiplyNaive(m, n, k, a, b, c);
        return c;
    }
}
