package io.mobileformer.streams.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The capture clock against made-up cameras whose truth is known: frame {@code i} is captured at
 * {@code C0 + i * 40 ms} (25 fps) and carries PTS {@code i * 40 ms} (times a clock-rate error where the camera's clock
 * drifts); arrivals are chosen per test. Records are one 1 s GOP (25 frames) each, stamped when the next key frame
 * arrives, as the segmenter does. Every stamped record is checked against the clock's promises: within one frame
 * interval of the truth, strictly after the previous record's last frame, and not ahead of the wall clock.
 */
class CaptureClockTest {
    private static final long C0 = 1_700_000_000_000_000L;
    private static final long FRAME = 40_000;
    private static final int GOP = 25;
    private static final long LATENCY = 20_000;

    /** Feeds frames and checks every record the way the segmenter would stamp it. */
    private static final class Camera {
        final CaptureClock clock = CaptureClock.live();
        long lastEnd = Long.MIN_VALUE;
        long segmentStartPts = Long.MIN_VALUE;
        long segmentStartTruth;
        long segmentMaxPts;
        int records;
        long worstErrorMicros;
        /** What RTCP sender reports say PTS 0 was on the camera's clock; none by default. */
        long senderPtsZero = Long.MIN_VALUE;

        /** One frame read at {@code read}; the truth is its real capture time. */
        void frame(final long pts, final long truth, final long read, final boolean key) {
            clock.senderClock(senderPtsZero);
            clock.observe(pts, read);
            if (key && segmentStartPts != Long.MIN_VALUE) {
                finish(read);
            }
            if (segmentStartPts == Long.MIN_VALUE) {
                segmentStartPts = pts;
                segmentStartTruth = truth;
            }
            segmentMaxPts = pts;
        }

        /**
         * A connection whose first {@code burst} frames (captured from {@code c}) come at once when the last of them
         * was captured, as FFmpeg's probe hands them over; the segmenter holds them in one record (it does not cut
         * while video arrives faster than real time); then real time up to frame {@code end}.
         */
        void connect(final long c, final int burst, final int end) {
            for (int i = 0; i < burst; i++) {
                clock.observe(i * FRAME, c + (burst - 1) * FRAME + LATENCY + i * 100);
            }
            segmentStartPts = 0;
            segmentStartTruth = c;
            segmentMaxPts = (burst - 1) * FRAME;
            for (int i = burst; i < end; i++) {
                final long truth = c + i * FRAME;
                frame(i * FRAME, truth, truth + LATENCY, i % GOP == 0);
            }
        }

        void finish(final long now) {
            final long span = segmentMaxPts - segmentStartPts;
            final long t = clock.stamp(segmentStartPts, span, now);
            assertTrue(t > lastEnd, "record " + records + " starts after the previous one's last frame");
            assertTrue(t + span <= now, "record " + records + " is not ahead of the wall clock: " + (t + span - now));
            final long error = Math.abs(t - segmentStartTruth);
            assertTrue(error < FRAME, "record " + records + " is within one frame interval of the truth: " + error);
            worstErrorMicros = Math.max(worstErrorMicros, error);
            lastEnd = t + span;
            records++;
            segmentStartPts = Long.MIN_VALUE;
        }
    }

    @Test
    void followsPresentationTimeDespiteJitter() {
        final Camera cam = new Camera();
        for (int i = 0; i < 250; i++) {
            final long truth = C0 + i * FRAME;
            // every 7th frame arrives 150 ms late (a TCP retransmission), the rest after 20 ms
            cam.frame(i * FRAME, truth, truth + (i % 7 == 3 ? 150_000 : LATENCY), i % GOP == 0);
        }
        assertEquals(9, cam.records);
        // the transit time remains, plus at most one frame's slew when a record is stamped on a late arrival
        assertTrue(cam.worstErrorMicros <= LATENCY + FRAME * CaptureClock.SLEW_PPM / 1_000_000,
            "late frames do not move the timeline: " + cam.worstErrorMicros);
    }

