package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

/**
 * {@code GridSample} (opset 16) on 2-D inputs: output pixel (y, x) samples the input at the grid's normalized
 * coordinates ({@code [-1, 1]} spans the input; {@code align_corners} says whether -1 and 1 are the corner pixels'
 * centres or their outer edges), with bilinear, nearest or bicubic interpolation and zeros, border or reflection
 * padding. Scalar: the grid is data, so nothing can be precomputed at bind time.
 */
public final class GridSampleOp implements Op {
    static final GridSampleOp INSTANCE = new GridSampleOp();

    private GridSampleOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] x = in[0].shape;
        final int[] g = in[1].shape;
        if (x.length != 4 || g.length != 4 || g[0] != x[0] || g[3] != 2) {
            throw GraphException.unsupported(node, "only 2-D sampling of [N, C, H, W] with a grid [N, H', W', 2] "
                + "is supported, not " + Shapes.str(x) + " and " + Shapes.str(g));
        }
        final String mode = node.attrs().getString("mode", "bilinear");
        final String pad = node.attrs().getString("padding_mode", "zeros");
        if (!mode.equals("bilinear") && !mode.equals("nearest") && !mode.equals("bicubic")
            || !pad.equals("zeros") && !pad.equals("border") && !pad.equals("reflection")) {
            throw GraphException.unsupported(node, "mode " + mode + " with padding " + pad + " is not supported");
        }
        return new int[][] {{x[0], x[1], g[1], g[2]}};
    }

    /** A normalized coordinate in pixels of an axis of {@code size}. */
    private static double unnormalize(final double c, final int size, final boolean corners) {
        return corners ? (c + 1) / 2 * (size - 1) : ((c + 1) * size - 1) / 2;
    }

    /** Reflects {@code v} into [lo, hi] (repeatedly, as a mirror would). */
    private static double reflect(final double v, final double lo, final double hi) {
        final double span = hi - lo;
        if (span <= 0) {
            return lo;
        }
        double d = Math.abs(v - lo) % (2 * span);
        d = d > span ? 2 * span - d : d;
        return lo + d;
    }

    /** The coordinate after border or reflection padding (zeros leaves it, and reads outside give 0). */
    private static double pad(final double v, final int size, final String mode, final boolean corners) {
        return switch (mode) {
            case "border" -> Math.max(0, Math.min(size - 1, v));
            case "reflection" -> corners ? reflect(v, 0, size - 1)
                : Math.max(0, Math.min(size - 1, reflect(v, -0.5, size - 0.5)));
            default -> v;
        };
    }

    /** Input pixel (yy, xx) of one plane, 0 outside for zeros padding, clamped or reflected otherwise. */
    private static float pixel(final float[] a, final int plane, final int h, final int w, final int yy, final int xx,
                               final String mode, final boolean corners) {
        int y = yy;
        int x = xx;
        if (y < 0 || y >= h || x < 0 || x >= w) {
            if (mode.equals("zeros")) {
                return 0f;
            }
            y = (int) pad(y, h, mode, corners);
            x = (int) pad(x, w, mode, corners);
            y = Math.max(0, Math.min(h - 1, y));
            x = Math.max(0, Math.min(w - 1, x));
        }
        return a[plane + y * w + x];
    }

    /** Cubic convolution weights (A = -0.75, as ONNX's reference) for the four taps around fraction {@code t}. */
    private static double[] cubic(final double t) {
        final double a = -0.75;
        final double[] w = new double[4];
        final double[] d = {t + 1, t, 1 - t, 2 - t};
        for (int i = 0; i < 4; i++) {
            final double z = d[i];
            w[i] = z <= 1 ? ((a + 2) * z - (a + 3)) * z * z + 1 : ((a * z - 5 * a) * z + 8 * a) * z - 4 * a;
        }
        return w;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand grid = b.in(1);
        final Operand y = b.out(0);
        final String mode = node.attrs().getString("mode", "bilinear");
        final String padding = node.attrs().getString("padding_mode", "zeros");
        final boolean corners = node.attrs().getInt("align_corners", 0) != 0;
        final int n = x.dim(0);
        final int c = x.dim(1);
        final int h = x.dim(2);
        final int w = x.dim(3);
        final int oh = y.dim(2);
        final int ow = y.dim(3);
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final float[] ga = grid.array(arena);
            for (int img = 0; img < n; img++) {
                for (int p = 0; p < oh * ow; p++) {
                    final int gi = grid.offset() + (img * oh * ow + p) * 2;
                    final double px = pad(unnormalize(ga[gi], w, corners), w, padding, corners);
                    final double py = pad(unnormalize(ga[gi + 1], h, corners), h, padding, corners);
                    for (int ch = 0; ch < c; ch++) {
                        final int plane = x.offset() + (img * c + ch) * h * w;
                        final double v;
                        if (mode.equals("nearest")) {
                            v = pixel(xa, plane, h, w, (int) Math.rint(py), (int) Math.rint(px), padding, corners);
                        } else if (mode.equals("bilinear")) {
                            final int x0 = (int) Math.floor(px);
                            final int y0 = (int) Math.floor(py);
                            final double fx = px - x0;
                            final double fy = py - y0;
                            v = (1 - fy) * ((1 - fx) * pixel(xa, plane, h, w, y0, x0, padding, corners)
                                + fx * pixel(xa, plane, h, w, y0, x0 + 1, padding, corners))
                                + fy * ((1 - fx) * pixel(xa, plane, h, w, y0 + 1, x0, padding, corners)
                                + fx * pixel(xa, plane, h, w, y0 + 1, x0 + 1, padding, corners));
                        } else {
                            final int x0 = (int) Math.floor(px) - 1;
                            final int y0 = (int) Math.floor(py) - 1;
                            final double[] wx = cubic(px - Math.floor(px));
                            final double[] wy = cubic(py - Math.floor(py));
                            double acc = 0;
                            for (int i = 0; i < 4; i++) {
                                double row = 0;
                                for (int j = 0; j < 4; j++) {
                                    row += wx[j] * pixel(xa, plane, h, w, y0 + i, x0 + j, padding, corners);
                                }
                                acc += wy[i] * row;
                            }
                            v = acc;
                        }
                        arena[y.offset() + (img * c + ch) * oh * ow + p] = (float) v;
                    }
                }
            }
        };
    }
}
