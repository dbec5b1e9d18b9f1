package io.mobileformer.streams.bench;

import io.mobileformer.engine.kernel.Softmax;
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
 * The two bridge softmaxes of a Mobile-Former block at 128x128 pixels with 6 tokens and 2 heads: Mobile→Former
 * normalizes 12 rows over 16384 pixels ({@code rows}); Former→Mobile normalizes over 6 tokens for every pixel, stored
 * token-major so that vectors run across pixels ({@code columns}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SoftmaxBenchmark {
    @Param({"true", "false"})
    public boolean vector;

    @Param({"4", "100"})
    public float scale;

    private float[] x;
    private float[] y;

    @Setup
    public void setup() {
        final Random r = new Random(3);
        x = new float[12 * 16384];
        y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * scale;
        }
    }

    @Benchmark
    public float[] rows() {
        Softmax.run(vector, x, 0, y, 0, 16384, 1, 0, 12);
        return y;
    }

    @Benchmark
    public float[] columns() {
        Softmax.run(vector, x, 0, y, 0, 6, 16384, 0, 2);
        return y;
    }
}
