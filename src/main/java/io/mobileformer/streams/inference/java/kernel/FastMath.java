package io.mobileformer.streams.inference.java.kernel;

/**
 * Scalar transcendental functions shared by the scalar kernels and the vector kernels' tails. {@code exp} follows the
 * same Cephes polynomial as {@code VectorMath.exp} so that the two paths agree to the last bits that matter.
 */
public final class FastMath {
    static final float EXP_LO = -87.3f;
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

    /** e^x with a relative error below 1e-7 on [-87, 88]; clamps outside (softmax inputs are <= 0 anyway). */
    public static float exp(final float x) {
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
        final double t = 1.0 / (1.0 + 0.3275911 * x);
        final double y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
            + 0.254829592) * t * Math.exp(-x * x);
        return (float) (xf < 0 ? -y : y);
    }
}
