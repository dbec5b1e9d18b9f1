package io.mobileformer.engine.kernel;

/**
 * Nearest-neighbour resize of the two trailing axes with source indices precomputed per plan (ONNX {@code Resize},
 * mode nearest; the index maps encode the coordinate transformation and rounding mode).
 */
public final class ResizeNearest {
    private ResizeNearest() {
    }

    /** Planes [p0, p1) of {@code in [planes, h, w]} into {@code out [planes, ys.length, xs.length]}. */
    public static void run(final float[] in, final int inOff, final int h, final int w, final int[] ys,
                           final int[] xs, final float[] out, final int outOff, final int p0, final int p1) {
        final int oh = ys.length;
        final int ow = xs.length;
        for (int p = p0; p < p1; p++) {
            final int src = inOff + p * h * w;
            final int dst = outOff + p * oh * ow;
            for (int y = 0; y < oh; y++) {
                final int row = src + ys[y] * w;
                final int o = dst + y * ow;
                if (y > 0 && ys[y] == ys[y - 1]) {
                    System.arraycopy(out, o - ow, out, o, ow);
                    continue;
                }
                for (int x = 0; x < ow; x++) {
                    out[o + x] = in[row + xs[x]];
                }
            }
        }
    }
}
