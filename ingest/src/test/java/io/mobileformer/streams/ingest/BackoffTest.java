package io.mobileformer.streams.ingest;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    @Test
    void capsDoubleFromBaseToMax() {
        final Backoff b = new Backoff(100, 1000, new SplittableRandom(1));
        assertEquals(100, b.capMs(0));
        assertEquals(200, b.capMs(1));
        assertEquals(800, b.capMs(3));
        assertEquals(1000, b.capMs(4));
        assertEquals(1000, b.capMs(1_000_000), "no overflow however many failures");
    }

    @Test
    void waitsAreFullJitterBelowTheCap() {
        final Backoff b = new Backoff(100, 1000, new SplittableRandom(2));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int n = 0; n < 2000; n++) {
            final long cap = b.capMs(b.attempts());
            final long d = b.nextDelayMs();
            assertTrue(d >= 0 && d <= cap, d + " within [0, " + cap + "]");
            if (cap == 1000) {
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
        }
        // uniform over [0, cap]: 2000 draws reach both ends of the range, not one fixed delay
        assertTrue(min < 50 && max > 950, "spread " + min + ".." + max);
    }

    @Test
    void resetStartsOverFromTheBase() {
        final Backoff b = new Backoff(100, 10_000, new SplittableRandom(3));
        for (int i = 0; i < 6; i++) {
            b.nextDelayMs();
        }
        assertEquals(6, b.attempts());
        b.reset();
        assertEquals(0, b.attempts());
        assertTrue(b.nextDelayMs() <= 100);
    }

    @Test
    void refusedCredentialsWaitAtLeastHalfTheCapSoACameraIsTriedAHandfulOfTimesInTenMinutes() {
        final IngestConfig c = IngestConfig.of(java.util.Map.of("cameras", "a", "camera.a.url", "rtsp://h/x",
            "bootstrap.servers", "k:9092"));
        // the unluckiest draws: every wait as short as the schedule allows
        final Backoff b = Backoff.atLeastHalf(c.getLong(IngestConfig.SOURCE_AUTH_BACKOFF_BASE_MS),
            c.getLong(IngestConfig.SOURCE_AUTH_BACKOFF_MAX_MS), new java.util.Random() {
                @Override
                public long nextLong(final long bound) {
                    return 0;
                }
            });
        long t = 0;
        int attempts = 1;
        while (true) {
            t += b.nextDelayMs();
            if (t > 600_000) {
                break;
            }
            attempts++;
        }
        assertEquals(5, attempts, "tries in ten minutes: at 0, 30, 90, 210 and 450 s");
        final Backoff spread = Backoff.atLeastHalf(1000, 1000, new SplittableRandom(4));
        for (int i = 0; i < 1000; i++) {
            final long d = spread.nextDelayMs();
            assertTrue(d >= 500 && d <= 1000, d + " within [cap/2, cap]");
        }
    }

    @Test
    void nonsenseBoundsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10, new SplittableRandom()));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(100, 10, new SplittableRandom()));
    }
}
