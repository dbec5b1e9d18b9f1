package io.mobileformer.streams.observe;

/**
 * One part of a process's readiness, asked on every {@code GET /health/ready}: the detector's Kafka Streams state and
 * engines, ingest's producer and cameras. Implementations read state that is already there and return at once; they
 * must not block or call a broker (a probe times out in a second or so).
 */
@FunctionalInterface
public interface Readiness {

    /** What one check found: ready or not, and why, in a few words for the probe's response body. */
    record Status(boolean ready, String detail) {
        public static Status ready(final String detail) {
            return new Status(true, detail);
        }

        public static Status notReady(final String detail) {
            return new Status(false, detail);
        }
    }

    Status check();
}
