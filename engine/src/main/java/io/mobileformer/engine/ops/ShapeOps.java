package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Broadcast;
import io.mobileformer.engine.kernel.Odometer;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

import java.util.Arrays;

/**
 * The operators of shape-computing sub-graphs, as PyTorch exports them for a dynamic batch
 * ({@code x.view(x.size(0), -1)} is Shape, Gather, Unsqueeze, Concat, Reshape): {@code Shape} (with opset 15's
 * start and end), {@code Size}, {@code ConstantOfShape} and {@code Expand}. Once the input shapes are fixed,
 * constant folding evaluates them at load (see {@code ConstantFolding}), so these kernels run only where a value
 * truly depends on data; {@code Expand} is also a plain broadcast copy.
 */
public final class ShapeOps implements Op {
    static final ShapeOps INSTANCE = new ShapeOps();

    private ShapeOps() {
    }

    /** The dimensions {@code Shape} returns for an input of shape {@code s}: [start, end) with clamped negatives. */
    public static int[] shapeSlice(final Node node, final int[] s) {
        final int r = s.length;
        long start = node.attrs().getInt("start", 0);
        long end = node.attrs().getInt("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        return Arrays.copyOfRange(s, (int) start, (int) Math.max(start, end));
    }

    private static int[] expanded(final Node node, final PlanValue[] in) {
        final long[] target = ReshapeOp.constantInts(node, in, 1, "shape");
        final int[] t = new int[target.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = Math.toIntExact(target[i]);
        }
        try {
            return Broadcast.shape(in[0].shape, t);
        } catch (final IllegalArgumentException e) {
            throw GraphException.invalid(node, e.getMessage());
        }
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        return switch (node.opType()) {
            case "Shape" -> new int[][] {{shapeSlice(node, in[0].shape).length}};
            case "Size" -> new int[][] {{}};
            case "ConstantOfShape" -> {
                final long[] dims = ReshapeOp.constantInts(node, in, 0, "input");
                if (Arrays.stream(dims).anyMatch(d -> d < 0)) {
                    throw GraphException.invalid(node, "negative dimension in " + Arrays.toString(dims));
                }
                yield new int[][] {Arrays.stream(dims).mapToInt(Math::toIntExact).toArray()};
            }
            case "Expand" -> new int[][] {expanded(node, in)};
            default -> throw GraphException.unsupported(node, "not a shape operator");
        };
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand y = b.out(0);
        switch (node.opType()) {
            case "Shape": {
                final int[] dims = shapeSlice(node, b.in(0).shape());
                return (arena, par) -> {
                    for (int i = 0; i < dims.length; i++) {
                        arena[y.offset() + i] = dims[i];
                    }
                };
            }
            case "Size": {
                final int size = b.in(0).size();
                return (arena, par) -> arena[y.offset()] = size;
            }
            case "ConstantOfShape": {
                final float value = node.attrs().getFloat("value", 0f);
                return (arena, par) -> Arrays.fill(arena, y.offset(), y.offset() + y.size(), value);
            }
            default: {
                final Operand x = b.in(0);
                final int[] shape = y.shape();
                final int[] st = WhereOp.broadcastStrides(shape, x.shape());
                final int n = y.size();
                return (arena, par) -> {
                    final float[] xa = x.array(arena);
                    final int[] idx = new int[shape.length];
                    int at = x.offset();
                    for (int i = 0; i < n; i++) {
                        arena[y.offset() + i] = xa[at];
                        at = Odometer.advance(idx, shape, st, at);
                    }
                };
            }
        }
    }

    /** What profiles call the step: the operator and the shape it produced. */
    @Override
    public String label(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return node.opType() + Shapes.str(out[0].shape);
    }
}
