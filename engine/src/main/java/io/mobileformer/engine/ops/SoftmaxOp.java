package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Softmax;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * {@code Softmax} (opset 13: one axis), and with the same layout logic {@code LogSoftmax} ({@code x - max - log(sum
 * exp(x - max))}, exact where log of a softmax would underflow) and {@code Hardmax} (1 at the first maximum); those two
 * run a scalar loop that reads the whole axis before it writes it, so in place is safe. Reads any storage order: the
 * softmax axis is found in storage and the block around it is {@code [outer, axis, inner]}, so token-major logits of
 * Former→Mobile normalize over tokens with vectors across pixels. The output keeps the input's order.
 */
public final class SoftmaxOp implements Op.OrderPreserving {
    static final SoftmaxOp INSTANCE = new SoftmaxOp();

    private SoftmaxOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        Shapes.axis(node, node.attrs().getInt("axis", -1), in[0].rank());
        return new int[][] {in[0].shape};
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final PlanValue x = b.values()[0];
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), x.rank());
        int pos = 0;
        while (x.order[pos] != axis) {
            pos++;
        }
        final int[] storage = new int[x.rank()];
        for (int k = 0; k < storage.length; k++) {
            storage[k] = x.shape[x.order[k]];
        }
        final int outer = Shapes.size(storage, 0, pos);
        final int len = storage[pos];
        final int inner = Shapes.size(storage, pos + 1, storage.length);
        final Operand in = b.in(0);
        final Operand out = b.out(0);
        final boolean vector = b.vector();
        if (!node.opType().equals("Softmax")) {
            final boolean log = node.opType().equals("LogSoftmax");
            return (arena, par) -> {
                final float[] xa = in.array(arena);
                for (int o = 0; o < outer; o++) {
                    for (int i = 0; i < inner; i++) {
                        final int base = o * len * inner + i;
                        float max = Float.NEGATIVE_INFINITY;
                        int best = 0;
                        for (int j = 0; j < len; j++) {
                            final float v = xa[in.offset() + base + j * inner];
                            if (v > max) {
                                max = v;
                                best = j;
                            }
                        }
                        double sum = 0;
                        for (int j = 0; log && j < len; j++) {
                            sum += Math.exp(xa[in.offset() + base + j * inner] - max);
                        }
                        final double shift = max + Math.log(sum);
                        for (int j = 0; j < len; j++) {
                            final int at = base + j * inner;
                            arena[out.offset() + at] = log ? (float) (xa[in.offset() + at] - shift)
                                : (j == best ? 1f : 0f);
                        }
                    }
                }
            };
        }
        return (arena, par) -> {
            final float[] xa = in.array(arena);
            final int tasks = Tasks.count(par, outer, (long) outer * len * inner * 8);
            par.run(tasks, (t, w) -> Softmax.run(vector, xa, in.offset(), arena, out.offset(), len, inner,
                Tasks.start(outer, t, tasks), Tasks.start(outer, t + 1, tasks)));
        };
    }
}
