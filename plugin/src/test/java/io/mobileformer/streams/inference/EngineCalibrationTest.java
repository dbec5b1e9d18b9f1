package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rule engine=auto chooses by, fed figures instead of a clock, and the measuring loop on a fake clock: fake engines
 * stand in for what cannot be made slow on purpose here (a GPU, a slower CPU engine).
 */
class EngineCalibrationTest {

    private static EngineCalibration.Measurement m(final String name, final double rate) {
        return new EngineCalibration.Measurement(name, rate, 10, null);
    }

    @Test
    void theFastestIsPrimaryAndTheOthersFollowBySpeed() {
        assertEquals(List.of(2, 1), EngineCalibration.order(List.of(
            new EngineCalibration.Measurement("ort-cuda", 0, 0, "no CUDA device"), m("ort-cpu", 128), m("java", 257))));
        assertEquals(List.of(0, 2, 1), EngineCalibration.order(List.of(m("ort-cuda", 900), m("ort-cpu", 128),
            m("java", 257))));
    }

    @Test
    void tiesKeepThePreferenceOrder() {
        assertEquals(List.of(0, 1), EngineCalibration.order(List.of(m("ort-cpu", 100), m("java", 100))));
    }

    @Test
    void anEngineThatFailedIsLeftOut() {
        assertEquals(List.of(), EngineCalibration.order(List.of(
            new EngineCalibration.Measurement("java", 0, 0, "UNSUPPORTED op"))));
    }

    /** An engine that advances a fake clock by a fixed time per batch (the first two batches slower: the JIT). */
    private static Engine fake(final String name, final AtomicLong clock, final long firstNanos, final long nanos,
                               final boolean fails) {
        return scripted(name, clock, fails, firstNanos, firstNanos, nanos);
    }

    @Test
    void measuresTheWarmSpeedWithinTheBudget() {
        final AtomicLong clock = new AtomicLong();
        final Tensor batch = Tensor.zeros(8, 3, 4, 4);
        // the java stand-in is slow for two batches (compiling) and then twice as fast as the ort stand-in
        final List<EngineCalibration.Measurement> got = EngineCalibration.measure(List.of(
            fake("ort-cpu", clock, 60_000_000L, 60_000_000L, false),
            fake("java", clock, 400_000_000L, 30_000_000L, false),
            fake("ort-cuda", clock, 0, 0, true)), batch, 2_000_000_000L, clock::get);
        assertEquals(8 / 0.060, got.get(0).imagesPerSecond(), 1e-6);
        assertEquals(8 / 0.030, got.get(1).imagesPerSecond(), 1e-6);
        assertFalse(got.get(2).ok());
        assertEquals(List.of(1, 0), EngineCalibration.order(got));
        // bounded: the untimed batches (0.46 s), then rounds until the first round boundary past the 2 s budget (a
        // round is at most 0.46 s here)
        assertTrue(clock.get() <= 460_000_000L + 2_000_000_000L + 460_000_000L, "ran " + clock.get() + " ns");
        assertTrue(clock.get() >= 460_000_000L + 2_000_000_000L, "stopped early: " + clock.get() + " ns");
        assertTrue(got.get(0).batches() >= 2 && got.get(1).batches() >= 2);
    }

    @Test
    void twoTimedRoundsEvenWhenWarmUpTookTheWholeBudget() {
        final AtomicLong clock = new AtomicLong();
        final List<EngineCalibration.Measurement> got = EngineCalibration.measure(List.of(
            fake("ort-cpu", clock, 3_000_000_000L, 60_000_000L, false),
            fake("java", clock, 3_000_000_000L, 30_000_000L, false)), Tensor.zeros(1, 3, 4, 4), 2_000_000_000L,
            clock::get);
        assertEquals(List.of(1, 0), EngineCalibration.order(got));
        assertEquals(2, got.get(0).batches());
        assertEquals(2, got.get(1).batches());
    }