    /** Frames 0 to {@code n - 1}, each read one frame interval (the parser's delay) plus the latency after capture. */
    private static Camera parsed(final int n) {
        final Camera cam = new Camera();
        cam.clock.connected(FRAME);
        for (int i = 0; i < n; i++) {
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME, truth, truth + FRAME + LATENCY, i % GOP == 0);
        }
        return cam;
    }

    @Test
    void aParserThatHandsEachFrameOverWhenTheNextBeginsIsCompensated() {
        // FFmpeg's H.264 parser: frame i is read when frame i + 1 arrives
        final Camera cam = parsed(250);
        assertEquals(9, cam.records);
        assertEquals(LATENCY, cam.worstErrorMicros, "one frame interval early would still pass; exact is expected");
    }

    @Test
    void theFrameAFailingConnectionFlushesDoesNotPullTheTimelineEarly() {
        final Camera cam = parsed(30);
        // the server dies right after frame 30: FFmpeg flushes its parser and hands frame 30 over at once
        final long killed = C0 + 30 * FRAME + LATENCY;
        cam.clock.observe(30 * FRAME, killed);
        cam.clock.forgetLast();
        // (without forgetting, this record would be stamped at C0 + 25 frames - 20 ms, one frame early)
        assertEquals(C0 + 25 * FRAME + LATENCY, cam.clock.stamp(25 * FRAME, 5 * FRAME, killed + 1000));
    }

    @Test
    void aBurstAtConnectIsStampedWhenItWasCapturedNotWhenItWasRead() {
        final Camera cam = new Camera();
        // FFmpeg's probe buffered 4 s of video (frames 0-99) and hands it over in 10 ms at C0 + 4 s; then real time
        cam.connect(C0, 100, 400);
        assertEquals(12, cam.records);
        assertTrue(cam.worstErrorMicros <= LATENCY + 100, "worst error " + cam.worstErrorMicros);
    }

    @Test
    void aFrozenStreamThatResumesWithItsTimestampsRunningOnStaysOnTime() {
        final Camera cam = new Camera();
        for (int i = 0; i < 500; i++) {
            if (i >= 100 && i < 350) {
                continue;       // frozen for 10 s: nothing arrives, the camera's clock runs on
            }
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME, truth, truth + LATENCY, i % GOP == 0);
        }
        assertTrue(cam.records >= 9, cam.records + " records");
        assertEquals(LATENCY, cam.worstErrorMicros);
    }

    @Test
    void aFrozenStreamThatResumesWhereItsTimestampsStoppedIsReanchoredForward() {
        final Camera cam = new Camera();
        final long freeze = 10_000_000;
        for (int i = 0; i < 500; i++) {
            // after frame 99 the encoder paused for 10 s and went on from the PTS where it stopped
            final long truth = C0 + i * FRAME + (i >= 100 ? freeze : 0);
            final boolean key = i % GOP == 0;
            if (i >= 100 && i < 100 + GOP) {
                // while the clock re-anchors (1 s of video) records are stamped late but in order and in the past
                cam.clock.observe(i * FRAME, truth + LATENCY);
                if (key && cam.segmentStartPts != Long.MIN_VALUE) {
                    final long span = cam.segmentMaxPts - cam.segmentStartPts;
                    final long t = cam.clock.stamp(cam.segmentStartPts, span, truth + LATENCY);
                    assertTrue(t > cam.lastEnd && t + span <= truth + LATENCY);
                    cam.lastEnd = t + span;
                    cam.segmentStartPts = Long.MIN_VALUE;
                }
                if (cam.segmentStartPts == Long.MIN_VALUE) {
                    cam.segmentStartPts = i * FRAME;
                    cam.segmentStartTruth = truth;
                }
                cam.segmentMaxPts = i * FRAME;
                continue;
            }
            cam.frame(i * FRAME, truth, truth + LATENCY, key);
        }
        assertEquals(LATENCY, cam.worstErrorMicros);
        assertTrue(cam.records >= 15, cam.records + " records on time after the re-anchor");
    }

    /**
     * A camera clock 300 ppm slow (negative) or fast, for ten minutes. Slow: without a correction the offset, anchored
     * at the smallest transit time, would stay put and the stamps would fall 180 ms behind. Fast: arrivals lower the
     * offset a little at every frame, which must neither push a record ahead of the clock nor back before the last.
     */
    @ParameterizedTest
    @ValueSource(longs = {-300, 300})
    void aCameraClockThatDriftsIsSlewedAndNeverJumpsBack(final long ppm) {
        final Camera cam = new Camera();
        for (int i = 0; i < 15_000; i++) {
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME + i * FRAME * ppm / 1_000_000, truth, truth + LATENCY, i % GOP == 0);
        }
        assertEquals(599, cam.records);
    }

    @Test
    void aReconnectStartsANewTimelineAfterTheLastOne() {
        final Camera cam = new Camera();
        for (int i = 0; i < 100; i++) {
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME, truth, truth + LATENCY, i % GOP == 0);
        }
        cam.finish(C0 + 100 * FRAME + LATENCY);
        cam.clock.connected(0);
        // 3 s later, a new connection whose PTS starts again at 0 (and a 1 s probe burst)
        cam.connect(C0 + 103 * FRAME + 3_000_000, GOP, 200);
        assertEquals(11, cam.records);
    }

    /**
     * A camera with 300 ms of encoder latency that sends RTCP sender reports: arrivals alone would stamp every frame
     * 320 ms late (after the latency and the transit); the camera's clock places them where they were captured.
     */
    @Test
    void senderReportsPlaceFramesWhenTheyWereCapturedEncoderLatencyIncluded() {
        final Camera cam = new Camera();
        cam.senderPtsZero = C0;
        for (int i = 0; i < 250; i++) {
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME, truth, truth + 300_000 + LATENCY, i % GOP == 0);
        }
        assertTrue(cam.clock.senderAnchored());
        assertEquals(9, cam.records);
        assertEquals(0, cam.worstErrorMicros);

        final CaptureClock arrivals = CaptureClock.live();
        arrivals.observe(0, C0 + 300_000 + LATENCY);
        assertEquals(C0 + 300_000 + LATENCY, arrivals.stamp(0, 0, C0 + 1_000_000), "without reports: 320 ms late");
    }

    /** The report may come after the first packets (here after 2 s): from then on the camera's clock places frames. */
    @Test
    void aSenderReportThatComesLateAnchorsTheRecordsAfterIt() {
        final Camera cam = new Camera();
        for (int i = 0; i < 250; i++) {
            if (i == 50) {
                cam.senderPtsZero = C0;
            }
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME, truth, truth + LATENCY, i % GOP == 0);
        }
        assertTrue(cam.clock.senderAnchored());
        assertEquals(9, cam.records);
    }

    /**
     * A camera clock that is impossible (ahead of ours: frames read before they were captured) or implausible (far
     * behind ours: never set, or an hour off) is not used: the frames are stamped from their arrivals.
     */
    @ParameterizedTest
    @ValueSource(longs = {5_000, 1_000_000, -2_000_000, -3_600_000_000L, -C0})
    void aCameraClockThatDisagreesWithTheArrivalsIsNotUsed(final long clockError) {
        final Camera cam = new Camera();
        cam.senderPtsZero = C0 + LATENCY + clockError;
        for (int i = 0; i < 250; i++) {
            final long truth = C0 + i * FRAME;
            cam.frame(i * FRAME, truth, truth + LATENCY, i % GOP == 0);
        }
        assertTrue(!cam.clock.senderAnchored(), "clock error " + clockError);
        assertEquals(9, cam.records);
        assertEquals(LATENCY, cam.worstErrorMicros);
    }

    /** With a burst at connect the report is checked against the arrivals once they settle, not the late burst. */
    @Test
    void senderReportsWithABurstAtConnect() {
        final Camera cam = new Camera();
        cam.clock.senderClock(C0);
        cam.senderPtsZero = C0;
        cam.connect(C0, 50, 300);
        assertTrue(cam.clock.senderAnchored());
        assertEquals(0, cam.worstErrorMicros);
    }

    @Test
    void aNewConnectionForgetsTheLastOnesCameraClock() {
        final CaptureClock c = CaptureClock.live();
        c.senderClock(C0);
        c.observe(0, C0 + LATENCY);
        assertTrue(c.senderAnchored());
        c.connected(0);
        c.observe(0, C0 + 5_000_000);
        assertTrue(!c.senderAnchored(), "the next connection's PTS 0 is another moment");
    }

    /**
     * A reader that drains what piled up at connect at only 1.05x real time (a loaded host): its offset keeps falling
     * by 2 ms a frame, so the timeline is not settled (the segmenter does not cut) until it reads in real time for a
     * second; a record cut before would have been stamped up to 250 ms late.
     */
    @Test
    void aBacklogDrainedSlowlyIsNotSettledUntilTheReaderCatchesUp() {
        final CaptureClock c = CaptureClock.live();
        c.connected(0);
        final long backlog = 250_000;
        long read = C0 + backlog;
        int i = 0;
        for (; read - (C0 + i * FRAME) > LATENCY; i++) {
            c.observe(i * FRAME, read);
            assertTrue(!c.settled(), "frame " + i + " read " + (read - C0 - i * FRAME) + " us late");
            read += FRAME * 100 / 105;
        }
        final int caughtUp = i;
        for (; i < caughtUp + 2 * GOP; i++) {
            c.observe(i * FRAME, C0 + i * FRAME + LATENCY);
        }
        assertTrue(c.settled(), "a second of real-time reading settles it");
        assertEquals(C0 + caughtUp * FRAME + LATENCY, c.stamp(caughtUp * FRAME, 0, C0 + i * FRAME),
            "and the offset is the real-time one");
    }

    @Test
    void aSteadyStreamSettlesAfterASecondAndACameraClockAtOnce() {
        final CaptureClock c = CaptureClock.live();
        for (int i = 0; i < GOP; i++) {
            c.observe(i * FRAME, C0 + i * FRAME + LATENCY + (i % 3) * 1000);
            assertEquals(i * FRAME >= 1_000_000, c.settled(), "frame " + i);
        }
        final CaptureClock reported = CaptureClock.live();
        reported.senderClock(C0);
        reported.observe(0, C0 + LATENCY);
        assertTrue(reported.settled(), "the camera's clock does not wait for arrivals to settle");
    }

    @Test
    void aRecordIsNeverStampedAheadOfTheWallClockNorBeforeTheLastOne() {
        final CaptureClock c = CaptureClock.live();
        c.observe(0, C0);
        assertEquals(C0 - 1_000_000, c.stamp(0, 1_000_000, C0), "a record ending in the future is pulled back");
        assertEquals(C0 + 1, c.stamp(0, 0, C0 + 500_000), "a record that would go back starts after the last one");
        assertEquals(C0 + 600_000, c.stamp(Long.MIN_VALUE, 0, C0 + 600_000), "no PTS: now");
    }

    @Test
    void aMediaClockFollowsPtsFromTheFirstArrival() {
        final CaptureClock c = CaptureClock.media();
        c.observe(90_000, C0);
        c.observe(10_090_000, C0 + 1000);
        assertEquals(C0 + 10_000_000, c.stamp(10_090_000, 0, C0 + 1000), "a bulk read keeps the file's timeline");
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
