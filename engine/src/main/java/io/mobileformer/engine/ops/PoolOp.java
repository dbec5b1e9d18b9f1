package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

import java.util.Arrays;

/**
 * {@code MaxPool}, {@code AveragePool}, {@code GlobalAveragePool} and {@code GlobalMaxPool} over any number of spatial
 * axes of {@code [N, C, spatial...]}: kernel, strides, dilations, explicit or automatic padding, {@code ceil_mode} and
 * {@code count_include_pad}. A scalar kernel parallel over the N*C planes (a detector pools a few times per image:
 * the stem's 3x3 stride 2, SPPF's 5x5 stride 1).
 *
 * <p>Refused at load: {@code MaxPool}'s optional {@code Indices} output and a column-major {@code storage_order}.
 */
public final class PoolOp implements Op {
    static final PoolOp INSTANCE = new PoolOp();

    private PoolOp() {
    }

    /** The window geometry per spatial axis, resolved against one input shape. */
    private record Geometry(int[] in, int[] out, int[] kernel, int[] strides, int[] dilations, int[] padBegin,
                            int[] padEnd) {
    }

    private static boolean global(final Node node) {
        return node.opType().startsWith("Global");
    }

    private static boolean max(final Node node) {
        return node.opType().endsWith("MaxPool");
    }

