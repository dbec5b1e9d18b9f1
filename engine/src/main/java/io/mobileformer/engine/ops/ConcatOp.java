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
 * {@code Concat} along one axis (feature pyramids, YOLO heads). With {@code outer} the product of the axes before it,
 * every input is {@code outer} runs of {@code dim(axis) * inner} contiguous values and the output interleaves them,
 * so the kernel is one {@link System#arraycopy} per input per outer index.
 */
public final class ConcatOp implements Op {
    static final ConcatOp INSTANCE = new ConcatOp();

    private ConcatOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (in.length == 0 || in[0] == null) {
            throw GraphException.invalid(node, "Concat needs at least one input");
        }
        final int rank = in[0].rank();
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", Long.MIN_VALUE), rank);
        final int[] out = in[0].shape.clone();
        out[axis] = 0;
        for (final PlanValue v : in) {
            if (v == null || v.rank() != rank) {
                throw GraphException.invalid(node, "every input must have rank " + rank);
            }
            for (int i = 0; i < rank; i++) {
                if (i != axis && v.shape[i] != out[i]) {
                    throw GraphException.invalid(node, "shapes " + Shapes.str(in[0].shape) + " and "
                        + Shapes.str(v.shape) + " differ outside axis " + axis);
                }
            }
            out[axis] += v.shape[axis];
        }
        return new int[][] {out};
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand y = b.out(0);
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", 0), y.rank());
        final int outer = Shapes.size(y.shape(), 0, axis);
        final int inner = Shapes.size(y.shape(), axis + 1, y.rank());
        final int rowOut = y.dim(axis) * inner;
        final Operand[] xs = b.in().clone();
        final int[] rows = new int[xs.length];
        final int[] at = new int[xs.length];
        for (int i = 0, pos = 0; i < xs.length; i++) {
            rows[i] = xs[i].dim(axis) * inner;
            at[i] = pos;
            pos += rows[i];
        }
        return (arena, par) -> {
            for (int i = 0; i < xs.length; i++) {
                final float[] src = xs[i].array(arena);
                for (int o = 0; o < outer; o++) {
                    System.arraycopy(src, xs[i].offset() + o * rows[i], arena, y.offset() + o * rowOut + at[i],
                        rows[i]);
                }
            }
        };
    }
}
