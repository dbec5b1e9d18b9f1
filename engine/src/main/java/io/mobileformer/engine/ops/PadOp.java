package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

/**
 * {@code Pad} (opset 11-17: pads and the constant value as inputs, which must be constants) in modes
 * {@code constant}, {@code edge} and {@code reflect}; negative pads crop. Each output element maps back to one input
 * coordinate per axis, precomputed per axis at bind time (-1 where the constant is written), so the kernel is an
 * odometer over the output with a table look-up per axis.
 */
public final class PadOp implements Op {
    static final PadOp INSTANCE = new PadOp();

    private PadOp() {
    }

    private static long[] pads(final Node node, final PlanValue[] in) {
        if (in.length > 3 && in[3] != null) {
            throw GraphException.unsupported(node, "the axes input (opset 18) is not supported");
        }
        final long[] p = ReshapeOp.constantInts(node, in, 1, "pads");
        if (p.length != 2 * in[0].rank()) {
            throw GraphException.invalid(node, "pads has " + p.length + " values for rank " + in[0].rank());
        }
        return p;
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final long[] p = pads(node, in);
        final int[] s = in[0].shape;
        final int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Math.toIntExact(s[i] + p[i] + p[i + s.length]);
            if (out[i] < 0) {
                throw GraphException.invalid(node, "pads crop axis " + i + " below zero");
            }
        }
        final String mode = node.attrs().getString("mode", "constant");
        if (!mode.equals("constant") && !mode.equals("edge") && !mode.equals("reflect")) {
            throw GraphException.unsupported(node, "mode '" + mode + "' is not supported");
        }
        if (in.length > 2 && in[2] != null && !in[2].isConstant()) {
            throw GraphException.unsupported(node, "the constant value must be a constant");
        }
        return new int[][] {out};
    }

    /** For every output coordinate of one axis, the input coordinate it copies, or -1 for the constant. */
    private static int[] sourceMap(final Node node, final String mode, final int in, final int out, final int begin) {
        final int[] map = new int[out];
        for (int o = 0; o < out; o++) {
            int i = o - begin;
            if (i < 0 || i >= in) {
                if (mode.equals("constant") || in == 0) {
                    i = -1;
                } else if (mode.equals("edge")) {
                    i = Math.max(0, Math.min(in - 1, i));
                } else if (in == 1) {
                    i = 0;
                } else {
                    // reflect without repeating the edge: period 2 * (in - 1)
                    final int period = 2 * (in - 1);
                    i = Math.floorMod(i, period);
                    if (i >= in) {
                        i = period - i;
                    }
                }
            }
            map[o] = i;
        }
        return map;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final long[] p = pads(node, b.values());
        final String mode = node.attrs().getString("mode", "constant");
        final float value = b.has(2) && b.values()[2] != null ? b.values()[2].constant.asFloats()[0] : 0f;
        final int rank = x.rank();
        final int[] shape = y.shape();
        final int[][] maps = new int[rank][];
        for (int a = 0; a < rank; a++) {
            maps[a] = sourceMap(node, mode, x.dim(a), shape[a], (int) p[a]);
        }
        final int[] strides = Shapes.strides(x.shape());
        final int n = y.size();
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int[] idx = new int[rank];
            for (int i = 0; i < n; i++) {
                int at = x.offset();
                boolean constant = false;
                for (int a = 0; a < rank; a++) {
                    final int src = maps[a][idx[a]];
                    constant |= src < 0;
                    at += Math.max(src, 0) * strides[a];
                }
                arena[y.offset() + i] = constant ? value : xa[at];
                for (int a = rank - 1; a >= 0 && ++idx[a] == shape[a]; a--) {
                    idx[a] = 0;
                }
            }
        };
    }
}
