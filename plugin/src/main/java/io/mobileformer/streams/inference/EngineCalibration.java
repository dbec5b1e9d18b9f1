package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.Tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * How {@code engine=auto} orders the engines that loaded: each runs the model on the same batch, at the configured
 * batch size, and the fastest becomes primary. The calibration doubles as JIT warm-up for the Java engine.
 *
 * <p>The engines take turns, one batch each per round (the order flips every round), so a load spike from other
 * processes hits all of them; each engine's first batch is untimed (it builds the plan for that batch size, and
 * ONNX Runtime allocates its arena), and the budget counts from after it. Rounds stop at the time budget or after
 * {@link #MAX_ROUNDS}, whichever comes first, but never before {@link #MIN_ROUNDS}; and past the budget, up to three
 * times it, while an engine is still getting faster ({@link #improving}) or the JIT compilers are still busy
 * ({@link #JIT_BUSY_SHARE}): on a loaded machine the JIT's compiler
 * threads wait for a core too, and a calibration that stops while the Java engine still runs interpreted measures the
 * interpreter (measured under a load average of 8: 7 rounds in the 2 s budget, java=59.9 against ort-cpu=97.6 img/s,
 * where the warm Java engine runs twice as fast as ONNX Runtime).
 *
 * <p>An engine's figure is its <em>lower-quartile</em> batch: on a busy machine the slowest batches measure the
 * neighbours, and the Java engine's first batches measure the JIT compiler, so the mean or the median would measure
 * them too; but the single fastest batch can be an outlier. Measured on the 2-core VM: ONNX Runtime's batches of 8
 * took 59–72 ms of thread CPU time, with one at 36 ms, which as the best batch reads as 222 img/s against a steady
 * 130 (a demo run once chose ONNX Runtime by 222.6 against the Java engine's 218.4). The lower quartile needs a
 * quarter of the batches to agree, which the Java engine's warm batches do after its first few. Not explained yet:
 * the first ONNX Runtime session calibrated in a process can still read 207–225 img/s on its lower quartile, later
 * ones 129–140; the Java engine measured 230–312 in the same runs and was chosen in all six.
 */
public final class EngineCalibration {
    /** Enough rounds that the fastest of them is a warm batch; a tiny model stops here long before the budget. */
    static final int MAX_ROUNDS = 24;
    /**
     * Timed rounds run even past the budget: on a busy machine the untimed first batches alone can take it all, and
     * a choice needs figures.
     */
    static final int MIN_ROUNDS = 2;
    /** The recent batches {@link #improving} compares with the earlier ones. */
    static final int SETTLE = 3;
    /**
     * JIT compile time, as a share of a round's cost, above which the round counts as still compiling. Seen in a
     * CI run: a JVM that had run other tests calibrated the demo model with the Java engine at 126 img/s of thread CPU
     * time over 12 rounds (it runs at 300-340 warm) and chose ONNX Runtime at 149: its batches got faster a little
     * at a time as methods were compiled one by one, which {@link #improving}'s 10 % step on the best of three does
     * not see.
     */
    static final double JIT_BUSY_SHARE = 0.1;

    /** One engine's calibration figure: images per second of its fastest batch, or why it could not run. */
    public record Measurement(String engine, double imagesPerSecond, int batches, String failure) {
        public boolean ok() {
            return failure == null;
        }

        @Override
        public String toString() {
            return ok() ? String.format(Locale.ROOT, "%s=%.1f img/s (%d batches)", engine, imagesPerSecond, batches)
                : engine + " failed (" + failure + ")";
        }
    }

    private EngineCalibration() {
    }

    /**
     * The choice rule, free of clocks: the indices of the engines that ran, fastest first; ties keep the order given
     * (the static preference CUDA, CPU, Java). An engine whose calibration failed is left out.
     */
    public static List<Integer> order(final List<Measurement> measured) {
        final List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < measured.size(); i++) {
            if (measured.get(i).ok()) {
                idx.add(i);
            }
        }
        // List.sort is stable: equal figures keep the preference order
        idx.sort(Comparator.comparingDouble((Integer i) -> measured.get(i).imagesPerSecond()).reversed());
        return idx;
    }

    /** Like {@link #measure(List, Tensor, long, LongSupplier, LongSupplier)} with one clock for both. */
    public static List<Measurement> measure(final List<Engine> engines, final Tensor batch, final long budgetNanos,
                                            final LongSupplier clock) {
        return measure(engines, batch, budgetNanos, clock, clock);
    }

    /** Like {@link #measure(List, Tensor, long, LongSupplier, LongSupplier, LongSupplier)} without a JIT counter. */
    public static List<Measurement> measure(final List<Engine> engines, final Tensor batch, final long budgetNanos,
                                            final LongSupplier wallClock, final LongSupplier costClock) {
        return measure(engines, batch, budgetNanos, wallClock, costClock, () -> 0);
    }

    /**
     * Measures every engine on {@code batch} for about {@code budgetNanos} of wall time in all.
     *
     * @param wallClock nanoseconds, monotonic: bounds the calibration ({@code System::nanoTime} outside tests)
     * @param costClock nanoseconds that time each batch: this thread's CPU time when the engines compute on the
     *                  calling thread (one intra-op thread), so that other processes on a shared machine do not
     *                  decide the choice; the wall clock otherwise
     * @param jitMillis the JIT compilers' total time so far, in milliseconds ({@code CompilationMXBean}): past the
     *                  budget, a round in which it grew by more than {@link #JIT_BUSY_SHARE} of the round's cost
     *                  means some engine may still run code that is being compiled, so the rounds go on (up to the
     *                  same bound as {@link #improving})
     */
    public static List<Measurement> measure(final List<Engine> engines, final Tensor batch, final long budgetNanos,
                                            final LongSupplier wallClock, final LongSupplier costClock,
                                            final LongSupplier jitMillis) {
        final int n = engines.size();
        final List<List<Long>> took = new ArrayList<>();
        final String[] failure = new String[n];
        for (int i = 0; i < n; i++) {
            took.add(new ArrayList<>());
            failure[i] = runOnce(engines.get(i), batch, costClock, null);
        }
        // the budget starts after the untimed batches: the Java engine's first batch runs interpreted and can take the
        // whole budget on its own, leaving no rounds for the JIT to show the engine's real speed (measured: picked
        // ONNX Runtime at 2 rounds, the Java engine on a restart in the same JVM, already compiled)
        final long end = wallClock.getAsLong() + budgetNanos;
        final long extendedEnd = end + 2 * budgetNanos;
        boolean jitBusy = true;
        for (int round = 0; round < MAX_ROUNDS && (round < MIN_ROUNDS || wallClock.getAsLong() < end
            || wallClock.getAsLong() < extendedEnd && (jitBusy || improving(took, failure))); round++) {
            final long jit0 = jitMillis.getAsLong();
            final long cost0 = costClock.getAsLong();
            for (int k = 0; k < n; k++) {
                final int i = round % 2 == 0 ? k : n - 1 - k;
                if (failure[i] != null) {
                    continue;
                }
                final long[] t = new long[1];
                failure[i] = runOnce(engines.get(i), batch, costClock, t);
                if (failure[i] == null) {
                    took.get(i).add(Math.max(1, t[0]));
                }
            }
            jitBusy = (jitMillis.getAsLong() - jit0) * 1_000_000L > JIT_BUSY_SHARE * (costClock.getAsLong() - cost0);
        }
        final List<Measurement> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final String name = engines.get(i).name();
            final List<Long> times = took.get(i);
            out.add(failure[i] != null ? new Measurement(name, 0, times.size(), failure[i])
                : new Measurement(name, batch.dim(0) * 1e9 / lowerQuartile(times), times.size(), null));
        }
        return out;
    }

    /**
     * Whether an engine that still runs is getting faster: the best of its last {@link #SETTLE} batches is more than
     * 10 % faster than the best before them (a JIT compiling, an arena growing). Noise alone rarely does that on the
     * best of three; a compiled kernel replacing an interpreted one is a factor, not 10 %. An engine with no more
     * than {@link #SETTLE} batches has not shown either yet, so it counts as improving.
     */
    static boolean improving(final List<List<Long>> took, final String[] failure) {
        for (int i = 0; i < took.size(); i++) {
            final List<Long> t = took.get(i);
            if (failure[i] != null) {
                continue;
            }
            if (t.size() <= SETTLE) {
                return true;   // too few batches to tell: a slow start is what this rule is for
            }
            final long before = t.subList(0, t.size() - SETTLE).stream().mapToLong(Long::longValue).min().orElseThrow();
            final long recent = t.subList(t.size() - SETTLE, t.size()).stream().mapToLong(Long::longValue).min()
                .orElseThrow();
            if (recent < 0.9 * before) {
                return true;
            }
        }
        return false;
    }

    /** The batch time a quarter of the batches beat or equal: of 2 batches the faster, of 20 the 5th fastest. */
    static long lowerQuartile(final List<Long> times) {
        final List<Long> sorted = new ArrayList<>(times);
        sorted.sort(null);
        return sorted.get((sorted.size() - 1) / 4);
    }

    private static String runOnce(final Engine e, final Tensor batch, final LongSupplier clock, final long[] took) {
        final long t0 = clock.getAsLong();
        try {
            e.run(batch);
        } catch (final Exception | LinkageError ex) {
            return ex.toString();
        }
        if (took != null) {
            took[0] = clock.getAsLong() - t0;
        }
        return null;
    }
}
