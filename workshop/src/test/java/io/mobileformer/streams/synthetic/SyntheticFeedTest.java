package io.mobileformer.streams.synthetic;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The synthetic cameras' capture clock: never ahead of the publishing moment when waited for, never backwards. */
class SyntheticFeedTest {
    private static final Duration FRAME = Duration.ofMillis(100);      // 10 fps

    @Test
    void aRecordEndsAtItsPublishingMomentAndTheNextIsReadyOneSegmentLater() throws Exception {
        final SyntheticFeed feed = new SyntheticFeed("c", 1, 64, 48, 10, 4, 0);
        final Instant t0 = Instant.parse("2026-01-01T00:00:10Z");
        final var r = feed.next(t0);
        assertEquals(t0.minus(FRAME.multipliedBy(3)), r.envelope().getCaptureTime(), "first of 4 frames");
        assertEquals(t0.plus(FRAME.multipliedBy(4)), feed.readyAt(), "4 more frames, after one frame interval");
    }

    @Test
    void frameTimesNeverGoBackwardsEvenWhenTheCallerIsBehind() throws Exception {
        final SyntheticFeed feed = new SyntheticFeed("c", 1, 64, 48, 10, 4, 3);   // every 3rd record a still
        final Instant t0 = Instant.parse("2026-01-01T00:00:10Z");
        Instant lastFrame = Instant.MIN;
        for (int i = 0; i < 7; i++) {
            // a caller that does not wait: every record "published" only 50 ms after the previous one
            final var r = feed.next(t0.plusMillis(50L * i));
            final Instant first = r.envelope().getCaptureTime();
            assertTrue(first.isAfter(lastFrame), "record " + i + " starts after the previous record's last frame");
            lastFrame = first.plus(FRAME.multipliedBy(r.frames().size() - 1));
            assertEquals(lastFrame.plus(FRAME.multipliedBy(i % 3 == 1 ? 1 : 4)), feed.readyAt());
        }
    }

    @Test
    void aCallerThatWaitsForReadyAtIsNeverStampedAhead() throws Exception {
        final SyntheticFeed feed = new SyntheticFeed("c", 1, 64, 48, 10, 4, 0);
        Instant now = Instant.parse("2026-01-01T00:00:10Z");
        for (int i = 0; i < 5; i++) {
            final Instant ready = feed.readyAt();
            if (now.isBefore(ready)) {
                now = ready;
            }
            final var r = feed.next(now);
            final Instant last = r.envelope().getCaptureTime().plus(FRAME.multipliedBy(r.frames().size() - 1));
            assertFalse(last.isAfter(now), "last frame " + last + " ahead of " + now);
            now = now.plusMillis(30);       // behind: the next call comes early
        }
    }
}
