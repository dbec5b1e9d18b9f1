package io.mobileformer.streams.batch;

import java.util.Locale;

/**
 * Triton-style dynamic batching settings.
 *
 * @param maxSize       largest batch
 * @param maxDelayNanos how long the oldest waiting frame may wait for a fuller batch
 * @param queueCapacity frames that may wait; beyond it {@link #policy} applies
 * @param policy        {@code BLOCK}: callers wait for room (backpressure onto Kafka, nothing lost);
 *                      {@code DROP_OLDEST}: the oldest waiting frame is dropped and reported (live mode)
 */
public record BatchSettings(int maxSize, long maxDelayNanos, int queueCapacity, FullPolicy policy) {
    public enum FullPolicy {
        BLOCK, DROP_OLDEST;

        public static FullPolicy parse(final String s) {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    public BatchSettings {
        if (maxSize < 1 || queueCapacity < 1 || maxDelayNanos < 0) {
            throw new IllegalArgumentException("batch settings must be positive: " + maxSize + ", " + maxDelayNanos
                + ", " + queueCapacity);
        }
    }
}
