package io.mobileformer.streams.eval;

import io.mobileformer.streams.model.Detection;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mAP rule, the same as training/mobile_former/metrics.py (its tests use the same cases). */
class MeanAveragePrecisionTest {
    private static Detection det(final float score, final float x0, final float y0, final float x1, final float y1) {
        return new Detection(0, "person", score, x0, y0, x1, y1);
    }

    @Test
    void perfectDetectionsScoreOne() {
        final MeanAveragePrecision m = new MeanAveragePrecision(1);
        m.add(List.of(det(0.9f, 0, 0, 10, 10)), List.of(new GroundTruth(0, 0, 0, 10, 10)));
        assertEquals(1.0, m.map50(), 1e-9);
        assertEquals(1.0, m.map50to95(), 1e-9);
    }

    @Test
    void aFalseAlarmAboveTheHitCostsPrecisionUnlessItIsInAnIgnoreRegion() {
        final List<Detection> dets = List.of(det(0.9f, 50, 50, 60, 60), det(0.8f, 0, 0, 10, 10));
        final List<GroundTruth> truth = List.of(new GroundTruth(0, 0, 0, 10, 10));
        final MeanAveragePrecision plain = new MeanAveragePrecision(1);
        plain.add(dets, truth);
        assertTrue(plain.map50() < 0.6, "false alarm ranked first halves precision: " + plain.map50());
        final MeanAveragePrecision ignored = new MeanAveragePrecision(1);
        ignored.add(dets, truth, List.of(new GroundTruth(0, 45, 45, 70, 70)));
        assertEquals(1.0, ignored.map50(), 1e-9);
    }

    @Test
    void aMissedObjectCapsRecall() {
        final MeanAveragePrecision m = new MeanAveragePrecision(1);
        m.add(List.of(det(0.9f, 0, 0, 10, 10)), List.of(new GroundTruth(0, 0, 0, 10, 10),
            new GroundTruth(0, 20, 20, 30, 30)));
        // recall reaches 0.5: points 0, 0.01, ..., 0.5 have precision 1 (51 of 101)
        assertEquals(51 / 101.0, m.map50(), 1e-9);
    }

    @Test
    void aDetectionOnlyPartlyInsideAnIgnoreRegionStillCounts() {
        final MeanAveragePrecision m = new MeanAveragePrecision(1);
        m.add(List.of(det(0.9f, 50, 50, 60, 60), det(0.8f, 0, 0, 10, 10)), List.of(new GroundTruth(0, 0, 0, 10, 10)),
            List.of(new GroundTruth(0, 57, 57, 80, 80)));   // covers 9 % of the false alarm
        assertTrue(m.map50() < 0.6);
    }
}
