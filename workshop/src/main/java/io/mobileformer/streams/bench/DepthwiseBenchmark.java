package io.mobileformer.streams.bench;

import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.ConvShape;
import io.mobileformer.engine.kernel.DepthwiseConv;
import io.mobileformer.engine.kernel.Epilogue;
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
 * Depthwise 3x3 convolution with a per-channel DY-ReLU epilogue, vector against scalar, at the planes Mobile-Former
 * blocks see at 256x256 input: {@code channels x size} and stride.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DepthwiseBenchmark {
    @Param({"96x64/1", "96x128/2", "576x16/1", "1152x8/1", "768x16/2"})
    public String plane;

    private ConvShape shape;
    private float[] x;
    private float[] w;
    private float[] y;
    private Epilogue epilogue;
    private Epilogue.Inputs slopes;

    @Setup
    public void setup() {
        final String[] p = plane.split("[x/]");
        final int c = Integer.parseInt(p[0]);
        final int size = Integer.parseInt(p[1]);
        final int stride = Integer.parseInt(p[2]);
        shape = ConvShape.of(c, size, size, c, 3, 3, stride, stride, 1, 1, 1, 1, c);
        final Random r = new Random(2);
        x = new float[c * size * size];
        w = new float[c * 9];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        y = new float[c * shape.outPlane()];
        final float[] bias = new float[c];
        final float[] s1 = new float[c];
        final float[] s2 = new float[c];
        java.util.Arrays.fill(s1, 1f);
        epilogue = new Epilogue(bias, null, Activation.DYRELU, 0, 0, false);
        slopes = new Epilogue.Inputs(null, 0, 0, s1, 0, s2, 0, 0);
    }

    @Benchmark
    public float[] vector() {
        DepthwiseConv.run(true, shape, x, 0, w, y, 0, 0, shape.cout(), epilogue, slopes);
        return y;
    }

    @Benchmark
    public float[] scalar() {
        DepthwiseConv.run(false, shape, x, 0, w, y, 0, 0, shape.cout(), epilogue, slopes);
        return y;
    }
}
