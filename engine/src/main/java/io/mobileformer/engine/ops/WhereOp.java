package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Broadcast;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

/**
 * {@code Where(condition, x, y)} with NumPy broadcasting of all three (a bool condition is carried as 1 or 0). A
 * scalar loop over the output with one broadcast stride per operand and axis: it selects masks, it is not hot.
 */
public final class WhereOp implements Op {
    static final WhereOp INSTANCE = new WhereOp();

    private WhereOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (in.length != 3 || in[0] == null || in[1] == null || in[2] == null) {
            throw GraphException.invalid(node, "Where takes condition, X and Y");
        }
        try {
            return new int[][] {Broadcast.shape(Broadcast.shape(in[0].shape, in[1].shape), in[2].shape)};
        } catch (final IllegalArgumentException e) {
            throw GraphException.invalid(node, e.getMessage());
        }
    }

    /** Strides of {@code in} over the axes of {@code out}: 0 where it is broadcast (NumPy aligns trailing axes). */
    static int[] broadcastStrides(final int[] out, final int[] in) {
        final int[] own = Shapes.strides(in);
        final int[] s = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            final int j = i - (out.length - in.length);
            s[i] = j < 0 || in[j] == 1 ? 0 : own[j];
        }
        return s;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand c = b.in(0);
        final Operand x = b.in(1);
        final Operand z = b.in(2);
        final Operand y = b.out(0);
        final int[] shape = y.shape();
        final int[][] st = {broadcastStrides(shape, c.shape()), broadcastStrides(shape, x.shape()),
            broadcastStrides(shape, z.shape())};
        final int n = y.size();
        return (arena, par) -> {
            final float[] ca = c.array(arena);
            final float[] xa = x.array(arena);
            final float[] za = z.array(arena);
            final int[] idx = new int[shape.length];
            int oc = c.offset();
            int ox = x.offset();
            int oz = z.offset();
            for (int i = 0; i < n; i++) {
                arena[y.offset() + i] = ca[oc] != 0 ? xa[ox] : za[oz];
                // odometer step: advance the last axis, carrying into earlier ones, moving each operand's offset
                for (int a = shape.length - 1; a >= 0; a--) {
                    oc += st[0][a];
                    ox += st[1][a];
                    oz += st[2][a];
                    if (++idx[a] < shape[a]) {
                        break;
                    }
                    oc -= st[0][a] * shape[a];
                    ox -= st[1][a] * shape[a];
                    oz -= st[2][a] * shape[a];
                    idx[a] = 0;
                }
            }
        };
    }
}
