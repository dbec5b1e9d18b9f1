package io.mobileformer.streams.ingest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaptureClockTest {
    private static final long T0 = 1_700_000_000_000_000L;

    @Test
    void followsPresentationTimeFromTheFirstArrivalDespiteJitter() {
        final CaptureClock c = new CaptureClock();
        assertEquals(T0, c.captureMicros(90_000, T0));
        // frames 40 ms apart in the video arrive 10 ms and 75 ms late: their capture times stay 40 ms apart
        assertEquals(T0 + 40_000, c.captureMicros(130_000, T0 + 50_000));
        assertEquals(T0 + 80_000, c.captureMicros(170_000, T0 + 155_000));
    }

    @Test
    void reanchorsOnATimestampJumpAndUsesArrivalWithoutTimestamps() {
        final CaptureClock c = new CaptureClock();
        c.captureMicros(0, T0);
        assertEquals(T0 + 5_000_000, c.captureMicros(999_000_000, T0 + 5_000_000), "jump: arrival time");
        assertEquals(T0 + 5_040_000, c.captureMicros(999_040_000, T0 + 5_041_000), "then pts again");
        assertEquals(T0 + 6_000_000, c.captureMicros(Long.MIN_VALUE, T0 + 6_000_000));
    }

    @Test
    void pacerLetsTheFirstPacketAndTimestampJumpsThroughAtOnce() {
        final RealtimePacer p = new RealtimePacer();
        assertEquals(0, p.delayNanos(5_000_000));
        final long oneSecondLater = p.delayNanos(6_000_000);
        assertTrue(oneSecondLater > 0 && oneSecondLater <= 1_000_000_000L, "waits up to the frame's due time");
        assertEquals(0, p.delayNanos(60_000_000), "a 55 s jump restarts the timeline instead of sleeping");
        assertEquals(0, p.delayNanos(50_000_000), "a packet already due (or early in the file) is not held");
        assertEquals(0, p.delayNanos(Long.MIN_VALUE));
    }
}
