package io.mobileformer.engine.kernel;

/**
 * Bilinear resize of the two trailing axes (ONNX {@code Resize}, mode linear), with the two source rows or columns
 * and the weight of the second one precomputed per plan for every output row and column (the maps encode the
 * coordinate transformation). Each output value blends four inputs: first along the row, then between rows.
 */
public final class ResizeLinear {
    private ResizeLinear() {
    }

    /**
     * Planes [p0, p1) of {@code in [planes, h, w]} into {@code out [planes, y0.length, x0.length]}: output (y, x) is
     * {@code lerp(lerp(in[y0][x0], in[y0][x1], wx), lerp(in[y1][x0], in[y1][x1], wx), wy)}.
     */
    public static void run(final float[] in, final int inOff, final int h, final int w, final int[] y0,
                           final int[] y1, final float[] wy, final int[] x0, final int[] x1, final float[] wx,
                           final float[] out, final int outOff, final int p0, final int p1) {
        final int oh = y0.length;
        final int ow = x0.length;
        for (int p = p0; p < p1; p++) {
            final int src = inOff + p * h * w;
            final int dst = outOff + p * oh * ow;
            for (int y = 0; y < oh; y++) {
                final int r0 = src + y0[y] * w;
                final int r1 = src + y1[y] * w;
                final float b = wy[y];
                for (int x = 0; x < ow; x++) {
                    final float a = wx[x];
                    final float top = in[r0 + x0[x]] * (1 - a) + in[r0 + x1[x]] * a;
                    final float bottom = in[r1 + x0[x]] * (1 - a) + in[r1 + x1[x]] * a;
                    out[dst + y * ow + x] = top * (1 - b) + bottom * b;
                }
            }
        }
    }
}
