package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code Gather} of one index or a consecutive run (the rest is {@link GatherOp}'s), {@code Slice} and {@code Split}:
 * each output is a strided window of the input, copied out with {@link CopyOp#stridedCopy}. Index, bound and size
 * inputs must be constants.
 */
public final class SliceOps implements Op {
    static final SliceOps INSTANCE = new SliceOps();

    private SliceOps() {
    }

    /** One output: its shape, the input offset of its first element and its strides in the input. */
    private record Window(int[] shape, int offset, int[] strides) {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final List<Window> ws = windows(node, in);
        final int[][] out = new int[ws.size()][];
        for (int j = 0; j < out.length; j++) {
            out[j] = ws.get(j).shape();
        }
        return out;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final List<Window> ws = windows(node, b.values());
        final Operand src = b.in(0);
        final Step[] copies = new Step[ws.size()];
        for (int j = 0; j < copies.length; j++) {
            final Window w = ws.get(j);
            copies[j] = CopyOp.stridedCopy(w.shape(), w.strides(), src, src.offset() + w.offset(), b.out(j));
        }
        return (arena, par) -> {
            for (final Step s : copies) {
                s.run(arena, par);
            }
        };
    }

    private static List<Window> windows(final Node node, final PlanValue[] in) {
        return switch (node.opType()) {
            case "Gather" -> gather(node, in);
            case "Slice" -> List.of(slice(node, in));
            case "Split" -> split(node, in);
            default -> throw GraphException.unsupported(node, "not a slicing operator");
        };
    }

    private static List<Window> gather(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", 0), s.length);
        final long[] idx = ReshapeOp.constantInts(node, in, 1, "indices");
        if (in[1].rank() > 1) {
            throw GraphException.unsupported(node, "indices of rank > 1 are not supported");
        }
        final int[] strides = Shapes.strides(s);
        final boolean scalar = in[1].rank() == 0;
        final int[] shape = new int[scalar ? s.length - 1 : s.length];
        final int[] st = new int[shape.length];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == axis) {
                if (!scalar) {
                    shape[j] = 1;
                    st[j++] = 0;
                }
                continue;
            }
            shape[j] = s[i];
            st[j++] = strides[i];
        }
        if (scalar) {
            return List.of(new Window(shape, Shapes.index(node, idx[0], s[axis]) * strides[axis], st));
        }
        // one index per window, stacked along the axis: expressed as one window per index would need several
        // outputs, so indices of rank 1 must be a single index or consecutive
        for (int i = 1; i < idx.length; i++) {
            if (Shapes.index(node, idx[i], s[axis]) != Shapes.index(node, idx[0], s[axis]) + i) {
                throw GraphException.unsupported(node, "only consecutive indices are supported");
            }
        }
        shape[axis] = idx.length;
        st[axis] = strides[axis];
        return List.of(new Window(shape, Shapes.index(node, idx[0], s[axis]) * strides[axis], st));
    }

    private static Window slice(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        final long[] starts = ReshapeOp.constantInts(node, in, 1, "starts");
        final long[] ends = ReshapeOp.constantInts(node, in, 2, "ends");
        final long[] axes = in.length > 3 && in[3] != null ? ReshapeOp.constantInts(node, in, 3, "axes") : null;
        final long[] steps = in.length > 4 && in[4] != null ? ReshapeOp.constantInts(node, in, 4, "steps") : null;
        final int[] strides = Shapes.strides(s);
        final int[] shape = s.clone();
        final int[] st = strides.clone();
        int offset = 0;
        for (int i = 0; i < starts.length; i++) {
            final int axis = axes == null ? i : Shapes.axis(node, axes[i], s.length);
            final long step = steps == null ? 1 : steps[i];
            if (step == 0) {
                throw GraphException.invalid(node, "step 0");
            }
            final long dim = s[axis];
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0) {
                start = Math.max(0, Math.min(start, dim));
                end = Math.max(0, Math.min(end, dim));
            } else {
                start = Math.max(-1, Math.min(start, dim - 1));
                end = Math.max(-1, Math.min(end, dim - 1));
            }
            final long count = step > 0 ? Math.max(0, (end - start + step - 1) / step)
                : Math.max(0, (start - end - step - 1) / -step);
            shape[axis] = (int) count;
            st[axis] = (int) (strides[axis] * step);
            offset += count == 0 ? 0 : (int) (start * strides[axis]);
        }
        return new Window(shape, offset, st);
    }

    private static List<Window> split(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        final int axis = Shapes.axis(node, node.attrs().getInt("axis", 0), s.length);
        final int parts = node.outputs().size();
        final long[] sizes;
        if (in.length > 1 && in[1] != null) {
            sizes = ReshapeOp.constantInts(node, in, 1, "split");
        } else {
            if (s[axis] % parts != 0) {
                throw GraphException.invalid(node, "axis of " + s[axis] + " does not split into " + parts);
            }
            sizes = new long[parts];
            java.util.Arrays.fill(sizes, s[axis] / parts);
        }
        long total = 0;
        for (final long v : sizes) {
            total += v;
        }
        if (sizes.length != parts || total != s[axis]) {
            throw GraphException.invalid(node, "split sizes do not add up to " + s[axis]);
        }
        final int[] strides = Shapes.strides(s);
        final List<Window> ws = new ArrayList<>(parts);
        int at = 0;
        for (final long size : sizes) {
            final int[] shape = s.clone();
            shape[axis] = (int) size;
            ws.add(new Window(shape, at * strides[axis], strides));
            at += (int) size;
        }
        return ws;
    }
}