    /**
     * An engine whose batches take the given times in turn, the last one from then on (the untimed first batch takes
     * the first), or that fails every batch.
     */
    private static Engine scripted(final String name, final AtomicLong clock, final boolean fails,
                                   final long... nanos) {
        return new Engine() {
            private int calls;

            @Override
            public String name() {
                return name;
            }

            @Override
            public Map<String, Tensor> run(final Tensor images) throws EngineException {
                if (fails) {
                    throw new EngineException(EngineException.Kind.RUN, name, "broken");
                }
                clock.addAndGet(nanos[Math.min(calls++, nanos.length - 1)]);
                return Map.of();
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void oneOddlyFastBatchDoesNotDecide() {
        final AtomicLong clock = new AtomicLong();
        final long ms = 1_000_000L;
        // the ort stand-in is steady at 60 ms with one 20 ms outlier (seen on the VM: thread CPU time that once read
        // 36 ms against 59-72); the java stand-in is steady at 40 ms after two compiling batches
        final List<EngineCalibration.Measurement> got = EngineCalibration.measure(List.of(
            scripted("ort-cpu", clock, false, 60 * ms, 60 * ms, 20 * ms, 60 * ms, 62 * ms, 61 * ms, 60 * ms, 63 * ms, 60 * ms),
            scripted("java", clock, false, 400 * ms, 300 * ms, 40 * ms, 41 * ms, 40 * ms, 42 * ms, 40 * ms, 40 * ms, 40 * ms)),
            Tensor.zeros(8, 3, 4, 4), 2000 * ms, clock::get);
        assertEquals(List.of(1, 0), EngineCalibration.order(got), got.toString());
        assertEquals(8 / 0.060, got.get(0).imagesPerSecond(), 1e-6, "the lower quartile, not the outlier");
    }

    @Test
    void theLowerQuartileOfTheBatchTimes() {
        assertEquals(5, EngineCalibration.lowerQuartile(List.of(9L, 5L)));
        assertEquals(2, EngineCalibration.lowerQuartile(List.of(7L, 1L, 2L, 9L, 8L)));
        assertEquals(5, EngineCalibration.lowerQuartile(List.of(20L, 19L, 18L, 17L, 16L, 15L, 14L, 13L, 12L, 11L, 10L,
            9L, 8L, 7L, 6L, 5L, 4L, 3L, 2L, 1L)));
    }

    @Test
    void aJavaEngineStillCompilingAtTheBudgetIsGivenMoreRounds() {
        final AtomicLong clock = new AtomicLong();
        final long ms = 1_000_000L;
        // interpreted batches shrink as the JIT compiles (a loaded machine); past the 1 s budget it is still halving
        final List<EngineCalibration.Measurement> got = EngineCalibration.measure(List.of(
            scripted("ort-cpu", clock, false, 60 * ms),
            scripted("java", clock, false, 500 * ms, 400 * ms, 300 * ms, 250 * ms, 200 * ms, 150 * ms, 100 * ms,
                70 * ms, 40 * ms)), Tensor.zeros(8, 3, 4, 4), 1000 * ms, clock::get);
        assertEquals(List.of(1, 0), EngineCalibration.order(got), got.toString());
        assertEquals(8 / 0.040, got.get(1).imagesPerSecond(), 1e-6, "measured once settled");
        // and bounded: three budgets after the untimed batches at most, plus the round that crossed the bound
        assertTrue(clock.get() <= 560 * ms + 3000 * ms + 560 * ms, "ran " + clock.get() / ms + " ms");
    }

    @Test
    void roundsGoOnPastTheBudgetWhileTheJitIsStillCompiling() {
        final AtomicLong clock = new AtomicLong();
        final long ms = 1_000_000L;
        // the java stand-in gets faster a little at a time (methods compiled one by one: never a 10 % step on the best
        // of three) while the JIT counter grows by 20 ms per call; from its 12th call it is compiled and the counter
        // stops
        final long[] javaTimes = new long[13];
        for (int i = 0; i < javaTimes.length; i++) {
            javaTimes[i] = i < 12 ? 100 * ms - 2 * i * ms : 30 * ms;
        }
        final AtomicLong javaCalls = new AtomicLong();
        final Engine java = scripted("java", clock, false, javaTimes);
        final Engine counted = new Engine() {
            @Override
            public String name() {
                return java.name();
            }

            @Override
            public Map<String, Tensor> run(final Tensor images) throws EngineException {
                javaCalls.incrementAndGet();
                return java.run(images);
            }

            @Override
            public void close() {
            }
        };
        final java.util.function.LongSupplier jit = () -> Math.min(12, javaCalls.get()) * 20;
        final List<EngineCalibration.Measurement> still = EngineCalibration.measure(List.of(
            scripted("ort-cpu", clock, false, 60 * ms), counted), Tensor.zeros(8, 3, 4, 4), 1000 * ms, clock::get,
            clock::get, jit);
        assertEquals(List.of(1, 0), EngineCalibration.order(still), still.toString());
        assertEquals(8 / 0.030, still.get(1).imagesPerSecond(), 1e-6, "measured once compiled");

        // the same engines with a JIT that is quiet: the rule for the budget alone stops them early, at the slower
        // figures (what the CI run saw)
        clock.set(0);
        javaCalls.set(0);
        final List<EngineCalibration.Measurement> quiet = EngineCalibration.measure(List.of(
            scripted("ort-cpu", clock, false, 60 * ms), scripted("java", clock, false, javaTimes)),
            Tensor.zeros(8, 3, 4, 4), 1000 * ms, clock::get, clock::get, () -> 0);
        assertTrue(quiet.get(1).batches() < still.get(1).batches(), quiet.toString());
        assertEquals(List.of(0, 1), EngineCalibration.order(quiet), quiet.toString());
    }

    @Test
    void settledEnginesStopAtTheBudget() {
        final AtomicLong clock = new AtomicLong();
        final long ms = 1_000_000L;
        EngineCalibration.measure(List.of(scripted("ort-cpu", clock, false, 60 * ms),
            scripted("java", clock, false, 300 * ms, 40 * ms)), Tensor.zeros(8, 3, 4, 4), 1000 * ms, clock::get);
        assertTrue(clock.get() <= 360 * ms + 1000 * ms + 100 * ms, "ran " + clock.get() / ms + " ms");
    }
}
