package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

import java.util.Arrays;
import java.util.Comparator;

/**
 * {@code TopK} (opset 11-17): the K largest (or smallest) values along an axis and their indices, as a detector's
 * post-processing picks its best boxes. K must be known at plan time. Ties keep the lower index first, as ONNX
 * specifies; the order is by value whatever {@code sorted} says (a sorted result is a valid unsorted one). A scalar
 * sort of index arrays per slice.
 */
public final class TopKOp implements Op {
    static final TopKOp INSTANCE = new TopKOp();

    private TopKOp() {
    }

    private static int k(final Node node, final PlanValue[] in, final int dim) {
        final long[] k = ReshapeOp.constantInts(node, in, 1, "K");
        if (k.length != 1 || k[0] < 0 || k[0] > dim) {
            throw GraphException.invalid(node, "K " + Arrays.toString(k) + " is not in [0, " + dim + "]");
        }
        return (int) k[0];
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape.clone();
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), s.length);
        s[axis] = k(node, in, s[axis]);
        final int[][] out = new int[node.outputs().size()][];
        Arrays.fill(out, s);
        return out;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final int[] s = x.shape();
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), s.length);
        final int dim = s[axis];
        final int k = k(node, b.values(), dim);
        final int outer = Shapes.size(s, 0, axis);
        final int inner = Shapes.size(s, axis + 1, s.length);
        final boolean largest = node.attrs().getInt("largest", 1) != 0;
        final Operand values = b.out(0);
        final Operand indices = node.outputs().size() > 1 ? b.out(1) : null;
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final Integer[] order = new Integer[dim];
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    final int base = x.offset() + o * dim * inner + i;
                    for (int j = 0; j < dim; j++) {
                        order[j] = j;
                    }
                    // stable sort by value: equal values keep the lower index first
                    final Comparator<Integer> byValue = (p, q) -> Float.compare(xa[base + p * inner],
                        xa[base + q * inner]);
                    Arrays.sort(order, largest ? byValue.reversed() : byValue);
                    for (int j = 0; j < k; j++) {
                        final int at = (o * k + j) * inner + i;
                        arena[values.offset() + at] = xa[base + order[j] * inner];
                        if (indices != null) {
                            arena[indices.offset() + at] = order[j];
                        }
                    }
                }
            }
        };
    }
}
