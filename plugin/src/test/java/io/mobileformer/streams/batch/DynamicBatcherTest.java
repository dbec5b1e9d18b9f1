package io.mobileformer.streams.batch;

import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.model.LetterboxGeometry;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.model.ResizeMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batcher driven by hand: a manual clock and no worker thread, so every decision is checked exactly, without
 * sleeps. Inference is real (ONNX Runtime on the tiny model).
 */
class DynamicBatcherTest {
    static final long MS = 1_000_000L;
    static ModelContract contract;

    @BeforeAll
    static void load() throws Exception {
        contract = ModelContract.load(Path.of("models/tiny-centernet.onnx"));
    }

    private final AtomicLong now = new AtomicLong();

    private DynamicBatcher batcher(final int maxSize, final int capacity, final BatchSettings.FullPolicy policy)
        throws Exception {
        return new DynamicBatcher(new Detector(contract, OrtEngine.cpu(contract.path(), 1), 0.0f, 20),
            new BatchSettings(maxSize, 10 * MS, capacity, policy), now::get, false);
    }

    static List<DecodedFrame> frames(final int n, final long seed) {
        final Random r = new Random(seed);
        final List<DecodedFrame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final float[] input = new float[3 * 128 * 128];
            for (int k = 0; k < input.length; k++) {
                input[k] = (float) r.nextGaussian();
            }
            out.add(new DecodedFrame(i, i * 66_000L, i == 0, LetterboxGeometry.of(ResizeMode.STRETCH, 256, 256,
                128, 128), input, 0f));
        }
        return out;
    }

    private static CompletableFuture<List<FrameResult>> submit(final DynamicBatcher b, final List<DecodedFrame> f) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return b.detect(f);
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Waits (without asserting on time) until another thread has done its part. */
    private static void await(final BooleanSupplier cond) throws InterruptedException {
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not reached");
            }
            Thread.sleep(1);
        }
    }

    @Test
    void maxSizeRunsAFullBatchAtOnceAndTheRestWaitsForTheDelay() throws Exception {
        try (DynamicBatcher b = batcher(4, 64, BatchSettings.FullPolicy.BLOCK)) {
            final CompletableFuture<List<FrameResult>> r = submit(b, frames(6, 1));
            await(() -> b.queued() == 6);
            assertEquals(4, b.runDue(), "a full batch runs without waiting");
            assertEquals(0, b.runDue(), "two frames are not due yet");
            now.set(9 * MS);
            assertEquals(0, b.runDue());
            now.set(10 * MS);
            assertEquals(2, b.runDue(), "due after max-delay");
            assertEquals(6, r.get(30, TimeUnit.SECONDS).size());
            final long[] h = b.stats().sizeHistogram();
            assertEquals(1, h[4]);
            assertEquals(1, h[2]);
            assertEquals(2, b.stats().batches());
        }
    }

    @Test
    void maxDelayBoundsTheWaitOfALoneFrame() throws Exception {
        try (DynamicBatcher b = batcher(8, 64, BatchSettings.FullPolicy.BLOCK)) {
            now.set(100 * MS);
            final CompletableFuture<List<FrameResult>> r = submit(b, frames(1, 2));
            await(() -> b.queued() == 1);
            now.set(109 * MS);
            assertEquals(0, b.runDue());
            now.set(110 * MS);
            assertEquals(1, b.runDue());
            final FrameResult res = r.get(30, TimeUnit.SECONDS).get(0);
            assertEquals(10f, res.queueMs(), 1e-3);
            assertEquals("ort-cpu", res.engine());
        }
    }

    @Test
    void resultsReturnToTheirOwnCallerInOrder() throws Exception {
        final List<DecodedFrame> a = frames(3, 10);
        final List<DecodedFrame> c = frames(2, 20);
        final List<FrameResult> aAlone;
        final List<FrameResult> cAlone;
        try (InlineBatcher direct = new InlineBatcher(new Detector(contract, OrtEngine.cpu(
            contract.path(), 1), 0.0f, 20), 1)) {
            aAlone = direct.detect(a);
            cAlone = direct.detect(c);
        }
        try (DynamicBatcher b = batcher(8, 64, BatchSettings.FullPolicy.BLOCK)) {
            final CompletableFuture<List<FrameResult>> ra = submit(b, a);
            await(() -> b.queued() == 3);
            final CompletableFuture<List<FrameResult>> rc = submit(b, c);
            await(() -> b.queued() == 5);
            now.set(10 * MS);
            assertEquals(5, b.runDue());
            assertEquals(1, b.stats().batches(), "both callers in one batch");
            assertSame(aAlone, ra.get(30, TimeUnit.SECONDS));
            assertSame(cAlone, rc.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void theKeptStackedInputCarriesNothingFromOneBatchToTheNext() throws Exception {
        final List<DecodedFrame> a = frames(3, 30);
        final List<DecodedFrame> c = frames(3, 40);
        try (InlineBatcher direct = new InlineBatcher(new Detector(contract, OrtEngine.cpu(
            contract.path(), 1), 0.0f, 20), 2)) {
            final List<FrameResult> first = direct.detect(a);    // batches of 2 and 1: the kept array is resized
            final List<FrameResult> other = direct.detect(c);    // and overwritten with other frames
            final List<FrameResult> again = direct.detect(a);
            assertSame(first, again);
            assertNotEquals(first.get(0).detections(), other.get(0).detections(), "the two inputs must differ, or "
                + "this test shows nothing");
        }
    }

    private static void assertSame(final List<FrameResult> want, final List<FrameResult> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            final List<Detection> w = want.get(i).detections();
            final List<Detection> g = got.get(i).detections();
            assertEquals(w.size(), g.size(), "frame " + i);
            for (int k = 0; k < w.size(); k++) {
                assertEquals(w.get(k).classId(), g.get(k).classId());
                assertArrayEquals(new float[] {w.get(k).x0(), w.get(k).y0(), w.get(k).x1(), w.get(k).y1()},
                    new float[] {g.get(k).x0(), g.get(k).y0(), g.get(k).x1(), g.get(k).y1()}, 1e-3f);
            }
        }
    }

    @Test
    void blockPolicyHoldsCallersBackInsteadOfGrowingTheQueue() throws Exception {
        try (DynamicBatcher b = batcher(2, 2, BatchSettings.FullPolicy.BLOCK)) {
            final CompletableFuture<List<FrameResult>> r = submit(b, frames(5, 3));
            await(() -> b.queued() == 2);
            assertFalse(r.isDone(), "the caller waits for room");
            int ran = 0;
            while (ran < 5) {
                now.addAndGet(10 * MS);
                final int before = ran;
                ran += b.runDue();
                assertTrue(b.queued() <= 2, "never more than the capacity waiting");
                if (ran < 5 && ran > before) {
                    final int expected = Math.min(2, 5 - ran);
                    await(() -> b.queued() == expected);
                }
            }
            final List<FrameResult> res = r.get(30, TimeUnit.SECONDS);
            assertEquals(5, res.size());
            assertTrue(res.stream().noneMatch(FrameResult::isDropped));
            assertEquals(0, b.stats().droppedFrames());
        }
    }

    @Test
    void dropOldestEvictsAndReportsEveryDroppedFrame() throws Exception {
        try (DynamicBatcher b = batcher(8, 2, BatchSettings.FullPolicy.DROP_OLDEST)) {
            final CompletableFuture<List<FrameResult>> r = submit(b, frames(5, 4));
            await(() -> b.stats().droppedFrames() == 3);
            now.set(10 * MS);
            assertEquals(2, b.runDue());
            final List<FrameResult> res = r.get(30, TimeUnit.SECONDS);
            assertEquals(5, res.size(), "a result for every frame, dropped or not");
            for (int i = 0; i < 5; i++) {
                assertEquals(i < 3, res.get(i).isDropped(), "frame " + i);
            }
            assertEquals(DynamicBatcher.DROPPED_QUEUE_FULL, res.get(0).droppedReason());
        }
    }
}
