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
 * {@code RoiAlign} (opset 16): each region of interest {@code (x1, y1, x2, y2)} of an image of {@code [N, C, H, W]}
 * pooled to {@code output_height x output_width} bins, each bin the average (or max) of {@code sampling_ratio}^2
 * bilinear samples (adaptive when 0), as a two-stage detector's box head reads its features. The regions and their
 * batch indices are data; the sampling follows ONNX Runtime's kernel, including its max mode (the max over samples of
 * the largest weighted corner, which ONNX Runtime itself warns it will change: the parity test pins today's).
 */
public final class RoiAlignOp implements Op {
    static final RoiAlignOp INSTANCE = new RoiAlignOp();

    private RoiAlignOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] x = in[0].shape;
        final int[] rois = in[1].shape;
        if (x.length != 4 || rois.length != 2 || rois[1] != 4 || in[2].rank() != 1 || in[2].shape[0] != rois[0]) {
            throw GraphException.invalid(node, "needs X [N, C, H, W], rois [R, 4] and batch_indices [R], not "
                + Shapes.str(x) + ", " + Shapes.str(rois) + ", " + Shapes.str(in[2].shape));
        }
        final String mode = node.attrs().getString("mode", "avg");
        if (!mode.equals("avg") && !mode.equals("max")) {
            throw GraphException.unsupported(node, "mode '" + mode + "' is not supported (avg, max)");
        }
        return new int[][] {{rois[0], x[1], (int) node.attrs().getInt("output_height", 1),
            (int) node.attrs().getInt("output_width", 1)}};
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand rois = b.in(1);
        final Operand batchIndex = b.in(2);
        final Operand y = b.out(0);
        final boolean max = node.attrs().getString("mode", "avg").equals("max");
        final boolean halfPixel = !node.attrs().getString("coordinate_transformation_mode", "half_pixel")
            .equals("output_half_pixel");
        final float scale = node.attrs().getFloat("spatial_scale", 1f);
        final int ratio = (int) node.attrs().getInt("sampling_ratio", 0);
        final int c = x.dim(1);
        final int h = x.dim(2);
        final int w = x.dim(3);
        final int r = y.dim(0);
        final int oh = y.dim(2);
        final int ow = y.dim(3);
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final float[] ra = rois.array(arena);
            final float[] ba = batchIndex.array(arena);
            for (int roi = 0; roi < r; roi++) {
                final double offset = halfPixel ? 0.5 : 0;
                final int at = rois.offset() + roi * 4;
                final double x0 = ra[at] * scale - offset;
                final double y0 = ra[at + 1] * scale - offset;
                double rw = ra[at + 2] * scale - offset - x0;
                double rh = ra[at + 3] * scale - offset - y0;
                if (!halfPixel) {
                    rw = Math.max(rw, 1);
                    rh = Math.max(rh, 1);
                }
                final double binH = rh / oh;
                final double binW = rw / ow;
                final int gridH = ratio > 0 ? ratio : (int) Math.ceil(rh / oh);
                final int gridW = ratio > 0 ? ratio : (int) Math.ceil(rw / ow);
                final int count = Math.max(gridH * gridW, 1);
                final int img = (int) ba[batchIndex.offset() + roi];
                for (int ch = 0; ch < c; ch++) {
                    final int plane = x.offset() + (img * c + ch) * h * w;
                    for (int py = 0; py < oh; py++) {
                        for (int px = 0; px < ow; px++) {
                            double acc = max ? Double.NEGATIVE_INFINITY : 0;
                            for (int iy = 0; iy < gridH; iy++) {
                                final double sy = y0 + py * binH + (iy + 0.5) * binH / gridH;
                                for (int ix = 0; ix < gridW; ix++) {
                                    final double sx = x0 + px * binW + (ix + 0.5) * binW / gridW;
                                    final double v = sample(xa, plane, h, w, sy, sx, max);
                                    acc = max ? Math.max(acc, v) : acc + v;
                                }
                            }
                            arena[y.offset() + ((roi * c + ch) * oh + py) * ow + px] =
                                (float) (max ? (gridH * gridW == 0 ? 0 : acc) : acc / count);
                        }
                    }
                }
            }
        };
    }

    /**
     * One bilinear sample at (sy, sx), 0 beyond a pixel outside the plane; {@code max} gives the largest weighted
     * corner instead of their sum (ONNX Runtime's max mode).
     */
    private static double sample(final float[] xa, final int plane, final int h, final int w, final double sy,
                                 final double sx, final boolean max) {
        if (sy < -1 || sy > h || sx < -1 || sx > w) {
            return 0;
        }
        double y = Math.max(sy, 0);
        double x = Math.max(sx, 0);
        int yl = (int) y;
        int xl = (int) x;
        final int yh;
        final int xh;
        if (yl >= h - 1) {
            yl = h - 1;
            yh = h - 1;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= w - 1) {
            xl = w - 1;
            xh = w - 1;
            x = xl;
        } else {
            xh = xl + 1;
        }
        final double ly = y - yl;
        final double lx = x - xl;
        final double w1 = (1 - ly) * (1 - lx) * xa[plane + yl * w + xl];
        final double w2 = (1 - ly) * lx * xa[plane + yl * w + xh];
        final double w3 = ly * (1 - lx) * xa[plane + yh * w + xl];
        final double w4 = ly * lx * xa[plane + yh * w + xh];
        return max ? Math.max(Math.max(w1, w2), Math.max(w3, w4)) : w1 + w2 + w3 + w4;
    }
}
