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
 * The {@code Reduce*} family over any set of axes ({@code Sum}, {@code Mean}, {@code Max}, {@code Min}, {@code Prod},
 * {@code L1}, {@code L2}, {@code SumSquare}, {@code LogSum}, {@code LogSumExp}) and {@code ArgMax}/{@code ArgMin}.
 * Axes come from the attribute (opset 13-17) or, for {@code ReduceSum} from opset 13, from a constant input, with
 * {@code noop_with_empty_axes}. A {@code ReduceMean} over adjacent axes keeps its vector kernel ({@link ReduceMeanOp});
 * everything else is a scalar loop that, for each output element, walks the reduced axes with an odometer.
 */
public final class ReduceOp implements Op {
    static final ReduceOp INSTANCE = new ReduceOp();

    private ReduceOp() {
    }

    /** Which input axes are reduced, or {@code null} for none (the identity of {@code noop_with_empty_axes}). */
    private static boolean[] reduced(final Node node, final PlanValue[] in) {
        final int rank = in[0].rank();
        final boolean[] r = new boolean[rank];
        if (node.opType().startsWith("Arg")) {
            r[Shapes.axis(node, node.attrs().getInt("axis", 0), rank)] = true;
            return r;
        }
        long[] axes = node.attrs().getInts("axes", null);
        if (in.length > 1 && in[1] != null) {
            axes = ReshapeOp.constantInts(node, in, 1, "axes");
        }
        if (axes == null || axes.length == 0) {
            if (node.attrs().getInt("noop_with_empty_axes", 0) != 0) {
                return null;
            }
            Arrays.fill(r, true);
            return r;
        }
        for (final long a : axes) {
            r[Shapes.axis(node, a, rank)] = true;
        }
        return r;
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        final boolean[] r = reduced(node, in);
        if (r == null) {
            return new int[][] {s.clone()};
        }
        final boolean keep = node.attrs().getInt("keepdims", 1) != 0;
        final int[] out = new int[s.length];
        int j = 0;
        for (int i = 0; i < s.length; i++) {
            if (!r[i]) {
                out[j++] = s[i];
            } else if (keep) {
                out[j++] = 1;
            }
        }
        return new int[][] {Arrays.copyOf(out, j)};
    }

    private static boolean adjacent(final boolean[] r) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < r.length; i++) {
            if (r[i]) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        for (int i = first; i <= last && first >= 0; i++) {
            if (!r[i]) {
                return false;
            }
        }
        return first >= 0;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final boolean[] r = reduced(node, b.values());
        if (r == null) {
            return (arena, par) -> System.arraycopy(x.array(arena), x.offset(), arena, y.offset(), y.size());
        }
        if (node.opType().equals("ReduceMean") && adjacent(r) && node.attrs().getInts("axes", null) != null) {
            return ReduceMeanOp.INSTANCE.bind(node, b);
        }
        final String kind = node.opType();
        final boolean lastIndex = node.attrs().getInt("select_last_index", 0) != 0;
        final int[] s = x.shape();
        final int[] st = Shapes.strides(s);
        // the kept axes (outer odometer) and the reduced ones (inner odometer), with their input strides
        final int[] keptDims = axes(s, r, false);
        final int[] keptStrides = axes(st, r, false);
        final int[] redDims = axes(s, r, true);
        final int[] redStrides = axes(st, r, true);
        final int outSize = y.size();
        final int count = Shapes.size(redDims);
        final int argStride = kind.startsWith("Arg") ? redStrides[0] : 1;
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int[] ko = new int[keptDims.length];
            final int[] ro = new int[redDims.length];
            int base = x.offset();
            for (int o = 0; o < outSize; o++) {
                arena[y.offset() + o] = reduce(kind, xa, base, redDims, redStrides, ro, count, lastIndex, argStride);
                base = Odometer.advance(ko, keptDims, keptStrides, base);
            }
        };
    }

    private static int[] axes(final int[] v, final boolean[] r, final boolean reduced) {
        int n = 0;
        for (final boolean b : r) {
            n += b == reduced ? 1 : 0;
        }
        final int[] out = new int[n];
        for (int i = 0, j = 0; i < r.length; i++) {
            if (r[i] == reduced) {
                out[j++] = v[i];
            }
        }
        return out;
    }

    /** One output element: the reduction of the elements at {@code base} + the reduced axes' offsets. */
    private static float reduce(final String kind, final float[] xa, final int base, final int[] dims,
                                final int[] strides, final int[] ro, final int count, final boolean lastIndex,
                                final int argStride) {
        Arrays.fill(ro, 0);
        double acc = switch (kind) {
            case "ReduceMax", "ArgMax" -> Double.NEGATIVE_INFINITY;
            case "ReduceMin", "ArgMin" -> Double.POSITIVE_INFINITY;
            case "ReduceProd" -> 1;
            default -> 0;
        };
        int best = 0;
        int at = base;
        // LogSumExp: subtract the max first so exp cannot overflow
        double max = Double.NEGATIVE_INFINITY;
        if (kind.equals("ReduceLogSumExp")) {
            for (int i = 0, p = base; i < count; i++) {
                max = Math.max(max, xa[p]);
                p = Odometer.advance(ro, dims, strides, p);
            }
            Arrays.fill(ro, 0);
            if (Double.isInfinite(max)) {
                max = 0;
            }
        }
        for (int i = 0; i < count; i++) {
            final double v = xa[at];
            switch (kind) {
                case "ReduceSum", "ReduceMean", "ReduceLogSum" -> acc += v;
                case "ReduceMax" -> acc = Math.max(acc, v);
                case "ReduceMin" -> acc = Math.min(acc, v);
                case "ReduceProd" -> acc *= v;
                case "ReduceL1" -> acc += Math.abs(v);
                case "ReduceL2", "ReduceSumSquare" -> acc += v * v;
                case "ReduceLogSumExp" -> acc += Math.exp(v - max);
                case "ArgMax" -> {
                    if (v > acc || (lastIndex && v == acc) || i == 0) {
                        acc = v;
                        best = (at - base) / argStride;
                    }
                }
                case "ArgMin" -> {
                    if (v < acc || (lastIndex && v == acc) || i == 0) {
                        acc = v;
                        best = (at - base) / argStride;
                    }
                }
                default -> throw new IllegalStateException(kind);
            }
            at = Odometer.advance(ro, dims, strides, at);
        }
        return switch (kind) {
            case "ReduceMean" -> (float) (acc / count);
            case "ReduceL2" -> (float) Math.sqrt(acc);
            case "ReduceLogSum" -> (float) Math.log(acc);
            case "ReduceLogSumExp" -> (float) (Math.log(acc) + max);
            case "ArgMax", "ArgMin" -> best;
            default -> (float) acc;
        };
    }
}
