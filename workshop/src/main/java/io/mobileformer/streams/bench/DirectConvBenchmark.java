package io.mobileformer.streams.bench;

import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.ConvShape;
import io.mobileformer.engine.kernel.DirectConv;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.kernel.Gemm;
import io.mobileformer.engine.kernel.Im2col;
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
 * A dense convolution with a ReLU6 epilogue, one image, two ways in one run: im2col then the vector product (the
 * path before {@link DirectConv}), and the direct kernel reading the input's stride phases. {@code stem} is the demo
 * model's first layer (RGB 256x256, 3x3 stride 2, 8 outputs); {@code 3x3s1} a stride-1 layer of the same size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DirectConvBenchmark {
    @Param({"stem", "3x3s1"})
    public String layer;

    private ConvShape shape;
    private float[] x;
    private PackedA w;
    private DirectConv direct;
    private float[] scratch;
    private float[] y;
    private Epilogue epilogue;

    @Setup
    public void setup() {
        shape = layer.equals("stem") ? ConvShape.of(3, 256, 256, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1)
            : ConvShape.of(8, 128, 128, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        final Random r = new Random(4);
        x = new float[shape.cin() * shape.inPlane()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        final int k = shape.cin() * shape.kh() * shape.kw();
        final float[] weights = new float[shape.cout() * k];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) r.nextGaussian();
        }
        w = PackedA.pack(weights, 0, shape.cout(), k, k, 1);
        direct = new DirectConv(shape, weights);
        scratch = new float[Im2col.size(shape)];
        y = new float[shape.cout() * shape.outPlane()];
        epilogue = new Epilogue(new float[shape.cout()], null, Activation.CLIP, 0f, 6f, false);
    }

    @Benchmark
    public float[] im2colProduct() {
        final int plane = shape.outPlane();
        Im2col.run(shape, x, 0, scratch, 0, 0, shape.cin());
        Gemm.multiply(true, w, scratch, 0, plane, y, 0, plane, 0, plane, epilogue, Epilogue.Inputs.NONE);
        return y;
    }

    @Benchmark
    public float[] direct() {
        direct.run(x, 0, y, 0, 0, shape.oh(), epilogue, Epilogue.Inputs.NONE);
        return y;
    }
}
