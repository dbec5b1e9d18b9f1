package io.mobileformer.streams.eval;

import io.mobileformer.streams.analytics.Assignment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Multi-object tracking accuracy against ground truth with identities, per sequence (a camera), summed over sequences:
 *
 * <ul>
 *   <li><b>MOTA</b> (CLEAR MOT: Bernardin and Stiefelhagen, "Evaluating Multiple Object Tracking Performance: The CLEAR
 *   MOT Metrics", 2008): {@code 1 − (FN + FP + IDSW) / GT}. Each frame, a truth object keeps the hypothesis it was
 *   matched to in the previous frame while their IoU stays at the threshold; the others are matched by a minimum-cost
 *   assignment on 1 − IoU. An identity switch is a truth object matched to another hypothesis id than the one it was
 *   last matched to.</li>
 *   <li><b>IDF1</b> (Ristani et al., "Performance Measures and a Data Set for Multi-Target, Multi-Camera Tracking",
 *   2016): truth ids and hypothesis ids are matched one to one, over the whole sequence, so as to maximise the frames
 *   in which a matched pair overlaps (IoU at the threshold): those are IDTP, and
 *   {@code IDF1 = 2 IDTP / (truth boxes + hypothesis boxes)}.</li>
 * </ul>
 *
 * <p>Frames of a sequence must be added in order. Not thread-safe.
 */
public final class TrackingMetrics {

    /** A box with the identity it carries: a truth object's or a track's. */
    public record Box(long id, double x0, double y0, double x1, double y1) {
    }

    private static final class Sequence {
        final Map<Long, Long> lastMatch = new HashMap<>();
        final Map<Long, Long> current = new HashMap<>();
        final Map<Long, Map<Long, Integer>> overlaps = new LinkedHashMap<>();
    }

    private final double iou;
    private final Map<String, Sequence> sequences = new LinkedHashMap<>();
    private long gt;
    private long hyp;
    private long fp;
    private long fn;
    private long idsw;
    private long frames;

    /** @param iou least IoU for a hypothesis to cover a truth object (0.5 is the usual choice) */
    public TrackingMetrics(final double iou) {
        this.iou = iou;
    }

    public void add(final String sequence, final List<Box> truth, final List<Box> hypotheses) {
        final Sequence s = sequences.computeIfAbsent(sequence, k -> new Sequence());
        frames++;
        gt += truth.size();
        hyp += hypotheses.size();
        // identity: every overlapping (truth id, hypothesis id) pair in this frame counts once
        for (final Box t : truth) {
            for (final Box h : hypotheses) {
                if (iou(t, h) >= iou) {
                    s.overlaps.computeIfAbsent(t.id(), k -> new HashMap<>()).merge(h.id(), 1, Integer::sum);
                }
            }
        }
        // CLEAR MOT: keep last frame's correspondences that still hold
        final Map<Long, Long> matched = new HashMap<>();
        final Set<Long> hypTaken = new HashSet<>();
        final Map<Long, Box> hypById = new HashMap<>();
        for (final Box h : hypotheses) {
            hypById.put(h.id(), h);
        }
        for (final Box t : truth) {
            final Long h = s.current.get(t.id());
            if (h != null && hypById.containsKey(h) && !hypTaken.contains(h) && iou(t, hypById.get(h)) >= iou) {
                matched.put(t.id(), h);
                hypTaken.add(h);
            }
        }
        final List<Box> openTruth = new ArrayList<>();
        for (final Box t : truth) {
            if (!matched.containsKey(t.id())) {
                openTruth.add(t);
            }
        }
        final List<Box> openHyp = new ArrayList<>();
        for (final Box h : hypotheses) {
            if (!hypTaken.contains(h.id())) {
                openHyp.add(h);
            }
        }
        final double[][] cost = new double[openTruth.size()][openHyp.size()];
        for (int i = 0; i < openTruth.size(); i++) {
            for (int j = 0; j < openHyp.size(); j++) {
                cost[i][j] = 1 - iou(openTruth.get(i), openHyp.get(j));
            }
        }
        final int[] col = Assignment.solve(cost, 1 - iou);
        for (int i = 0; i < openTruth.size(); i++) {
            if (col[i] < 0) {
                continue;
            }
            final long t = openTruth.get(i).id();
            final long h = openHyp.get(col[i]).id();
            matched.put(t, h);
            final Long last = s.lastMatch.get(t);
            if (last != null && last != h) {
                idsw++;
            }
        }
        fn += truth.size() - matched.size();
        fp += hypotheses.size() - matched.size();
        s.current.clear();
        s.current.putAll(matched);
        s.lastMatch.putAll(matched);
    }

    public double mota() {
        return gt == 0 ? Double.NaN : 1 - (double) (fn + fp + idsw) / gt;
    }

    public double idf1() {
        final long total = gt + hyp;
        return total == 0 ? Double.NaN : 2.0 * idtp() / total;
    }

    /** Identity true positives: the frames of the best one-to-one id matching, summed over sequences. */
    public long idtp() {
        long sum = 0;
        for (final Sequence s : sequences.values()) {
            final List<Long> truthIds = new ArrayList<>(s.overlaps.keySet());
            final List<Long> hypIds = new ArrayList<>();
            for (final Map<Long, Integer> m : s.overlaps.values()) {
                for (final Long h : m.keySet()) {
                    if (!hypIds.contains(h)) {
                        hypIds.add(h);
                    }
                }
            }
            final double[][] cost = new double[truthIds.size()][hypIds.size()];
            for (int i = 0; i < truthIds.size(); i++) {
                final Map<Long, Integer> m = s.overlaps.get(truthIds.get(i));
                for (int j = 0; j < hypIds.size(); j++) {
                    cost[i][j] = -m.getOrDefault(hypIds.get(j), 0);
                }
            }
            final int[] col = Assignment.solve(cost, 0);
            for (int i = 0; i < col.length; i++) {
                if (col[i] >= 0) {
                    sum += (long) -cost[i][col[i]];
                }
            }
        }
        return sum;
    }

    public long truthBoxes() {
        return gt;
    }

    public long falsePositives() {
        return fp;
    }

    public long misses() {
        return fn;
    }

    public long idSwitches() {
        return idsw;
    }

    public long frames() {
        return frames;
    }

    @Override
    public String toString() {
        return String.format("frames=%d gt=%d fp=%d fn=%d idsw=%d mota=%.3f idf1=%.3f", frames, gt, fp, fn, idsw,
            mota(), idf1());
    }

    static double iou(final Box a, final Box b) {
        final double iw = Math.min(a.x1(), b.x1()) - Math.max(a.x0(), b.x0());
        final double ih = Math.min(a.y1(), b.y1()) - Math.max(a.y0(), b.y0());
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        final double inter = iw * ih;
        return inter / ((a.x1() - a.x0()) * (a.y1() - a.y0()) + (b.x1() - b.x0()) * (b.y1() - b.y0()) - inter);
    }
}
