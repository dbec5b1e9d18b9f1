package io.mobileformer.streams.analytics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZoneRulesTest {

    @Test
    void readsZonesAndLinesPerCameraAndForAll() {
        // key order: "zone.*.floor" sorts before "zone.cam.1.dock"
        final List<String> problems = new ArrayList<>();
        final ZoneRules r = ZoneRules.parse(Map.of(
            "zone.cam.1.dock", "0.1,0.1 0.5,0.1 0.5,0.6 0.1,0.6",
            "zone.*.floor", "0,0.5 1,0.5 1,1 0,1",
            "line.cam.1.door", "0.5,0 0.5,1",
            "input.topic", "frames"), ZoneRules.Units.NORMALIZED, problems);
        assertEquals(List.of(), problems);
        assertEquals(List.of("floor", "dock"), r.zonesOf("cam.1").stream().map(ZoneRules.Zone::name).toList());
        assertEquals(List.of("floor"), r.zonesOf("cam.2").stream().map(ZoneRules.Zone::name).toList());
        assertEquals("cam.1", r.zonesOf("cam.1").get(1).camera(), "a camera id may contain dots");
        assertArrayEquals(new double[] {0.1, 0.5, 0.5, 0.1}, r.zonesOf("cam.1").get(1).x());
        assertEquals(1, r.linesOf("cam.1").size());
        assertTrue(r.linesOf("cam.2").isEmpty());
    }

    @Test
    void everyBadRuleIsReportedWithItsKey() {
        final List<String> problems = new ArrayList<>();
        ZoneRules.parse(Map.of(
            "zone.a.two", "0.1,0.1 0.2,0.2",
            "zone.a.flat", "0,0 0.5,0.5 1,1",
            "zone.a.big", "0,0 2,0 2,2",
            "zone.a.word", "0,0 x,1 1,1",
            "zone.noname", "0,0 1,0 1,1",
            "line.a.dot", "0.5,0.5 0.5,0.5",
            "line.a.three", "0,0 1,1 0,1",
            "line.a.comma", "0;0 1;1"), ZoneRules.Units.NORMALIZED, problems);
        assertEquals(8, problems.size(), String.join("\n", problems));
        for (final String k : List.of("zone.a.two", "zone.a.flat", "zone.a.big", "zone.a.word", "zone.noname",
            "line.a.dot", "line.a.three", "line.a.comma")) {
            assertTrue(problems.stream().anyMatch(p -> p.startsWith(k + ":")), "names " + k);
        }
        assertTrue(problems.stream().anyMatch(p -> p.contains("zones.units=normalized")), "says how to use pixels");
    }

    @Test
    void pixelsMayExceedOneAndNamesMustNotClash() {
        final List<String> problems = new ArrayList<>();
        final ZoneRules r = ZoneRules.parse(Map.of("zone.a.z", "10,10 600,10 600,300", "zone.*.z", "0,0 9,0 9,9"),
            ZoneRules.Units.PIXELS, problems);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("zone.a.z:"));
        assertEquals(2, r.zones().size());
    }
}
