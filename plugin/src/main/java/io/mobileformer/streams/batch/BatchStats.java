package io.mobileformer.streams.batch;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** Batch-size histogram, queue wait and inference time of a batcher, for metrics and benchmarks. */
public final class BatchStats {
    private final AtomicLongArray sizes;
    private final LongAdder batches = new LongAdder();
    private final LongAdder frames = new LongAdder();
    private final LongAdder queueNanos = new LongAdder();
    private final LongAdder inferenceNanos = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private volatile Listener listener = (size, inferNanos, engine) -> { };

    /** Told of every batch as it completes, for figures that need each batch rather than the sums (histograms). */
    @FunctionalInterface
    public interface Listener {
        /** Called on the batcher's worker thread: must be quick and must not throw. */
        void batch(int size, long inferenceNanos, String engine);
    }

    BatchStats(final int maxSize) {
        this.sizes = new AtomicLongArray(maxSize + 1);
    }

    /** Replaces the listener (one: the pipeline's metrics). */
    public void listen(final Listener l) {
        this.listener = l;
    }

    void batch(final int size, final long inferNanos, final long waitedNanosTotal, final String engine) {
        listener.batch(size, inferNanos, engine);
        sizes.incrementAndGet(Math.min(size, sizes.length() - 1));
        batches.increment();
        frames.add(size);
        inferenceNanos.add(inferNanos);
        queueNanos.add(waitedNanosTotal);
    }

    void dropped() {
        dropped.increment();
    }

    public long batches() {
        return batches.sum();
    }

    public long frames() {
        return frames.sum();
    }

    public long droppedFrames() {
        return dropped.sum();
    }

    public double meanBatchSize() {
        final long b = batches();
        return b == 0 ? 0 : (double) frames() / b;
    }

    public double meanQueueMs() {
        final long f = frames();
        return f == 0 ? 0 : queueNanos.sum() / 1e6 / f;
    }

    public double meanInferenceMs() {
        final long b = batches();
        return b == 0 ? 0 : inferenceNanos.sum() / 1e6 / b;
    }

    /** Batches of each size, index = size. */
    public long[] sizeHistogram() {
        final long[] h = new long[sizes.length()];
        for (int i = 0; i < h.length; i++) {
            h[i] = sizes.get(i);
        }
        return h;
    }
}
