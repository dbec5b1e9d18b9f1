package io.mobileformer.streams.model;

import io.mobileformer.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Decoding known tensors: the values below are worked out by hand from the output contract. */
class OutputDecoderTest {
    static final List<String> LABELS = List.of("circle", "square");

    @Test
    void centernetPeaksBecomeBoxesAndNeighboursAreSuppressed() {
        final int h = 4;
        final int w = 5;
        final float[] heat = new float[2 * h * w];
        heat[1 * w + 2] = 0.9f;            // class 0, cell (y=1, x=2): a peak
        heat[1 * w + 3] = 0.8f;            // its neighbour: not a peak
        heat[h * w + 3 * w + 0] = 0.6f;    // class 1, cell (y=3, x=0)
        heat[h * w + 0] = 0.1f;            // below the threshold
        final float[] wh = new float[2 * h * w];
        final float[] off = new float[2 * h * w];
        wh[1 * w + 2] = 2f;                // width 2 cells
        wh[h * w + 1 * w + 2] = 1f;        // height 1 cell
        off[1 * w + 2] = 0.5f;
        off[h * w + 1 * w + 2] = 0.25f;
        wh[3 * w] = 1f;
        wh[h * w + 3 * w] = 3f;
        final List<List<Detection>> dets = new CenterNetDecoder(LABELS, 8, 0.3f, 10).decode(Map.of(
            "heatmap", new Tensor(heat, 1, 2, h, w), "wh", new Tensor(wh, 1, 2, h, w),
            "offset", new Tensor(off, 1, 2, h, w)));
        assertEquals(2, dets.get(0).size());
        final Detection a = dets.get(0).get(0);
        assertEquals("circle", a.label());
        assertEquals(0.9f, a.score());
        // centre ((2 + 0.5) * 8, (1 + 0.25) * 8) = (20, 10); size (16, 8)
        assertEquals(12f, a.x0(), 1e-5);
        assertEquals(6f, a.y0(), 1e-5);
        assertEquals(28f, a.x1(), 1e-5);
        assertEquals(14f, a.y1(), 1e-5);
        final Detection b = dets.get(0).get(1);
        assertEquals(1, b.classId());
        // centre (0 * 8, 3 * 8) = (0, 24); size (8, 24)
        assertEquals(-4f, b.x0(), 1e-5);
        assertEquals(12f, b.y0(), 1e-5);
    }

    @Test
    void centernetKeepsTheTopK() {
        final float[] heat = new float[36];
        final int[][] peaks = {{0, 0}, {0, 3}, {3, 0}, {3, 3}, {5, 5}};
        final float[] scores = {0.5f, 0.6f, 0.7f, 0.8f, 0.55f};
        for (int i = 0; i < peaks.length; i++) {
            heat[peaks[i][0] * 6 + peaks[i][1]] = scores[i];     // isolated peaks on a 6x6 grid
        }
        final List<List<Detection>> dets = new CenterNetDecoder(List.of("x"), 4, 0.3f, 3).decode(Map.of(
            "heatmap", new Tensor(heat, 1, 1, 6, 6), "wh", Tensor.zeros(1, 2, 6, 6), "offset", Tensor.zeros(1, 2, 6, 6)));
        assertEquals(List.of(0.8f, 0.7f, 0.6f), dets.get(0).stream().map(Detection::score).toList());
    }

    @Test
    void detrScoresTheBestRealClassAndSkipsNoObject() {
        // 2 queries, 2 classes + no-object
        final float[] logits = {
            4f, 1f, 0f,      // query 0: class 0 wins
            0f, 0f, 6f,      // query 1: no object wins, real classes tiny
        };
        final float[] boxes = {0.5f, 0.5f, 0.2f, 0.4f, 0.1f, 0.1f, 0.1f, 0.1f};
        final List<List<Detection>> dets = new DetrDecoder(LABELS, 100, 50, 0.5f, 10).decode(Map.of(
            "logits", new Tensor(logits, 1, 2, 3), "boxes", new Tensor(boxes, 1, 2, 4)));
        assertEquals(1, dets.get(0).size());
        final Detection d = dets.get(0).get(0);
        final double p = Math.exp(4) / (Math.exp(4) + Math.exp(1) + 1);
        assertEquals(p, d.score(), 1e-5);
        assertEquals(40f, d.x0(), 1e-4);
        assertEquals(15f, d.y0(), 1e-4);
        assertEquals(60f, d.x1(), 1e-4);
        assertEquals(35f, d.y1(), 1e-4);
    }
}
