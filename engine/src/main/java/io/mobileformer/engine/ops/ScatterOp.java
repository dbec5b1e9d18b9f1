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

import java.util.Arrays;

/**
 * {@code ScatterElements} and {@code ScatterND} (what an exporter writes for {@code y[..., idx] = v}) with constant
 * indices and reduction {@code none}, {@code add} or {@code mul}: the output is a copy of the data with the updates
 * written (or combined) at positions fixed at bind time, so the kernel is one copy and one pass over the updates.
 * Duplicate indices apply in order, as ONNX's reference does.
 */
public final class ScatterOp implements Op {
    static final ScatterOp INSTANCE = new ScatterOp();

    private ScatterOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final String r = node.attrs().getString("reduction", "none");
        if (!r.equals("none") && !r.equals("add") && !r.equals("mul")) {
            throw GraphException.unsupported(node, "reduction '" + r + "' is not supported (none, add, mul)");
        }
        destinations(node, in[0].shape, in[1], in[2].shape);
        return new int[][] {in[0].shape.clone()};
    }

    /**
     * The data offset each update goes to: per element for ScatterElements, per slice start for ScatterND (whose
     * slices are contiguous runs of the data's trailing axes).
     */
    private static int[] destinations(final Node node, final int[] data, final PlanValue indices, final int[] updates) {
        final long[] idx = ReshapeOp.constantInts(node, new PlanValue[] {null, indices}, 1, "indices");
        final int[] st = Shapes.strides(data);
        if (node.opType().equals("ScatterElements")) {
            final int axis = Shapes.axis(node, node.attrs().getInt("axis", 0), data.length);
            if (!Arrays.equals(indices.shape, updates) || updates.length != data.length) {
                throw GraphException.invalid(node, "indices and updates must have one shape of the data's rank");
            }
            final int[] walk = st.clone();
            walk[axis] = 0;
            final int[] pos = new int[updates.length];
            final int[] dst = new int[idx.length];
            for (int i = 0, base = 0; i < dst.length; i++) {
                dst[i] = base + Shapes.index(node, idx[i], data[axis]) * st[axis];
                base = Odometer.advance(pos, updates, walk, base);
            }
            return dst;
        }
        final int k = indices.shape[indices.rank() - 1];
        if (k > data.length) {
            throw GraphException.invalid(node, "index tuples of " + k + " for data of rank " + data.length);
        }
        final int[] dst = new int[idx.length / Math.max(k, 1)];
        for (int j = 0; j < dst.length; j++) {
            for (int a = 0; a < k; a++) {
                dst[j] += Shapes.index(node, idx[j * k + a], data[a]) * st[a];
            }
        }
        return dst;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand data = b.in(0);
        final Operand upd = b.in(2);
        final Operand y = b.out(0);
        final int[] dst = destinations(node, data.shape(), b.values()[1], upd.shape());
        final int run = node.opType().equals("ScatterElements") ? 1 : upd.size() / Math.max(dst.length, 1);
        final String reduction = node.attrs().getString("reduction", "none");
        return (arena, par) -> {
            System.arraycopy(data.array(arena), data.offset(), arena, y.offset(), y.size());
            final float[] ua = upd.array(arena);
            for (int j = 0; j < dst.length; j++) {
                for (int i = 0; i < run; i++) {
                    final int at = y.offset() + dst[j] + i;
                    final float v = ua[upd.offset() + j * run + i];
                    arena[at] = switch (reduction) {
                        case "add" -> arena[at] + v;
                        case "mul" -> arena[at] * v;
                        default -> v;
                    };
                }
            }
        };
    }
}
