package io.mobileformer.engine.kernel;

/**
 * {@code y = (x - mean) / sqrt(var + eps) * scale + bias} over rows of {@code d} values: the post-norm of the
 * Mobile→Former bridge and the Former (spec section 1). Variance is the two-pass form, which ONNX Runtime matches to
 * float rounding and which stays exact for the large activations seen after Former→Mobile adds.
 */
public final class LayerNorm {
    private LayerNorm() {
    }

    /** Rows [r0, r1). {@code bias} may be null; {@code y} may be {@code x}. */
    public static void run(final boolean vector, final float[] x, final int xo, final float[] y, final int yo,
                           final int d, final float[] scale, final float[] bias, final float eps, final int r0,
                           final int r1) {
        if (vector) {
            LayerNormVector.run(x, xo, y, yo, d, scale, bias, eps, r0, r1);
            return;
        }
        for (int r = r0; r < r1; r++) {
            final int xr = xo + r * d;
            final int yr = yo + r * d;
            float sum = 0f;
            for (int i = 0; i < d; i++) {
                sum += x[xr + i];
            }
            final float mean = sum / d;
            float sq = 0f;
            for (int i = 0; i < d; i++) {
                final float c = x[xr + i] - mean;
                sq += c * c;
            }
            final float inv = (float) (1.0 / Math.sqrt(sq / d + eps));
            for (int i = 0; i < d; i++) {
                final float v = (x[xr + i] - mean) * inv * scale[i];
                y[yr + i] = bias == null ? v : v + bias[i];
            }
        }
    }
}
