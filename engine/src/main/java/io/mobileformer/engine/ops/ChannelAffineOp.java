package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.Elementwise;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * Two per-channel operators over {@code [N*C, H*W]} rows:
 * <ul>
 *   <li>{@code BatchNormalization} (inference) that could not be folded into a preceding convolution:
 *       {@code x * s[c] + t[c]};</li>
 *   <li>{@code DyRelu}, the fused form of {@code Max(Mul(x, a1), Mul(x, a2))} (spec section 2.2) that
 *       {@link io.mobileformer.engine.optimize.GraphOptimizer} creates when the product of a DY-ReLU is not a
 *       convolution it can fuse into: slopes {@code [N, C, 1, 1]} per channel, or the full shape of x for the
 *       spatially-aware form.</li>
 * </ul>
 */
public final class ChannelAffineOp implements Op {
    public static final String DYRELU = "DyRelu";
    static final ChannelAffineOp INSTANCE = new ChannelAffineOp();

    private ChannelAffineOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        if (s.length < 2) {
            throw GraphException.unsupported(node, "input needs a channel axis");
        }
        if (node.opType().equals(DYRELU)) {
            for (int i = 1; i <= 2; i++) {
                if (slopeLd(s, in[i].shape) < 0) {
                    throw GraphException.unsupported(node, "slopes " + Shapes.str(in[i].shape) + " for " + Shapes.str(s));
                }
            }
        } else {
            if (node.outputs().size() > 1) {
                throw GraphException.unsupported(node, "training-mode outputs are not supported");
            }
            for (int i = 1; i <= 4; i++) {
                if (in[i] == null || !in[i].isConstant() || in[i].size() != s[1]) {
                    throw GraphException.unsupported(node, "scale, B, mean and var must be constants of size " + s[1]);
                }
            }
        }
        return new int[][] {s};
    }

    /** 0 for per-channel slopes, H*W for full-shape slopes, -1 otherwise. */
    public static int slopeLd(final int[] x, final int[] slope) {
        if (java.util.Arrays.equals(x, slope)) {
            return Shapes.size(x, 2, x.length);
        }
        if (slope.length == x.length && slope[0] == x[0] && slope[1] == x[1]
            && Shapes.size(slope, 2, slope.length) == 1) {
            return 0;
        }
        return -1;
    }

    @Override
    public int inPlaceInput(final Node node, final PlanValue[] in) {
        return 0;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final int channels = x.dim(1);
        final int rows = x.dim(0) * channels;
        final int cols = x.size() / rows;
        final boolean vector = b.vector();
        if (!node.opType().equals(DYRELU)) {
            return batchNorm(node, b, x, y, channels, rows, cols);
        }
        final Epilogue ep = new Epilogue(null, null, Activation.DYRELU, 0, 0, false);
        final Operand s1 = b.in(1);
        final Operand s2 = b.in(2);
        final int slopeLd = slopeLd(x.shape(), s1.shape());
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final float[] a1 = s1.array(arena);
            final float[] a2 = s2.array(arena);
            final int tasks = Tasks.count(par, rows, x.size());
            par.run(tasks, (t, w) -> {
                final int r0 = Tasks.start(rows, t, tasks);
                final int r1 = Tasks.start(rows, t + 1, tasks);
                if (xa != arena || x.offset() != y.offset()) {
                    System.arraycopy(xa, x.offset() + r0 * cols, arena, y.offset() + r0 * cols, (r1 - r0) * cols);
                }
                final Epilogue.Inputs in = new Epilogue.Inputs(null, 0, 0, a1, s1.offset(), a2, s2.offset(), slopeLd);
                ep.apply(vector, arena, y.offset() + r0 * cols, cols, r0, r1 - r0, 0, cols, in);
            });
        };
    }

    private static Step batchNorm(final Node node, final Binding b, final Operand x, final Operand y,
                                  final int channels, final int rows, final int cols) {
        final float eps = node.attrs().getFloat("epsilon", 1e-5f);
        final float[] scale = b.values()[1].floats(node);
        final float[] bias = b.values()[2].floats(node);
        final float[] mean = b.values()[3].floats(node);
        final float[] var = b.values()[4].floats(node);
        final float[] s = new float[channels];
        final float[] t = new float[channels];
        for (int c = 0; c < channels; c++) {
            s[c] = (float) (scale[c] / Math.sqrt(var[c] + eps));
            t[c] = bias[c] - mean[c] * s[c];
        }
        final boolean vector = b.vector();
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, rows, x.size());
            par.run(tasks, (task, w) -> {
                for (int r = Tasks.start(rows, task, tasks); r < Tasks.start(rows, task + 1, tasks); r++) {
                    Elementwise.scaleShift(vector, xa, x.offset() + r * cols, arena, y.offset() + r * cols, cols,
                        s[r % channels], t[r % channels]);
                }
            });
        };
    }
}
