package io.mobileformer.streams.ingest;

/**
 * Holds a file source back to its own frame rate, so a recorded clip behaves like the camera that recorded it (the
 * {@code -re} of the ffmpeg command line). Live sources are never paced: they pace themselves.
 */
final class RealtimePacer {
    /** A longer wait than this is a timestamp jump in the file, not a frame interval: restart the timeline there. */
    static final long MAX_WAIT_NANOS = 5_000_000_000L;

    private long startNanos = Long.MIN_VALUE;
    private long firstPtsMicros;

    /**
     * How long to wait before passing on the packet with this presentation time: 0 for the first packet and after a
     * jump in the file's timestamps.
     */
    long delayNanos(final long ptsMicros) {
        if (ptsMicros == Long.MIN_VALUE) {
            return 0;
        }
        final long now = System.nanoTime();
        final long wait = startNanos == Long.MIN_VALUE ? 0 : startNanos + (ptsMicros - firstPtsMicros) * 1000 - now;
        if (startNanos == Long.MIN_VALUE || wait > MAX_WAIT_NANOS) {
            startNanos = now;
            firstPtsMicros = ptsMicros;
            return 0;
        }
        return Math.max(0, wait);
    }
}
