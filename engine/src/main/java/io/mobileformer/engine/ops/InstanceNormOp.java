package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Moments;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * {@code InstanceNormalization}: each (image, channel) plane of {@code [N, C, spatial...]} normalized by its own mean
 * and biased variance ({@link Moments}), then scaled and shifted per channel (constant {@code scale} and {@code B});
 * parallel over planes, and in place is safe because a
 * plane is read completely before it is written.
 */
public final class InstanceNormOp implements Op {
    static final InstanceNormOp INSTANCE = new InstanceNormOp();

    private InstanceNormOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        if (s.length < 3) {
            throw GraphException.invalid(node, "input must be [N, C, spatial...], not " + Shapes.str(s));
        }
        for (int i = 1; i <= 2; i++) {
            if (in.length <= i || in[i] == null || !in[i].isConstant() || in[i].size() != s[1]) {
                throw GraphException.unsupported(node, "scale and B must be constants of " + s[1] + " values");
            }
        }
        return new int[][] {s.clone()};
    }

    @Override
    public int inPlaceInput(final Node node, final PlanValue[] in) {
        return 0;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final float[] scale = b.values()[1].floats(node);
        final float[] bias = b.values()[2].floats(node);
        final double eps = node.attrs().getFloat("epsilon", 1e-5f);
        final int channels = x.dim(1);
        final int planes = x.dim(0) * channels;
        final int plane = Shapes.size(x.shape(), 2, x.rank());
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, planes, (long) x.size() * 4);
            par.run(tasks, (t, w) -> {
                for (int p = Tasks.start(planes, t, tasks); p < Tasks.start(planes, t + 1, tasks); p++) {
                    final int src = x.offset() + p * plane;
                    final int dst = y.offset() + p * plane;
                    final double[] mv = Moments.of(xa, src, plane);
                    final double mean = mv[0];
                    final double k = scale[p % channels] / Math.sqrt(mv[1] + eps);
                    final double shift = bias[p % channels];
                    for (int i = 0; i < plane; i++) {
                        arena[dst + i] = (float) ((xa[src + i] - mean) * k + shift);
                    }
                }
            });
        };
    }
}
