package io.mobileformer.streams.ingest;

import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter between reconnect attempts: the n-th wait is uniform in
 * {@code [0, min(max, base * 2^n)]}.
 *
 * <p>Full jitter (rather than a fixed or merely exponential delay) matters when many cameras behind one switch or NVR
 * drop together: fixed delays make them all reconnect in the same instant, again and again. Roboflow's fixed 1 s
 * restart and DeepStream's fixed reconnect interval are the patterns this avoids. One instance per camera; not
 * thread-safe.
 */
public final class Backoff {
    private static final int MAX_SHIFT = 30;

    private final long baseMs;
    private final long maxMs;
    private final boolean halfFloor;
    private final RandomGenerator random;
    private int attempt;

    /**
     * @param baseMs the cap of the first wait
     * @param maxMs  the largest cap, reached after a few doublings
     */
    public Backoff(final long baseMs, final long maxMs, final RandomGenerator random) {
        this(baseMs, maxMs, false, random);
    }

    /**
     * Waits uniform in {@code [cap / 2, cap]} ("equal jitter"): still spread, but never short. For failures where
     * retrying soon is harmful, not merely useless: a refused login, which cameras count towards locking the account.
     */
    public static Backoff atLeastHalf(final long baseMs, final long maxMs, final RandomGenerator random) {
        return new Backoff(baseMs, maxMs, true, random);
    }

    private Backoff(final long baseMs, final long maxMs, final boolean halfFloor, final RandomGenerator random) {
        if (baseMs < 1 || maxMs < baseMs) {
            throw new IllegalArgumentException("backoff needs 1 <= base (" + baseMs + ") <= max (" + maxMs + ")");
        }
        this.baseMs = baseMs;
        this.maxMs = maxMs;
        this.halfFloor = halfFloor;
        this.random = random;
    }

    /** The cap of the wait before attempt {@code n} (0-based): {@code min(max, base * 2^n)}. */
    public long capMs(final int n) {
        final int shift = Math.min(n, MAX_SHIFT);
        return Math.min(maxMs, baseMs << shift);
    }

    /** The wait before the next attempt; each call counts one more failure. */
    public long nextDelayMs() {
        final long cap = capMs(attempt);
        attempt++;
        final long floor = halfFloor ? cap / 2 : 0;
        return floor + random.nextLong(cap - floor + 1);
    }

    /** Failures counted since the last {@link #reset()}. */
    public int attempts() {
        return attempt;
    }

    /** Call once a connection has proven healthy (it delivered video), so the next failure waits briefly again. */
    public void reset() {
        attempt = 0;
    }
}