    private static int[] ints(final Node node, final String name, final int n, final int dflt) {
        final long[] v = node.attrs().getInts(name, null);
        final int[] r = new int[n];
        if (v == null || v.length == 0) {
            Arrays.fill(r, dflt);
            return r;
        }
        if (v.length != n && !(name.equals("pads") && v.length == 2 * n)) {
            throw GraphException.invalid(node, name + " has " + v.length + " values for " + n + " spatial axes");
        }
        for (int i = 0; i < Math.min(v.length, n); i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    private static Geometry geometry(final Node node, final int[] x) {
        if (x.length < 3) {
            throw GraphException.invalid(node, "input must be [N, C, spatial...], not " + Shapes.str(x));
        }
        final int n = x.length - 2;
        final int[] in = Arrays.copyOfRange(x, 2, x.length);
        if (global(node)) {
            final int[] ones = new int[n];
            Arrays.fill(ones, 1);
            return new Geometry(in, ones.clone(), in.clone(), ones.clone(), ones.clone(), new int[n], new int[n]);
        }
        if (node.outputs().size() > 1) {
            throw GraphException.unsupported(node, "the Indices output is not supported");
        }
        if (node.attrs().getInt("storage_order", 0) != 0) {
            throw GraphException.unsupported(node, "storage_order=1 is not supported");
        }
        final int[] kernel = ints(node, "kernel_shape", n, -1);
        if (kernel[0] < 0) {
            throw GraphException.invalid(node, "kernel_shape is required");
        }
        final int[] strides = ints(node, "strides", n, 1);
        final int[] dil = ints(node, "dilations", n, 1);
        final long[] pads = node.attrs().getInts("pads", new long[2 * n]);
        final String auto = node.attrs().getString("auto_pad", "NOTSET");
        final boolean ceil = node.attrs().getInt("ceil_mode", 0) != 0;
        final int[] out = new int[n];
        final int[] pb = new int[n];
        final int[] pe = new int[n];
        for (int i = 0; i < n; i++) {
            final int span = (kernel[i] - 1) * dil[i] + 1;
            switch (auto) {
                case "NOTSET" -> {
                    pb[i] = (int) pads[i];
                    pe[i] = (int) pads[i + n];
                    final int room = in[i] + pb[i] + pe[i] - span;
                    out[i] = (ceil ? Math.floorDiv(room + strides[i] - 1, strides[i]) : Math.floorDiv(room, strides[i]))
                        + 1;
                    // ceil mode: a last window that would start inside the end padding is dropped (PyTorch's
                    // rule, which ONNX Runtime follows)
                    if (ceil && (out[i] - 1) * strides[i] >= in[i] + pb[i]) {
                        out[i]--;
                    }
                }
                case "VALID" -> out[i] = Math.floorDiv(in[i] - span, strides[i]) + 1;
                case "SAME_UPPER", "SAME_LOWER" -> {
                    out[i] = (in[i] + strides[i] - 1) / strides[i];
                    final int total = Math.max(0, (out[i] - 1) * strides[i] + span - in[i]);
                    pb[i] = auto.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                    pe[i] = total - pb[i];
                }
                default -> throw GraphException.unsupported(node, "auto_pad '" + auto + "' is not supported");
            }
            if (out[i] < 1) {
                throw GraphException.invalid(node, "the window does not fit axis " + (i + 2) + " of "
                    + Shapes.str(x));
            }
        }
        return new Geometry(in, out, kernel, strides, dil, pb, pe);
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] x = in[0].shape;
        final Geometry g = geometry(node, x);
        final int[] out = new int[x.length];
        out[0] = x[0];
        out[1] = x[1];
        System.arraycopy(g.out(), 0, out, 2, g.out().length);
        return new int[][] {out};
    }

    @Override
    public String label(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return node.opType() + (global(node) ? "" : "(" + Arrays.toString(geometry(node, in[0].shape).kernel())
            .replaceAll("[\\[\\] ]", "").replace(',', 'x') + ")");
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final Geometry g = geometry(node, x.shape());
        final boolean isMax = max(node);
        final boolean includePad = node.attrs().getInt("count_include_pad", 0) != 0;
        final int planes = x.dim(0) * x.dim(1);
        final int inPlane = Shapes.size(g.in());
        final int outPlane = Shapes.size(g.out());
        final int[] inStrides = Shapes.strides(g.in());
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, planes, (long) planes * outPlane * Shapes.size(g.kernel()));
            par.run(tasks, (t, w) -> {
                final int n = g.in().length;
                final int[] o = new int[n];
                final int[] k = new int[n];
                for (int p = Tasks.start(planes, t, tasks); p < Tasks.start(planes, t + 1, tasks); p++) {
                    final int src = x.offset() + p * inPlane;
                    final int dst = y.offset() + p * outPlane;
                    Arrays.fill(o, 0);
                    for (int i = 0; i < outPlane; i++) {
                        arena[dst + i] = window(xa, src, g, inStrides, o, k, isMax, includePad);
                        for (int a = n - 1; a >= 0 && ++o[a] == g.out()[a]; a--) {
                            o[a] = 0;
                        }
                    }
                }
            });
        };
    }

    /** The max or average of the window at output position {@code o}; {@code k} is scratch for the kernel index. */
    private static float window(final float[] xa, final int src, final Geometry g, final int[] inStrides, final int[] o,
                                final int[] k, final boolean isMax, final boolean includePad) {
        final int n = o.length;
        Arrays.fill(k, 0);
        float acc = isMax ? Float.NEGATIVE_INFINITY : 0f;
        int count = 0;
        int padded = 0;
        while (true) {
            int at = src;
            boolean inside = true;
            boolean inPadding = true;
            for (int a = 0; a < n; a++) {
                final int pos = o[a] * g.strides()[a] - g.padBegin()[a] + k[a] * g.dilations()[a];
                if (pos < 0 || pos >= g.in()[a]) {
                    inside = false;
                    // count_include_pad counts positions in the explicit padding, not beyond it (ceil mode)
                    inPadding &= pos >= -g.padBegin()[a] && pos < g.in()[a] + g.padEnd()[a];
                }
                at += pos * inStrides[a];
            }
            if (inside) {
                final float v = xa[at];
                acc = isMax ? (v > acc || Float.isNaN(v) ? v : acc) : acc + v;
                count++;
                padded++;
            } else if (inPadding) {
                padded++;
            }
            int a = n - 1;
            while (a >= 0 && ++k[a] == g.kernel()[a]) {
                k[a] = 0;
                a--;
            }
            if (a < 0) {
                break;
            }
        }
        if (isMax) {
            return acc;
        }
        return acc / (includePad ? padded : count);
    }
}
