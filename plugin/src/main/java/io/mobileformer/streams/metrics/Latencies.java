package io.mobileformer.streams.metrics;

import java.util.Arrays;

/** Latency samples in milliseconds and their percentiles; synchronized, for progress lines and summaries. */
public final class Latencies {
    private double[] samples = new double[1024];
    private int n;

    public synchronized void add(final double ms) {
        if (n == samples.length) {
            samples = Arrays.copyOf(samples, n * 2);
        }
        samples[n++] = ms;
    }

    public synchronized int count() {
        return n;
    }

    /** Nearest-rank percentile, {@code p} in [0, 100]; NaN without samples. */
    public synchronized double percentile(final double p) {
        if (n == 0) {
            return Double.NaN;
        }
        final double[] s = Arrays.copyOf(samples, n);
        Arrays.sort(s);
        final int rank = (int) Math.ceil(p / 100.0 * n);
        return s[Math.max(0, Math.min(n - 1, rank - 1))];
    }
}
