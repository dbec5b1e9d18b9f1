package io.mobileformer.engine.kernel;

/**
 * Numerically stable softmax ({@code exp(x - max) / sum}) over one axis of a contiguous block
 * {@code [outer, axis, inner]}. {@code inner == 1} is the usual last-axis case (Mobile→Former normalizes each token
 * over up to ~10^5 pixels, spec section 6.1); {@code inner > 1} normalizes along a strided axis with vectors running
 * across {@code inner}, which is how Former→Mobile's softmax over 3-6 tokens stays vectorized when the planner stores
 * its logits token-major.
 */
public final class Softmax {
    private Softmax() {
    }

    /** Slices [o0, o1) of the outer axis. {@code y} may be {@code x}. */
    public static void run(final boolean vector, final float[] x, final int xo, final float[] y, final int yo,
                           final int axis, final int inner, final int o0, final int o1) {
        if (vector) {
            SoftmaxVector.run(x, xo, y, yo, axis, inner, o0, o1);
            return;
        }
        for (int o = o0; o < o1; o++) {
            for (int i = 0; i < inner; i++) {
                final int base = o * axis * inner + i;
                float max = Float.NEGATIVE_INFINITY;
                for (int a = 0; a < axis; a++) {
                    max = Math.max(max, x[xo + base + a * inner]);
                }
                float sum = 0f;
                for (int a = 0; a < axis; a++) {
                    final float e = FastMath.exp(x[xo + base + a * inner] - max);
                    y[yo + base + a * inner] = e;
                    sum += e;
                }
                final float inv = 1f / sum;
                for (int a = 0; a < axis; a++) {
                    y[yo + base + a * inner] *= inv;
                }
            }
        }
    }
}
