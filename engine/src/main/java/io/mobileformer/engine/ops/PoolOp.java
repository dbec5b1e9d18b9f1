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

    private static boolean global(final Node node) {
        return node.opType().startsWith("Global");
    }

    private static boolean max(final Node node) {
        return node.opType().endsWith("MaxPool");
    }

    private static SlidingWindow geometry(final Node node, final int[] x) {
        if (x.length < 3) {
            throw GraphException.invalid(node, "input must be [N, C, spatial...], not " + Shapes.str(x));
        }
        final int n = x.length - 2;
        final int[] in = Arrays.copyOfRange(x, 2, x.length);
        if (global(node)) {
            final int[] ones = new int[n];
            Arrays.fill(ones, 1);
            return new SlidingWindow(in, ones.clone(), in.clone(), ones.clone(), ones.clone(), new int[n], new int[n]);
        }
        if (node.outputs().size() > 1) {
            throw GraphException.unsupported(node, "the Indices output is not supported");
        }
        if (node.attrs().getInt("storage_order", 0) != 0) {
            throw GraphException.unsupported(node, "storage_order=1 is not supported");
        }
        final int[] kernel = SlidingWindow.ints(node, "kernel_shape", n, -1);
        if (kernel[0] < 0) {
            throw GraphException.invalid(node, "kernel_shape is required");
        }
        return SlidingWindow.forward(node, x, kernel, node.attrs().getInt("ceil_mode", 0) != 0);
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] x = in[0].shape;
        return new int[][] {geometry(node, x).outputShape(x, x[1])};
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
        final SlidingWindow g = geometry(node, x.shape());
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
                    if (n == 2 && isMax) {
                        maxPool2d(xa, src, g, arena, dst);
                        continue;
                    }
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

    /**
     * MaxPool over one 2-D plane, the detector case (a stem's 3x3 stride 2, SPPF's 5x5 stride 1 three times in a
     * row): direct loops over window rows and columns instead of the general odometer, a padded row skipped in one
     * test and the inner loop a scan along the row. Padding never wins a max, so skipping it is exact.
     */
    private static void maxPool2d(final float[] xa, final int src, final SlidingWindow g, final float[] out,
                                  final int dst) {
        final int h = g.in()[0];
        final int w = g.in()[1];
        final int oh = g.out()[0];
        final int ow = g.out()[1];
        final int kh = g.kernel()[0];
        final int kw = g.kernel()[1];
        final int sh = g.strides()[0];
        final int sw = g.strides()[1];
        final int dh = g.dilations()[0];
        final int dw = g.dilations()[1];
        for (int oy = 0; oy < oh; oy++) {
            final int y0 = oy * sh - g.padBegin()[0];
            for (int ox = 0; ox < ow; ox++) {
                final int x0 = ox * sw - g.padBegin()[1];
                float m = Float.NEGATIVE_INFINITY;
                for (int ky = 0; ky < kh; ky++) {
                    final int yy = y0 + ky * dh;
                    if (yy < 0 || yy >= h) {
                        continue;
                    }
                    final int row = src + yy * w;
                    for (int kx = 0; kx < kw; kx++) {
                        final int xx = x0 + kx * dw;
                        if (xx >= 0 && xx < w) {
                            final float v = xa[row + xx];
                            m = v > m || Float.isNaN(v) ? v : m;
                        }
                    }
                }
                out[dst + oy * ow + ox] = m;
            }
        }
    }

    /** The max or average of the window at output position {@code o}; {@code k} is scratch for the kernel index. */
    private static float window(final float[] xa, final int src, final SlidingWindow g, final int[] inStrides,
                                final int[] o,
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
