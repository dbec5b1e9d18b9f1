package io.mobileformer.streams.analytics;

import io.mobileformer.streams.model.Detection;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackerTest {
    private static final long FRAME_MICROS = 100_000;

    private static Detection box(final int cls, final float score, final double cx, final double cy, final double w,
                                 final double h) {
        return new Detection(cls, "c" + cls, score, (float) (cx - w / 2), (float) (cy - h / 2), (float) (cx + w / 2),
            (float) (cy + h / 2));
    }

    @Test
    void twoObjectsCrossingKeepTheirIds() {
        // same class, same size, paths cross in the middle at frame 20: IoU alone is ambiguous there, motion is not
        final Tracker t = new Tracker(TrackerSettings.byteTrack());
        long left = 0;
        long right = 0;
        for (int f = 0; f < 40; f++) {
            final Detection a = box(0, 0.9f, 100 + 10 * f, 200, 40, 80);
            final Detection b = box(0, 0.9f, 500 - 10 * f, 200, 40, 80);
            final Tracker.Update u = t.update(List.of(a, b), f * FRAME_MICROS);
            if (f == 0) {
                left = u.trackIds()[0];
                right = u.trackIds()[1];
                assertNotEquals(left, right);
            }
            assertEquals(left, u.trackIds()[0], "left-to-right object keeps its id at frame " + f);
            assertEquals(right, u.trackIds()[1], "right-to-left object keeps its id at frame " + f);
        }
    }

    @Test
    void lowScoreDetectionsKeepATrackAlive() {
        final Tracker t = new Tracker(TrackerSettings.byteTrack());
        long id = 0;
        for (int f = 0; f < 30; f++) {
            // frames 10-19: occluded, the detector still sees it at 0.3
            final float score = f >= 10 && f < 20 ? 0.3f : 0.9f;
            // and a weak detection of nothing known, far away, every frame
            final List<Detection> d = List.of(box(1, score, 50 + 4 * f, 100, 30, 60), box(1, 0.3f, 500, 300, 30, 60));
            final Tracker.Update u = t.update(d, f * FRAME_MICROS);
            if (f == 0) {
                id = u.trackIds()[0];
            }
            assertEquals(id, u.trackIds()[0], "same id through the occlusion at frame " + f);
            assertEquals(0, u.trackIds()[1], "a low score alone never starts a track");
        }
        assertEquals(1, t.liveTracks());
    }

    @Test
    void aGapShorterThanTheBufferKeepsTheIdALongerOneEndsIt() {
        final TrackerSettings s = new TrackerSettings(0.5, 0.6, 0.2, 0.5, 2, 5, true);
        final Tracker t = new Tracker(s);
        final long id = t.update(List.of(box(0, 0.9f, 100, 100, 40, 40)), 0).trackIds()[0];
        for (int f = 1; f <= 5; f++) {
            assertTrue(t.update(List.of(), f * FRAME_MICROS).ended().isEmpty(), "lost, not ended, at frame " + f);
        }
        assertEquals(id, t.update(List.of(box(0, 0.9f, 100, 100, 40, 40)), 6 * FRAME_MICROS).trackIds()[0],
            "found again after 5 missed frames");
        for (int f = 7; f <= 11; f++) {
            t.update(List.of(), f * FRAME_MICROS);
        }
        final Tracker.Update gone = t.update(List.of(), 12 * FRAME_MICROS);
        assertEquals(List.of(new Tracker.Ended(id, 0, "c0", 0, 6 * FRAME_MICROS)), gone.ended());
        final long[] again = t.update(List.of(box(0, 0.9f, 100, 100, 40, 40)), 13 * FRAME_MICROS).trackIds();
        assertEquals(0, again[0], "a new object is tentative for its first frame");
        assertEquals(id + 1, t.update(List.of(box(0, 0.9f, 100, 100, 40, 40)), 14 * FRAME_MICROS).trackIds()[0],
            "and then gets the next id");
    }

    @Test
    void aOneFrameFalseDetectionConsumesNoId() {
        final Tracker t = new Tracker(TrackerSettings.byteTrack());
        t.update(List.of(box(0, 0.9f, 100, 100, 40, 40)), 0);
        final Tracker.Update ghost = t.update(List.of(box(0, 0.9f, 102, 100, 40, 40), box(0, 0.95f, 400, 300, 40, 40)),
            FRAME_MICROS);
        assertArrayEquals(new long[] {1, 0}, ghost.trackIds());
        assertNull(ghost.boxes()[1]);
        assertNotNull(ghost.boxes()[0]);
        t.update(List.of(box(0, 0.9f, 104, 100, 40, 40)), 2 * FRAME_MICROS);
        final long[] ids = t.update(List.of(box(0, 0.9f, 106, 100, 40, 40), box(0, 0.9f, 250, 250, 40, 40)),
            3 * FRAME_MICROS).trackIds();
        assertArrayEquals(new long[] {1, 0}, ids);
        assertArrayEquals(new long[] {1, 2}, t.update(List.of(box(0, 0.9f, 108, 100, 40, 40),
            box(0, 0.9f, 250, 250, 40, 40)), 4 * FRAME_MICROS).trackIds(), "the ghost never took id 2");
    }

    @Test
    void classAwareMatchingNeverMixesClasses() {
        final Tracker t = new Tracker(TrackerSettings.byteTrack());
        t.update(List.of(box(0, 0.9f, 100, 100, 40, 40)), 0);
        final Tracker.Update u = t.update(List.of(box(1, 0.9f, 100, 100, 40, 40)), FRAME_MICROS);
        assertEquals(0, u.trackIds()[0], "a class-1 box is not the class-0 track");
    }

    @Test
    void encodedStateContinuesExactlyLikeTheUninterruptedTracker() {
        final List<List<Detection>> frames = scene(120, 11);
        final Tracker whole = new Tracker(TrackerSettings.byteTrack());
        Tracker resumed = new Tracker(TrackerSettings.byteTrack());
        for (int f = 0; f < frames.size(); f++) {
            final Tracker.Update a = whole.update(frames.get(f), f * FRAME_MICROS);
            if (f % 7 == 3) {
                // a restart: the state is all that survives
                resumed = Tracker.decode(resumed.encode(), TrackerSettings.byteTrack());
            }
            final Tracker.Update b = resumed.update(frames.get(f), f * FRAME_MICROS);
            assertArrayEquals(a.trackIds(), b.trackIds(), "frame " + f);
            assertEquals(a.ended(), b.ended(), "frame " + f);
        }
        assertArrayEquals(whole.encode(), resumed.encode(), "byte-identical state");
        assertTrue(whole.frames() == 120 && whole.liveTracks() > 0);
    }

    @Test
    void sameInputSameIds() {
        final List<List<Detection>> frames = scene(80, 3);
        final Tracker a = new Tracker(TrackerSettings.byteTrack());
        final Tracker b = new Tracker(TrackerSettings.byteTrack());
        final List<String> ia = new ArrayList<>();
        final List<String> ib = new ArrayList<>();
        for (int f = 0; f < frames.size(); f++) {
            ia.add(Arrays.toString(a.update(frames.get(f), f).trackIds()));
            ib.add(Arrays.toString(b.update(frames.get(f), f).trackIds()));
        }
        assertEquals(ia, ib);
    }

    @Test
    void damagedStateIsRefusedByName() {
        final byte[] state = new Tracker(TrackerSettings.byteTrack()).encode();
        state[0] = 9;
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> Tracker.decode(state, TrackerSettings.byteTrack())).getMessage().contains("format 9"));
        assertThrows(IllegalArgumentException.class,
            () -> Tracker.decode(Arrays.copyOf(new Tracker(TrackerSettings.byteTrack()).encode(), 5),
                TrackerSettings.byteTrack()));
    }

    /** Five objects bouncing in a 640 × 360 frame, with jitter, missed detections and low scores; seeded. */
    static List<List<Detection>> scene(final int n, final long seed) {
        final SplittableRandom rng = new SplittableRandom(seed);
        final double[][] obj = new double[5][];
        for (int i = 0; i < obj.length; i++) {
            obj[i] = new double[] {60 + 120 * i, 60 + rng.nextDouble() * 240, rng.nextDouble() * 8 - 4,
                rng.nextDouble() * 8 - 4, 30 + rng.nextDouble() * 30};
        }
        final List<List<Detection>> frames = new ArrayList<>();
        for (int f = 0; f < n; f++) {
            final List<Detection> d = new ArrayList<>();
            for (int i = 0; i < obj.length; i++) {
                final double[] o = obj[i];
                o[0] += o[2];
                o[1] += o[3];
                if (o[0] < 20 || o[0] > 620) {
                    o[2] = -o[2];
                }
                if (o[1] < 20 || o[1] > 340) {
                    o[3] = -o[3];
                }
                if (rng.nextDouble() < 0.1) {
                    continue;
                }
                final float score = (float) (rng.nextDouble() < 0.2 ? 0.3 : 0.6 + 0.4 * rng.nextDouble());
                d.add(box(i % 2, score, o[0] + rng.nextDouble() * 2 - 1, o[1] + rng.nextDouble() * 2 - 1, o[4],
                    o[4] * 1.2));
            }
            frames.add(d);
        }
        return frames;
    }
}
