package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Odometer;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

import java.util.Arrays;

/**
 * The convolutions {@link ConvOp}'s fast kernels do not cover: dilated ones and those over one or three spatial
 * axes. {@code OperatorLowering} renames such a {@code Conv} to {@link #TYPE} before fusion, so no fused epilogue is
 * ever asked of this op. Direct form, scalar: each output value sums its group's input channels over the kernel
 * window at {@code o * stride - pad + k * dilation}; parallel over (image, output channel).
 */
public final class GeneralConvOp implements Op {
    /** The internal operator type of a convolution this op runs (not an ONNX operator). */
    public static final String TYPE = "ConvNd";
    static final GeneralConvOp INSTANCE = new GeneralConvOp();

    private GeneralConvOp() {
    }

    /** Whether a Conv with these attributes and weight rank needs this op rather than {@link ConvOp}. */
    public static boolean needed(final Node conv, final int weightRank) {
        return weightRank != 4 || Arrays.stream(conv.attrs().getInts("dilations", new long[0])).anyMatch(d -> d != 1);
    }

    private static SlidingWindow geometry(final Node node, final int[] x, final int[] w) {
        if (x.length < 3 || w.length != x.length) {
            throw GraphException.invalid(node, "input " + Shapes.str(x) + " and weights " + Shapes.str(w)
                + " do not fit [N, C, spatial...] and [M, C/group, k...]");
        }
        return SlidingWindow.forward(node, x, Arrays.copyOfRange(w, 2, w.length), false);
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (!in[1].isConstant() || (in.length > 2 && in[2] != null && !in[2].isConstant())) {
            throw GraphException.unsupported(node, "weights and bias must be constants");
        }
        final int group = (int) node.attrs().getInt("group", 1);
        final int[] x = in[0].shape;
        final int[] w = in[1].shape;
        if (x[1] != w[1] * group || w[0] % group != 0) {
            throw GraphException.invalid(node, "weights " + Shapes.str(w) + " do not match input " + Shapes.str(x)
                + " with " + group + " groups");
        }
        return new int[][] {geometry(node, x, w).outputShape(x, w[0])};
    }

    @Override
    public long madds(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return (long) Shapes.size(out[0].shape) * Shapes.size(in[1].shape) / in[1].shape[0];
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final float[] w = b.values()[1].floats(node);
        final float[] bias = b.has(2) && b.values()[2] != null ? b.values()[2].floats(node) : null;
        final int[] ws = b.values()[1].shape;
        final int group = (int) node.attrs().getInt("group", 1);
        final SlidingWindow g = geometry(node, x.shape(), ws);
        final int batch = x.dim(0);
        final int cout = ws[0];
        final int cinG = ws[1];
        final int coutG = cout / group;
        final int inPlane = Shapes.size(g.in());
        final int outPlane = Shapes.size(g.out());
        final int kSize = Shapes.size(g.kernel());
        final int[] inStrides = Shapes.strides(g.in());
        final int n = g.in().length;
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int jobs = batch * cout;
            final int tasks = Tasks.count(par, jobs, (long) y.size() * cinG * kSize);
            par.run(tasks, (t, wk) -> {
                final int[] o = new int[n];
                final int[] k = new int[n];
                final int[] still = new int[n];     // the odometers only count: no offset to move
                for (int job = Tasks.start(jobs, t, tasks); job < Tasks.start(jobs, t + 1, tasks); job++) {
                    final int img = job / cout;
                    final int oc = job % cout;
                    final int c0 = (oc / coutG) * cinG;
                    final int dst = y.offset() + job * outPlane;
                    Arrays.fill(o, 0);
                    for (int p = 0; p < outPlane; p++) {
                        double acc = bias == null ? 0 : bias[oc];
                        Arrays.fill(k, 0);
                        for (int kk = 0; kk < kSize; kk++) {
                            final int at = g.at(o, k, g.in(), inStrides);
                            if (at >= 0) {
                                for (int ic = 0; ic < cinG; ic++) {
                                    acc += xa[x.offset() + (img * x.dim(1) + c0 + ic) * inPlane + at]
                                        * w[(oc * cinG + ic) * kSize + kk];
                                }
                            }
                            Odometer.advance(k, g.kernel(), still, 0);
                        }
                        arena[dst + p] = (float) acc;
                        Odometer.advance(o, g.out(), still, 0);
                    }
                }
            });
        };
    }
}
