package io.mobileformer.engine.ops;

import java.util.Arrays;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.LayerNorm;
import io.mobileformer.engine.kernel.Moments;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * {@code LayerNormalization} (opset 17) over the trailing axes from {@code axis}. The optional {@code Mean} and
 * {@code InvStdDev} outputs (training artefacts, shaped like the input with the normalized axes set to 1) are
 * computed by a second, scalar pass over the input when a model asks for them; the step then does not work in place,
 * so that pass still sees the input.
 */
public final class LayerNormOp implements Op {
    static final LayerNormOp INSTANCE = new LayerNormOp();

    private LayerNormOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), in[0].rank());
        final int d = Shapes.size(in[0].shape, axis, in[0].rank());
        for (int i = 1; i < in.length; i++) {
            if (in[i] != null && (!in[i].isConstant() || in[i].size() != d)) {
                throw GraphException.unsupported(node, "scale and bias must be constants of the normalized size " + d);
            }
        }
        final int[][] out = new int[node.outputs().size()][];
        out[0] = in[0].shape;
        final int[] stats = in[0].shape.clone();
        Arrays.fill(stats, axis, stats.length, 1);
        for (int j = 1; j < out.length; j++) {
            out[j] = stats;
        }
        return out;
    }

    @Override
    public int inPlaceInput(final Node node, final PlanValue[] in) {
        return node.outputs().size() > 1 ? -1 : 0;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), x.rank());
        final int d = Shapes.size(x.shape(), axis, x.rank());
        final int rows = x.size() / d;
        final float eps = node.attrs().getFloat("epsilon", 1e-5f);
        final float[] scale = b.values()[1].floats(node);
        final float[] bias = b.has(2) ? b.values()[2].floats(node) : null;
        final Operand y = b.out(0);
        final Operand mean = node.outputs().size() > 1 ? b.out(1) : null;
        final Operand inv = node.outputs().size() > 2 ? b.out(2) : null;
        final boolean vector = b.vector();
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, rows, (long) rows * d * 4);
            par.run(tasks, (t, w) -> LayerNorm.run(vector, xa, x.offset(), arena, y.offset(), d, scale, bias, eps,
                Tasks.start(rows, t, tasks), Tasks.start(rows, t + 1, tasks)));
            if (mean != null) {
                // the statistics per row, two-pass like the kernels, in double
                for (int r = 0; r < rows; r++) {
                    final double[] mv = Moments.of(xa, x.offset() + r * d, d);
                    arena[mean.offset() + r] = (float) mv[0];
                    if (inv != null) {
                        arena[inv.offset() + r] = (float) (1.0 / Math.sqrt(mv[1] + eps));
                    }
                }
            }
        };
    }
}
