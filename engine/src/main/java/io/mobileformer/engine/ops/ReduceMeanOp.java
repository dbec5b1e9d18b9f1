package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.ReduceMean;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

import java.util.Arrays;

/**
 * {@code ReduceMean} (axes as an attribute, opset 13-17) over one run of adjacent axes, which is what the DETR
 * decoder's mean over bridge heads needs. Non-adjacent axes are refused at load.
 */
public final class ReduceMeanOp implements Op {
    static final ReduceMeanOp INSTANCE = new ReduceMeanOp();

    private ReduceMeanOp() {
    }

    /** {first, last} reduced axis, inclusive. */
    private static int[] range(final Node node, final int rank) {
        final long[] axes = node.attrs().getInts("axes", null);
        if (axes == null || axes.length == 0) {
            return new int[] {0, rank - 1};
        }
        final int[] a = new int[axes.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Shapes.axis(node, axes[i], rank);
        }
        Arrays.sort(a);
        for (int i = 1; i < a.length; i++) {
            if (a[i] != a[i - 1] + 1) {
                throw GraphException.unsupported(node, "axes " + Arrays.toString(axes) + " are not adjacent");
            }
        }
        return new int[] {a[0], a[a.length - 1]};
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (in.length > 1 && in[1] != null) {
            throw GraphException.unsupported(node, "axes as an input (opset 18) are not supported");
        }
        final int[] s = in[0].shape;
        final int[] r = range(node, s.length);
        final boolean keep = node.attrs().getInt("keepdims", 1) != 0;
        final int[] out = new int[keep ? s.length : s.length - (r[1] - r[0] + 1)];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i < r[0] || i > r[1]) {
                out[j++] = s[i];
            } else if (keep) {
                out[j++] = 1;
            }
        }
        return new int[][] {out};
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final int[] r = range(node, x.rank());
        final int outer = Shapes.size(x.shape(), 0, r[0]);
        final int reduced = Shapes.size(x.shape(), r[0], r[1] + 1);
        final int inner = Shapes.size(x.shape(), r[1] + 1, x.rank());
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, outer, x.size());
            par.run(tasks, (t, w) -> ReduceMean.run(xa, x.offset(), arena, y.offset(), reduced, inner,
                Tasks.start(outer, t, tasks), Tasks.start(outer, t + 1, tasks)));
        };
    }
}
