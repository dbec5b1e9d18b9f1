package io.mobileformer.streams.ingest;

/**
 * Capture times for the packets of one connection: wall-clock time of the first video packet, advanced by presentation
 * time from there.
 *
 * <p>Following presentation time (rather than stamping each record with its arrival time) keeps network jitter and
 * our own buffering out of the timeline: frames 40 ms apart in the video are 40 ms apart in Kafka. Cameras' own
 * clocks (RTCP sender reports) are not trusted: many are never set. When presentation time and arrival drift more
 * than {@link #MAX_DRIFT_MICROS} apart (a timestamp jump, a camera whose clock runs fast) the clock re-anchors on
 * arrival time.
 */
final class CaptureClock {
    static final long MAX_DRIFT_MICROS = 2_000_000;

    private long anchorWallMicros = Long.MIN_VALUE;
    private long anchorPtsMicros;

    /**
     * @param ptsMicros   the packet's presentation time ({@code Long.MIN_VALUE}: unknown)
     * @param arrivalMicros wall-clock time the packet was read, microseconds since the epoch
     * @return the capture time, microseconds since the epoch
     */
    long captureMicros(final long ptsMicros, final long arrivalMicros) {
        if (ptsMicros == Long.MIN_VALUE) {
            return arrivalMicros;
        }
        if (anchorWallMicros != Long.MIN_VALUE) {
            final long t = anchorWallMicros + (ptsMicros - anchorPtsMicros);
            if (Math.abs(t - arrivalMicros) <= MAX_DRIFT_MICROS) {
                return t;
            }
        }
        anchorWallMicros = arrivalMicros;
        anchorPtsMicros = ptsMicros;
        return arrivalMicros;
    }
}
