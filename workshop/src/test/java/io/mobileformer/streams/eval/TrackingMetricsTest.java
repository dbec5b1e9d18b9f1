package io.mobileformer.streams.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Worked examples, each small enough to count by hand. */
class TrackingMetricsTest {

    private static TrackingMetrics.Box b(final long id, final double x) {
        return new TrackingMetrics.Box(id, x, 0, x + 10, 10);
    }

    @Test
    void perfectTrackingScoresOne() {
        final TrackingMetrics m = new TrackingMetrics(0.5);
        for (int f = 0; f < 10; f++) {
            m.add("a", List.of(b(1, f), b(2, 100 + f)), List.of(b(7, f + 0.5), b(9, 100 + f)));
        }
        assertEquals(1.0, m.mota(), 1e-12);
        assertEquals(1.0, m.idf1(), 1e-12);
        assertEquals(0, m.idSwitches());
    }

    @Test
    void oneIdSwitchHalfwayCostsOneInMotaAndHalfTheIdentity() {
        // one object over 10 frames; the tracker calls it 1 for 5 frames, then 2
        final TrackingMetrics m = new TrackingMetrics(0.5);
        for (int f = 0; f < 10; f++) {
            m.add("a", List.of(b(1, f)), List.of(b(f < 5 ? 1 : 2, f)));
        }
        assertEquals(1, m.idSwitches());
        assertEquals(1 - 1.0 / 10, m.mota(), 1e-12);
        // best id match: truth 1 ↔ hyp 1 (5 frames): IDTP 5 of 10 truth and 10 hypothesis boxes
        assertEquals(5, m.idtp());
        assertEquals(2.0 * 5 / 20, m.idf1(), 1e-12);
    }

    @Test
    void missesAndFalseAlarmsCount() {
        final TrackingMetrics m = new TrackingMetrics(0.5);
        m.add("a", List.of(b(1, 0), b(2, 50)), List.of(b(5, 0)));
        m.add("a", List.of(b(1, 1), b(2, 51)), List.of(b(5, 1), b(6, 200)));
        m.add("a", List.of(b(1, 2), b(2, 52)), List.of(b(5, 2), b(6, 52)));
        // gt 6; FN: truth 2 in frames 0 and 1 = 2; FP: hyp 6 at 200 = 1; no switch (2 had never been matched)
        assertEquals(2, m.misses());
        assertEquals(1, m.falsePositives());
        assertEquals(0, m.idSwitches());
        assertEquals(1 - 3.0 / 6, m.mota(), 1e-12);
        // IDTP: (1,5) 3 frames + (2,6) 1 frame = 4; boxes 6 + 5
        assertEquals(2.0 * 4 / 11, m.idf1(), 1e-12);
    }

    @Test
    void aCorrespondenceIsKeptWhileItHoldsEvenIfAnotherFitsBetter() {
        // truth 1 is matched to 5; in frame 1 hyp 6 fits truth 1 better, but 5 still overlaps enough: no switch
        final TrackingMetrics m = new TrackingMetrics(0.5);
        m.add("a", List.of(b(1, 0)), List.of(b(5, 0)));
        m.add("a", List.of(b(1, 0)), List.of(b(5, 2), b(6, 0)));
        assertEquals(0, m.idSwitches());
        assertEquals(1, m.falsePositives());
    }

    @Test
    void sequencesKeepTheirOwnIds() {
        final TrackingMetrics m = new TrackingMetrics(0.5);
        final List<TrackingMetrics.Box> t = new ArrayList<>(List.of(b(1, 0)));
        m.add("a", t, List.of(b(1, 0)));
        m.add("b", t, List.of(b(2, 0)));
        m.add("a", t, List.of(b(1, 0)));
        m.add("b", t, List.of(b(2, 0)));
        assertEquals(0, m.idSwitches(), "truth 1 of camera b is not truth 1 of camera a");
        assertEquals(1.0, m.idf1(), 1e-12);
    }
}
