package io.mobileformer.streams.ingest;

/**
 * A camera's own clock on one RTSP connection, from its RTCP sender reports (RFC 3550 section 6.4.1: the camera's NTP
 * time and the RTP timestamp of the same instant), as FFmpeg hands them over: it turns the first report into
 * {@code AVFormatContext.start_time_realtime} (the camera's time of PTS 0) and, from FFmpeg 7.1 on, attaches every
 * report to the next packet it returns. The first gives the anchor; each later one re-derives it, so a camera whose
 * RTP clock runs a little fast or slow against its NTP-disciplined clock (tens of ppm: 0.1 s an hour) stays placed
 * by its newest report instead of drifting from its first.
 *
 * <p>Pure arithmetic, one instance per connection, single-threaded like its camera.
 */
final class SenderClock {
    /** Seconds from the NTP epoch (1900) to the Unix epoch. */
    private static final long NTP_UNIX_SECONDS = 2_208_988_800L;
    private static final long NONE = Long.MIN_VALUE;

    private long firstNtp = NONE;
    private int lastRtp;
    private long rtpTicks;
    private long ptsZero = NONE;

    /** Converts a span of RTP clock ticks to microseconds. */
    @FunctionalInterface
    interface Ticks {
        long micros(long ticks);
    }

    /**
     * @param startRealtime FFmpeg's {@code start_time_realtime}: microseconds since the epoch on the camera's clock at
     *                      PTS 0, from the first report; {@code Long.MIN_VALUE} while none came
     * @return the camera's time of PTS 0 as its newest report says, microseconds since the epoch, or
     *     {@code Long.MIN_VALUE} while no report came
     */
    long ptsZeroMicros(final long startRealtime) {
        return startRealtime == NONE ? NONE : ptsZero == NONE ? startRealtime : ptsZero;
    }

    /**
     * Takes one sender report. The first one seen is taken to be the one {@code start_time_realtime} came from (if it
     * is a later one, the error is the camera's drift over one report interval); each later one moves the anchor by
     * how far the camera's clock and its RTP clock have drifted apart since.
     *
     * @param startRealtime as for {@link #ptsZeroMicros}
     * @param ntp           the report's NTP timestamp (32.32 fixed point, seconds since 1900)
     * @param rtp           the report's RTP timestamp
     */
    void report(final long startRealtime, final long ntp, final int rtp, final Ticks ticks) {
        if (startRealtime == NONE) {
            return;
        }
        final long ntpMicros = ntpToUnixMicros(ntp);
        if (firstNtp == NONE) {
            firstNtp = ntpMicros;
            lastRtp = rtp;
            rtpTicks = 0;
            return;
        }
        rtpTicks += rtp - lastRtp;      // 32-bit RTP time wraps every 13 h at 90 kHz: add the signed step
        lastRtp = rtp;
        ptsZero = startRealtime + (ntpMicros - firstNtp) - ticks.micros(rtpTicks);
    }

    /** NTP 32.32 fixed point (seconds since 1900) to microseconds since the Unix epoch. */
    static long ntpToUnixMicros(final long ntp) {
        return ((ntp >>> 32) - NTP_UNIX_SECONDS) * 1_000_000 + (((ntp & 0xffff_ffffL) * 1_000_000) >>> 32);
    }
}
