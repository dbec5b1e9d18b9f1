package io.mobileformer.engine.kernel;

/**
 * Mean and biased variance of a run of values, two passes in double (the mean first, then squared deviations from
 * it), for the normalizations that need the statistics themselves: instance norm, and layer norm's optional Mean and
 * InvStdDev outputs. The layer-norm kernels keep their own float loops, which their vector twins match.
 */
public final class Moments {
    private Moments() {
    }

    /** {mean, variance} of {@code x[off, off + n)}. */
    public static double[] of(final float[] x, final int off, final int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
        }
        final double mean = sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            final double d = x[off + i] - mean;
            sq += d * d;
        }
        return new double[] {mean, sq / n};
    }
}
