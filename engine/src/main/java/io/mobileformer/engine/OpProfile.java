package io.mobileformer.engine;

import io.mobileformer.engine.plan.Plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the Java engine's time goes, per kind of step ({@code Conv(1x1)+dyrelu}, {@code Softmax}, ...): wall time
 * of each step summed over calls. Filled only while profiling is on ({@link JavaEngine#profiling(boolean)}), since
 * reading the clock around every step costs a little.
 */
public final class OpProfile {
    /**
     * One kind of step over all profiled calls: total nanoseconds, images the passes it took part in carried (a call
     * runs one pass per chunk of a batch, {@link JavaEngine.Options#microBatch()}), steps of this kind per pass, and
     * multiply-adds done. {@code shapes} is empty unless the entries were asked by shape (see {@link #entries(boolean)}).
     */
    public record Entry(String op, String shapes, long nanos, long images, long steps, long madds) {
        /** Milliseconds per image, whatever the passes' sizes. */
        public double millisPerImage() {
            return images == 0 ? 0 : nanos / 1e6 / images;
        }
    }

    private final Map<Plan, long[]> nanos = new ConcurrentHashMap<>();
    private final Map<Plan, long[]> runs = new ConcurrentHashMap<>();

    long[] accumulator(final Plan plan) {
        return new long[plan.steps().size()];
    }

    void add(final Plan plan, final long[] stepNanos) {
        final long[] total = nanos.computeIfAbsent(plan, p -> new long[p.steps().size()]);
        final long[] count = runs.computeIfAbsent(plan, p -> new long[1]);
        synchronized (total) {
            for (int i = 0; i < total.length; i++) {
                total[i] += stepNanos[i];
            }
            count[0]++;     // passes; each carried plan.batch() images
        }
    }

    void reset() {
        nanos.clear();
        runs.clear();
    }

    /** Entries by descending time, one per kind of step. */
    public List<Entry> entries() {
        return entries(false);
    }

    /** What entries are summed by: a kind of step, and its input shapes or "" when not by shape. */
    private record Key(String op, String shapes) {
    }

    /**
     * Entries by descending time, one per kind of step, or with {@code byShape} one per kind and input shapes
     * ({@code Conv(dw3x3/s1)+dyrelu} with {@code [1,36,64,64]x[36,1,3,3]}).
     */
    public List<Entry> entries(final boolean byShape) {
        final Map<Key, long[]> by = new LinkedHashMap<>();
        for (final Map.Entry<Plan, long[]> e : nanos.entrySet()) {
            final Plan plan = e.getKey();
            final long[] total = e.getValue();
            synchronized (total) {
                final long calls = runs.get(plan)[0];
                final long images = calls * plan.batch();
                // steps of each kind in this plan: plans for other batch sizes have the same steps, so the entry
                // keeps the most any plan has rather than their sum
                final Map<Key, Integer> stepsHere = new LinkedHashMap<>();
                for (int i = 0; i < total.length; i++) {
                    final Plan.PlannedStep s = plan.steps().get(i);
                    final Key key = new Key(s.label(), byShape ? s.shapes() : "");
                    final long[] acc = by.computeIfAbsent(key, k -> new long[4]);
                    acc[0] += total[i];
                    if (stepsHere.merge(key, 1, Integer::sum) == 1) {
                        acc[1] += images;
                    }
                    acc[3] += calls * s.madds();
                }
                stepsHere.forEach((key, n) -> by.get(key)[2] = Math.max(by.get(key)[2], n));
            }
        }
        final List<Entry> out = new ArrayList<>();
        by.forEach((k, v) -> out.add(new Entry(k.op(), k.shapes(), v[0], v[1], v[1] == 0 ? 0 : v[2], v[3])));
        out.sort(Comparator.comparingLong(Entry::nanos).reversed());
        return out;
    }
}
