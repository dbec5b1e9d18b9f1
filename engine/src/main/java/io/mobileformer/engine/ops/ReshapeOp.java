package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.PlanValue;

import java.util.Arrays;

/**
 * {@code Reshape} (with {@code 0} = keep and {@code -1} = infer), {@code Flatten}, {@code Squeeze},
 * {@code Unsqueeze} and {@code Identity}: the same row-major values under another shape, so a view of the input's
 * buffer. Shape-defining inputs must be constants (our exports keep them so: DESIGN.md section 9).
 */
public final class ReshapeOp implements Op.View {
    static final ReshapeOp INSTANCE = new ReshapeOp();

    private ReshapeOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        return new int[][] {switch (node.opType()) {
            case "Reshape" -> reshape(node, s, in);
            case "Flatten" -> flatten(node, s);
            case "Squeeze" -> squeeze(node, s, in);
            case "Unsqueeze" -> unsqueeze(node, s, in);
            default -> s.clone();
        }};
    }

    private static int[] reshape(final Node node, final int[] s, final PlanValue[] in) {
        final long[] target = constantInts(node, in, 1, "shape");
        if (node.attrs().getInt("allowzero", 0) != 0) {
            throw GraphException.unsupported(node, "allowzero=1 is not supported");
        }
        final int[] out = new int[target.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == 0) {
                out[i] = s[i];
            } else if (target[i] == -1) {
                if (infer >= 0) {
                    throw GraphException.invalid(node, "more than one -1 in shape " + Arrays.toString(target));
                }
                infer = i;
                continue;
            } else {
                out[i] = (int) target[i];
            }
            known *= out[i];
        }
        final int total = Shapes.size(s);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                throw GraphException.invalid(node, "cannot reshape " + Shapes.str(s) + " to "
                    + Arrays.toString(target));
            }
            out[infer] = (int) (total / known);
        }
        if (Shapes.size(out) != total) {
            throw GraphException.invalid(node, "cannot reshape " + Shapes.str(s) + " to " + Shapes.str(out));
        }
        return out;
    }

    private static int[] flatten(final Node node, final int[] s) {
        final int axis = (int) (node.attrs().getInt("axis", 1) < 0 ? node.attrs().getInt("axis", 1) + s.length
            : node.attrs().getInt("axis", 1));
        return new int[] {Shapes.size(s, 0, axis), Shapes.size(s, axis, s.length)};
    }

    private static int[] squeeze(final Node node, final int[] s, final PlanValue[] in) {
        final boolean[] drop = new boolean[s.length];
        if (in.length > 1 && in[1] != null) {
            for (final long a : constantInts(node, in, 1, "axes")) {
                final int axis = Shapes.axis(node, a, s.length);
                if (s[axis] != 1) {
                    throw GraphException.invalid(node, "cannot squeeze axis " + a + " of " + Shapes.str(s));
                }
                drop[axis] = true;
            }
        } else {
            for (int i = 0; i < s.length; i++) {
                drop[i] = s[i] == 1;
            }
        }
        return java.util.stream.IntStream.range(0, s.length).filter(i -> !drop[i]).map(i -> s[i]).toArray();
    }

    private static int[] unsqueeze(final Node node, final int[] s, final PlanValue[] in) {
        final long[] axes = constantInts(node, in, 1, "axes");
        final int rank = s.length + axes.length;
        final boolean[] added = new boolean[rank];
        for (final long a : axes) {
            added[Shapes.axis(node, a, rank)] = true;
        }
        final int[] out = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) {
            out[i] = added[i] ? 1 : s[j++];
        }
        return out;
    }

    static long[] constantInts(final Node node, final PlanValue[] in, final int i, final String what) {
        if (in.length <= i || in[i] == null || !in[i].isConstant()) {
            throw GraphException.unsupported(node, "input '" + what + "' must be a constant (dynamic shapes are not "
                + "supported)");
        }
        return in[i].constant.asLongs();
    }

    @Override
    public int[] viewOrder(final Node node, final PlanValue in, final int[] outShape) {
        return node.opType().equals("Identity") ? in.order.clone() : null;
    }

    @Override
    public Constant constant(final Node node, final Constant in, final int[] outShape) {
        return in.isFloat() ? Constant.ofFloats(in.floats(), outShape) : Constant.ofLongs(in.longs(), outShape);
    }
}
