package io.mobileformer.streams.ingest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A camera whose RTP clock runs 300 ppm fast against its NTP-disciplined clock, reporting every 5 s for an hour, its
 * RTP time wrapping past 2^32 on the way: the anchor follows its newest report, where the first alone would drift by
 * more than a second.
 */
class SenderClockTest {
    private static final long T0 = 1_700_000_000_000_000L;
    private static final double RATE = 90_000 * 1.0003;
    private static final long BASE = 0xfff0_0000L;      // the first packet's RTP time (PTS 0), just before the wrap

    private static long ntp(final long unixMicros) {
        final long seconds = Math.floorDiv(unixMicros, 1_000_000) + 2_208_988_800L;
        return seconds << 32 | (Math.floorMod(unixMicros, 1_000_000L) << 32) / 1_000_000;
    }

    @Test
    void followsTheNewestReportWhenTheCamerasRtpClockDrifts() {
        final SenderClock c = new SenderClock();
        // the first report, 0.5 s of RTP time after the first packet; FFmpeg's start_time_realtime counts 90 kHz back
        final long rtp0 = BASE + Math.round(0.5 * RATE);
        final long start = T0 - (rtp0 - BASE) * 100 / 9;
        c.report(start, ntp(T0), (int) rtp0, t -> t * 100 / 9);
        assertEquals(start, c.ptsZeroMicros(start));
        long worst = 0;
        long firstOnly = 0;
        for (int k = 1; k <= 720; k++) {
            final long now = T0 + k * 5_000_000L;
            final long rtp = rtp0 + Math.round(k * 5 * RATE);
            c.report(start, ntp(now), (int) rtp, t -> t * 100 / 9);
            final long pts = (rtp - BASE) * 100 / 9;        // a frame captured at the report's instant
            worst = Math.max(worst, Math.abs(c.ptsZeroMicros(start) + pts - now));
            firstOnly = Math.abs(start + pts - now);
        }
        assertTrue(worst <= 12, "within rounding of the camera's newest word: " + worst + " us");
        assertTrue(firstOnly > 1_000_000, "the first report alone is " + firstOnly + " us off after an hour");
    }

    @Test
    void noReportNoClock() {
        final SenderClock c = new SenderClock();
        c.report(Long.MIN_VALUE, ntp(T0), 0, t -> t);
        assertEquals(Long.MIN_VALUE, c.ptsZeroMicros(Long.MIN_VALUE));
    }

    @Test
    void ntpIsSecondsSince1900InThirtyTwoThirtyTwoFixedPoint() {
        assertEquals(1_500_000, SenderClock.ntpToUnixMicros((2_208_988_800L + 1) << 32 | 0x8000_0000L));
        assertEquals(T0, SenderClock.ntpToUnixMicros(ntp(T0)), 1);
    }
}
