package io.mobileformer.streams.analytics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZoneMonitorTest {
    private static final long SECOND = 1_000_000;

    private static ZoneRules rules() {
        final List<String> problems = new ArrayList<>();
        // a zone over the left half, a vertical line at x = 0.75 from top (a) to bottom (b)
        final ZoneRules r = ZoneRules.parse(Map.of("zone.cam.left", "0,0 0.5,0 0.5,1 0,1",
            "line.cam.door", "0.75,0 0.75,1"), ZoneRules.Units.NORMALIZED, problems);
        assertEquals(List.of(), problems);
        return r;
    }

    private static ZoneMonitor monitor(final ZoneRules r) {
        return new ZoneMonitor(r.zonesOf("cam"), r.linesOf("cam"), new ZoneMonitor.Settings(
            ZoneRules.Units.NORMALIZED, ZoneMonitor.Anchor.CENTER, 10 * SECOND, 2));
    }

    private static ZoneMonitor.Sighting at(final long id, final double x, final double y) {
        return new ZoneMonitor.Sighting(id, 0, "person", x - 10, y - 10, x + 10, y + 10);
    }

    @Test
    void enterExitWithDwellAndCrossingsWithDirection() {
        final ZoneMonitor m = monitor(rules());
        // a 400 × 200 frame: zone x < 200, line at x = 300
        final List<ZoneMonitor.ZoneEvent> all = new ArrayList<>();
        final double[] xs = {100, 150, 250, 290, 299, 310, 350, 305, 290, 150};
        for (int f = 0; f < xs.length; f++) {
            all.addAll(m.update(f * SECOND, 400, 200, List.of(at(7, xs[f], 100)), List.of()));
        }
        final List<String> got = all.stream().map(e -> e.type() + "@" + e.timeMicros() / SECOND
            + (e.type() == ZoneMonitor.ZoneEvent.Type.LINE_CROSSING ? (e.leftToRight() ? " l2r" : " r2l") : "")
            + (e.type() == ZoneMonitor.ZoneEvent.Type.ZONE_EXIT ? " dwell " + e.dwellMicros() / SECOND : ""))
            .toList();
        // the line runs from top (a) to bottom (b): walking down the image, its right is the image's left (x < 300),
        // so moving to larger x crosses right to left; 299 lies within the 2-pixel margin and changes nothing
        assertEquals(List.of("ZONE_ENTER@0", "ZONE_EXIT@2 dwell 2", "LINE_CROSSING@5 r2l", "LINE_CROSSING@8 l2r",
            "ZONE_ENTER@9"), got);
    }

    @Test
    void jitterWithinTheMarginDoesNotCount() {
        final ZoneMonitor m = monitor(rules());
        int crossings = 0;
        for (int f = 0; f < 40; f++) {
            final double x = f < 5 ? 280 : 300 + (f % 2 == 0 ? 1.5 : -1.5);
            crossings += m.update(f * SECOND / 10, 400, 200, List.of(at(1, x, 100)), List.of()).size();
        }
        assertEquals(0, crossings);
    }

    @Test
    void passingBesideTheSegmentIsNoCrossing() {
        final List<String> problems = new ArrayList<>();
        final ZoneRules r = ZoneRules.parse(Map.of("line.cam.short", "0.75,0 0.75,0.3"), ZoneRules.Units.NORMALIZED,
            problems);
        final ZoneMonitor m = new ZoneMonitor(r.zonesOf("cam"), r.linesOf("cam"), new ZoneMonitor.Settings(
            ZoneRules.Units.NORMALIZED, ZoneMonitor.Anchor.CENTER, 10 * SECOND, 2));
        assertTrue(m.update(0, 400, 200, List.of(at(1, 250, 150)), List.of()).isEmpty());
        assertTrue(m.update(SECOND, 400, 200, List.of(at(1, 350, 150)), List.of()).isEmpty(), "below the segment");
        assertEquals(1, m.update(2 * SECOND, 400, 200, List.of(at(1, 250, 30)), List.of()).size(), "through it");
    }

    @Test
    void anEndedTrackLeavesAtItsLastSightingAndWindowsCountDistinctTracks() {
        final ZoneMonitor m = monitor(rules());
        m.update(1 * SECOND, 400, 200, List.of(at(1, 50, 50), at(2, 60, 150)), List.of());
        m.update(2 * SECOND, 400, 200, List.of(at(1, 50, 50), at(2, 250, 150)), List.of());
        m.update(3 * SECOND, 400, 200, List.of(at(2, 60, 150)), List.of());
        final List<ZoneMonitor.ZoneEvent> ended = m.update(5 * SECOND, 400, 200, List.of(),
            List.of(new Tracker.Ended(1, 0, "person", SECOND, 2 * SECOND)));
        assertEquals(1, ended.size());
        assertEquals(ZoneMonitor.ZoneEvent.Type.ZONE_EXIT, ended.get(0).type());
        assertEquals(2 * SECOND, ended.get(0).timeMicros());
        assertEquals(SECOND, ended.get(0).dwellMicros());
        assertEquals(1, m.occupancy("left"));
        final List<ZoneMonitor.ZoneEvent> next = m.update(12 * SECOND, 400, 200, List.of(at(2, 60, 150)), List.of());
        assertEquals(1, next.size());
        final ZoneMonitor.ZoneEvent count = next.get(0);
        assertEquals(ZoneMonitor.ZoneEvent.Type.ZONE_COUNT, count.type());
        assertEquals(0, count.windowStartMicros());
        assertEquals(10 * SECOND, count.timeMicros());
        assertEquals(2, count.count(), "tracks 1 and 2");
        assertEquals(3, count.entries(), "1 once, 2 twice");
        final List<ZoneMonitor.ZoneEvent> later = m.update(25 * SECOND, 400, 200, List.of(), List.of());
        assertEquals(1, later.get(0).count(), "track 2 is still inside: it counts in the next window");
        assertEquals(0, later.get(0).entries());
    }

    @Test
    void encodedStateContinuesIdentically() {
        final ZoneRules r = rules();
        final ZoneMonitor whole = monitor(r);
        ZoneMonitor resumed = monitor(r);
        for (int f = 0; f < 60; f++) {
            final double x = 200 + 180 * Math.sin(f / 5.0);
            final List<ZoneMonitor.Sighting> seen = List.of(at(1, x, 100), at(2, 400 - x, 60));
            final List<Tracker.Ended> ended = f == 50 ? List.of(new Tracker.Ended(2, 0, "person", 0, 49 * SECOND))
                : List.of();
            final List<ZoneMonitor.Sighting> s = f >= 50 ? seen.subList(0, 1) : seen;
            final List<ZoneMonitor.ZoneEvent> a = whole.update(f * SECOND, 400, 200, s, ended);
            if (f % 9 == 4) {
                resumed = ZoneMonitor.decode(resumed.encode(), r.zonesOf("cam"), r.linesOf("cam"),
                    new ZoneMonitor.Settings(ZoneRules.Units.NORMALIZED, ZoneMonitor.Anchor.CENTER, 10 * SECOND, 2));
            }
            assertEquals(a, resumed.update(f * SECOND, 400, 200, s, ended), "frame " + f);
        }
        assertArrayEquals(whole.encode(), resumed.encode());
    }
}
