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

/**
 * {@code Gather} with any constant indices (any rank, any order, negative ones) and {@code GatherElements}. A Gather
 * whose indices are one index or a consecutive run is a strided window and stays with {@link SliceOps} (no kernel
 * for a view that needs no copy); the rest copies one block of {@code inner} values per (outer, index) pair.
 * Indices must be known at plan time (constants or integer inputs, which the engine binds).
 */
public final class GatherOp implements Op {
    static final GatherOp INSTANCE = new GatherOp();

    private GatherOp() {
    }

    /** Whether this is a Gather of one index or of a consecutive run: a strided window of the data. */
    private static boolean window(final Node node, final PlanValue[] in) {
        if (!node.opType().equals("Gather") || in[1] == null || !in[1].isConstant() || in[1].rank() > 1) {
            return false;
        }
        if (in[1].rank() == 0) {
            return true;
        }
        final long[] idx = in[1].constant.asLongs();
        final int dim = in[0].shape[Shapes.axis(node, node.attrs().getInt("axis", 0), in[0].rank())];
        for (int i = 1; i < idx.length; i++) {
            if (Math.floorMod(idx[i], dim) != Math.floorMod(idx[0], dim) + i) {
                return false;
            }
        }
        return idx.length > 0;
    }

    /** The indices resolved against an axis of {@code dim}: negatives counted from the end, range checked. */
    private static int[] indices(final Node node, final PlanValue[] in, final int dim) {
        final long[] idx = ReshapeOp.constantInts(node, in, 1, "indices");
        final int[] r = new int[idx.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = Shapes.index(node, idx[i], dim);
        }
        return r;
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (window(node, in)) {
            return SliceOps.INSTANCE.shapes(node, in);
        }
        final int[] s = in[0].shape;
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", 0), s.length);
        indices(node, in, s[axis]);
        final int[] is = in[1].shape;
        if (node.opType().equals("GatherElements")) {
            if (is.length != s.length) {
                throw GraphException.invalid(node, "indices must have the data's rank");
            }
            return new int[][] {is.clone()};
        }
        final int[] out = new int[s.length - 1 + is.length];
        System.arraycopy(s, 0, out, 0, axis);
        System.arraycopy(is, 0, out, axis, is.length);
        System.arraycopy(s, axis + 1, out, axis + is.length, s.length - axis - 1);
        return new int[][] {out};
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        if (window(node, b.values())) {
            return SliceOps.INSTANCE.bind(node, b);
        }
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final int[] s = x.shape();
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", 0), s.length);
        final int[] idx = indices(node, b.values(), s[axis]);
        if (node.opType().equals("GatherElements")) {
            // out[i0..ik..in] = x[i0..idx[i]..in]: the data offset of every output element, fixed at bind time
            final int[] shape = y.shape();
            final int[] xs = Shapes.strides(s);
            final int[] walk = xs.clone();
            walk[axis] = 0;
            final int[] at = new int[idx.length];
            final int[] pos = new int[shape.length];
            for (int i = 0, base = 0; i < at.length; i++) {
                at[i] = base + idx[i] * xs[axis];
                base = Odometer.advance(pos, shape, walk, base);
            }
            return (arena, par) -> {
                final float[] xa = x.array(arena);
                for (int i = 0; i < at.length; i++) {
                    arena[y.offset() + i] = xa[x.offset() + at[i]];
                }
            };
        }
        final int outer = Shapes.size(s, 0, axis);
        final int inner = Shapes.size(s, axis + 1, s.length);
        final int dim = s[axis];
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            int to = y.offset();
            for (int o = 0; o < outer; o++) {
                for (final int i : idx) {
                    System.arraycopy(xa, x.offset() + (o * dim + i) * inner, arena, to, inner);
                    to += inner;
                }
            }
        };
    }
}
