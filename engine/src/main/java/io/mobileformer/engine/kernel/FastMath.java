package io.mobileformer.engine.kernel;

/**
 * Scalar transcendental functions shared by the scalar kernels and the vector kernels' tails. {@code exp} follows the
 * same Cephes polynomial as {@code VectorMath.exp} so that the two paths agree to the last bits that matter.
 */
public final class FastMath {
    static final float EXP_LO = -87.3f;
    /**
     * Below this, e^x is returned as exactly 0 (it is under 1e-26). Softmax divides by sums up to the pixel count, which
     * turns e^-87 into a denormal, and denormal operands cost microcode assists in every later multiply (the
     * Mobile→Former softmax at 128x128 ran 5x slower inside the network than on random logits).
     */
    static final float EXP_FLUSH = -60f;
    static final float EXP_HI = 88.3f;
    static final float LOG2E = 1.44269504f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float to an integer held in the low mantissa bits. */
    static final float ROUND_MAGIC = 12582912f;
    static final float P0 = 1.9875691500e-4f;
    static final float P1 = 1.3981999507e-3f;
    static final float P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f;
    static final float P4 = 1.6666665459e-1f;
    static final float P5 = 5.0000001201e-1f;

    private FastMath() {
    }

    /**
     * e^x with a relative error below 1e-7 on [-60, 88]; 0 below -60 (see {@link #EXP_FLUSH}), clamped above 88
     * (softmax inputs are <= 0 anyway).
     */
    public static float exp(final float x) {
        if (x < EXP_FLUSH) {
            return 0f;
        }
        final float v = Math.min(Math.max(x, EXP_LO), EXP_HI);
        final float n = (float) Math.rint(v * LOG2E);
        final float r = v - n * LN2_HI - n * LN2_LO;
        float p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
        p = p * (r * r) + r + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    public static float sigmoid(final float x) {
        return 1f / (1f + exp(-x));
    }

    /**
     * The error function, Abramowitz and Stegun 7.1.26 evaluated in double: absolute error below 1.5e-7, ample for
     * GELU in float32 (it only ever sees token activations).
     */
    public static float erf(final float xf) {
        final double x = Math.abs(xf);
        final double t = 1.0 / (1.0 + ERF_P * x);
        final double y = 1.0 - ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t * Math.exp(-x * x);
        return (float) (xf < 0 ? -y : y);
    }

    static final float ERF_P = 0.3275911f;
    static final float ERF_A1 = 0.254829592f;
    static final float ERF_A2 = -0.284496736f;
    static final float ERF_A3 = 1.421413741f;
    static final float ERF_A4 = -1.453152027f;
    static final float ERF_A5 = 1.061405429f;
}
