package io.mobileformer.streams.eval;

import io.mobileformer.streams.model.Detection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Mean average precision, COCO style, the same rule as {@code training/mobile_former/metrics.py}: per class, detections
 * are greedily matched in descending score order to the unmatched ground-truth box of the class with the highest IoU;
 * AP is the 101-point interpolated precision; mAP averages over classes that have ground truth. mAP@0.5:0.95
 * averages mAP over IoU 0.50, 0.55, ..., 0.95. A detection that matches no truth but lies mostly inside an ignore
 * region of its frame (intersection over the detection's own area at least 0.5) is skipped, neither hit nor false
 * alarm, as COCO does for crowd regions.
 *
 * <p>Add frames with {@link #add}; not thread-safe.
 */
public final class MeanAveragePrecision {
    private final int numClasses;
    private final List<List<Detection>> detections = new ArrayList<>();
    private final List<List<GroundTruth>> truths = new ArrayList<>();
    private final List<List<GroundTruth>> ignores = new ArrayList<>();

    public MeanAveragePrecision(final int numClasses) {
        this.numClasses = numClasses;
    }

    public void add(final List<Detection> frameDetections, final List<GroundTruth> frameTruth) {
        add(frameDetections, frameTruth, List.of());
    }

    /** A frame with ignore regions (their class is not looked at). */
    public void add(final List<Detection> frameDetections, final List<GroundTruth> frameTruth,
                    final List<GroundTruth> ignoreRegions) {
        detections.add(List.copyOf(frameDetections));
        truths.add(List.copyOf(frameTruth));
        ignores.add(List.copyOf(ignoreRegions));
    }

    public void add(final List<Detection> frameDetections, final ClipTruth.FrameTruth truth) {
        add(frameDetections, truth.objects(), truth.ignore());
    }

    public int frames() {
        return detections.size();
    }

    public double map50() {
        return map(0.5);
    }

    public double map50to95() {
        double s = 0;
        for (int i = 0; i < 10; i++) {
            s += map(0.5 + 0.05 * i);
        }
        return s / 10;
    }

    public double map(final double iouThreshold) {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < numClasses; c++) {
            final double ap = averagePrecision(c, iouThreshold);
            if (!Double.isNaN(ap)) {
                sum += ap;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    double averagePrecision(final int cls, final double iouThreshold) {
        record Scored(float score, int frame, Detection d) {
        }
        final List<Scored> scored = new ArrayList<>();
        int nGt = 0;
        final List<boolean[]> used = new ArrayList<>();
        for (int f = 0; f < truths.size(); f++) {
            final long k = truths.get(f).stream().filter(g -> g.classId() == cls).count();
            nGt += (int) k;
            used.add(new boolean[(int) k]);
            for (final Detection d : detections.get(f)) {
                if (d.classId() == cls) {
                    scored.add(new Scored(d.score(), f, d));
                }
            }
        }
        if (nGt == 0) {
            return Double.NaN;
        }
        scored.sort(Comparator.comparingDouble(s -> -s.score()));
        final double[] precision = new double[scored.size()];
        final double[] recall = new double[scored.size()];
        int tp = 0;
        int ranked = 0;
        for (int i = 0; i < scored.size(); i++) {
            final Scored s = scored.get(i);
            final List<GroundTruth> cand = truths.get(s.frame()).stream().filter(g -> g.classId() == cls).toList();
            final boolean[] u = used.get(s.frame());
            int best = -1;
            double bestIou = -1;
            for (int j = 0; j < cand.size(); j++) {
                if (u[j]) {
                    continue;
                }
                final double iou = iou(s.d(), cand.get(j));
                if (iou > bestIou) {
                    bestIou = iou;
                    best = j;
                }
            }
            if (best >= 0 && bestIou >= iouThreshold) {
                u[best] = true;
                tp++;
            } else if (ignores.get(s.frame()).stream().anyMatch(g -> ioa(s.d(), g) >= 0.5)) {
                continue;
            }
            precision[ranked] = (double) tp / (ranked + 1);
            recall[ranked] = (double) tp / nGt;
            ranked++;
        }
        final int n = ranked;
        for (int i = n - 2; i >= 0; i--) {
            precision[i] = Math.max(precision[i], precision[i + 1]);
        }
        double ap = 0;
        for (int r = 0; r <= 100; r++) {
            final double target = r / 100.0;
            int idx = 0;
            while (idx < n && recall[idx] < target) {
                idx++;
            }
            ap += idx < n ? precision[idx] : 0;
        }
        return ap / 101;
    }

    /** Intersection of a detection with a region, over the detection's own area. */
    static double ioa(final Detection d, final GroundTruth region) {
        final double iw = Math.max(0, Math.min(d.x1(), region.x1()) - Math.max(d.x0(), region.x0()));
        final double ih = Math.max(0, Math.min(d.y1(), region.y1()) - Math.max(d.y0(), region.y0()));
        final double area = Math.max(0, d.x1() - d.x0()) * Math.max(0, d.y1() - d.y0());
        return area <= 0 ? 0 : iw * ih / area;
    }

    static double iou(final Detection d, final GroundTruth g) {
        final double iw = Math.max(0, Math.min(d.x1(), g.x1()) - Math.max(d.x0(), g.x0()));
        final double ih = Math.max(0, Math.min(d.y1(), g.y1()) - Math.max(d.y0(), g.y0()));
        final double inter = iw * ih;
        final double union = Math.max(0, d.x1() - d.x0()) * Math.max(0, d.y1() - d.y0())
            + Math.max(0, g.x1() - g.x0()) * Math.max(0, g.y1() - g.y0()) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
