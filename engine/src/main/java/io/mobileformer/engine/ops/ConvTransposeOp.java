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
 * {@code ConvTranspose} over any number of spatial axes of {@code [N, C, spatial...]}: groups, strides, dilations,
 * pads, {@code output_padding}, {@code output_shape} and {@code auto_pad}, with constant weights {@code [C, M/group,
 * k...]} and bias. The scatter form: every input value adds {@code x * w} to the output positions
 * {@code i * stride - pad + k * dilation} it reaches, so no position of the (mostly zero) upsampled input is visited.
 * Scalar, parallel over (image, group) pairs, which write disjoint output channels; the learned upsampling of a
 * detector's neck runs once per image.
 */
public final class ConvTransposeOp implements Op {
    static final ConvTransposeOp INSTANCE = new ConvTransposeOp();

    private ConvTransposeOp() {
    }

    private static SlidingWindow geometry(final Node node, final int[] x, final int[] w) {
        final int n = x.length - 2;
        if (n < 1 || w.length != x.length) {
            throw GraphException.invalid(node, "input " + Shapes.str(x) + " and weights " + Shapes.str(w)
                + " do not fit [N, C, spatial...] and [C, M/group, k...]");
        }
        final int[] in = Arrays.copyOfRange(x, 2, x.length);
        final int[] kernel = Arrays.copyOfRange(w, 2, w.length);
        final int[] strides = SlidingWindow.ints(node, "strides", n, 1);
        final int[] dil = SlidingWindow.ints(node, "dilations", n, 1);
        final int[] outPad = SlidingWindow.ints(node, "output_padding", n, 0);
        final long[] pads = node.attrs().getInts("pads", new long[2 * n]);
        final long[] shape = node.attrs().getInts("output_shape", null);
        final String auto = node.attrs().getString("auto_pad", "NOTSET");
        final int[] out = new int[n];
        final int[] pb = new int[n];
        final int[] pe = new int[n];
        for (int i = 0; i < n; i++) {
            final int full = strides[i] * (in[i] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1;
            if (shape != null || auto.startsWith("SAME")) {
                // the output length is given (or is in * stride): the padding is whatever makes it so, split as
                // the spec says (the extra one at the end for SAME_UPPER, at the start otherwise), with Python's
                // floor division: a negative total (a longer output than the kernel covers) pads the end with zeros
                out[i] = shape != null ? (int) shape[shape.length - n + i] : in[i] * strides[i];
                final int total = full - out[i];
                pb[i] = auto.equals("SAME_UPPER") ? Math.floorDiv(total, 2) : total - Math.floorDiv(total, 2);
                pe[i] = total - pb[i];
            } else {
                pb[i] = (int) pads[i];
                pe[i] = (int) pads[i + n];
                out[i] = full - pb[i] - pe[i];
            }
            if (out[i] < 1) {
                throw GraphException.invalid(node, "output axis " + (i + 2) + " would be " + out[i]);
            }
        }
        return new SlidingWindow(in, out, kernel, strides, dil, pb, pe);
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (in[1] == null || !in[1].isConstant() || (in.length > 2 && in[2] != null && !in[2].isConstant())) {
            throw GraphException.unsupported(node, "weights and bias must be constants");
        }
        final int group = (int) node.attrs().getInt("group", 1);
        final int[] x = in[0].shape;
        final int[] w = in[1].shape;
        if (w[0] != x[1] || x[1] % group != 0) {
            throw GraphException.invalid(node, "weights " + Shapes.str(w) + " do not match " + x[1]
                + " input channels in " + group + " groups");
        }
        final SlidingWindow g = geometry(node, x, w);
        final int[] out = new int[x.length];
        out[0] = x[0];
        out[1] = w[1] * group;
        System.arraycopy(g.out(), 0, out, 2, g.out().length);
        return new int[][] {out};
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
        final int cinG = x.dim(1) / group;
        final int coutG = ws[1];
        final int inPlane = Shapes.size(g.in());
        final int outPlane = Shapes.size(g.out());
        final int kSize = Shapes.size(g.kernel());
        final int[] outStrides = Shapes.strides(g.out());
        final int n = g.in().length;
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, batch * group, (long) x.size() * coutG * kSize);
            par.run(tasks, (t, wk) -> {
                final int[] ii = new int[n];
                final int[] kk = new int[n];
                final int[] still = new int[n];     // the odometers only count: no offset to move
                for (int task = Tasks.start(batch * group, t, tasks); task < Tasks.start(batch * group, t + 1,
                    tasks); task++) {
                    final int img = task / group;
                    final int gr = task % group;
                    final int out0 = y.offset() + (img * group * coutG + gr * coutG) * outPlane;
                    for (int oc = 0; oc < coutG; oc++) {
                        Arrays.fill(arena, out0 + oc * outPlane, out0 + (oc + 1) * outPlane,
                            bias == null ? 0f : bias[gr * coutG + oc]);
                    }
                    for (int ic = 0; ic < cinG; ic++) {
                        final int c = gr * cinG + ic;
                        final int in0 = x.offset() + (img * x.dim(1) + c) * inPlane;
                        Arrays.fill(ii, 0);
                        for (int p = 0; p < inPlane; p++) {
                            final float v = xa[in0 + p];
                            if (v != 0f) {
                                scatter(v, w, (c * coutG) * kSize, coutG, kSize, g, ii, kk, still, outStrides, arena,
                                    out0, outPlane);
                            }
                            Odometer.advance(ii, g.in(), still, 0);
                        }
                    }
                }
            });
        };
    }

    /** Adds {@code v * w[oc, k]} to every output position input position {@code ii} reaches, for every channel. */
    private static void scatter(final float v, final float[] w, final int w0, final int coutG, final int kSize,
                                final SlidingWindow g, final int[] ii, final int[] kk, final int[] still,
                                final int[] outStrides,
                                final float[] out, final int out0, final int outPlane) {
        Arrays.fill(kk, 0);
        for (int k = 0; k < kSize; k++) {
            final int at = g.at(ii, kk, g.out(), outStrides);
            if (at >= 0) {
                for (int oc = 0; oc < coutG; oc++) {
                    out[out0 + oc * outPlane + at] += v * w[w0 + oc * kSize + k];
                }
            }
            Odometer.advance(kk, g.kernel(), still, 0);
        }
    }
}
