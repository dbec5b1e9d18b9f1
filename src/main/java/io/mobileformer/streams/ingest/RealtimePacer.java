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

    /** Sleeps until the packet with this presentation time is due; returns at once for the first packet and after a jump. */
    void await(final long ptsMicros) throws InterruptedException {
        if (ptsMicros == Long.MIN_VALUE) {
            return;
        }
        final long now = System.nanoTime();
        final long waitNanos = startNanos == Long.MIN_VALUE ? 0 : startNanos + (ptsMicros - firstPtsMicros) * 1000 - now;
        if (startNanos == Long.MIN_VALUE || waitNanos > MAX_WAIT_NANOS) {
            startNanos = now;
            firstPtsMicros = ptsMicros;
        } else if (waitNanos > 0) {
            Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
        }
    }
}
