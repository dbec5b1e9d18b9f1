package io.mobileformer.streams.batch;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.decode.DecodedFrame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The frames of one record on their way to a {@link Batcher}, added one at a time as they are decoded. The
 * submission hands them over a full batch ({@link Batcher#maxBatch()}) at a time, so decoding the next frames overlaps
 * the inference of these; the caller never cuts frames into batches itself.
 *
 * <p>Not thread-safe: one stream thread owns a submission for the duration of one record, and must call
 * {@link #awaitAll()} before the record is done (even when decoding failed part way), so nothing is in flight at a
 * commit.
 */
public final class Submission {
    private final Batcher batcher;
    private final List<DecodedFrame> frames = new ArrayList<>();
    private final List<CompletableFuture<FrameResult>> results = new ArrayList<>();
    private int handedOver;

    Submission(final Batcher batcher) {
        this.batcher = batcher;
    }

    /** Adds the next frame; hands a batch over when a full one is held. Blocks under backpressure. */
    public void add(final DecodedFrame frame) throws InterruptedException {
        frames.add(frame);
        if (frames.size() - handedOver == batcher.maxBatch()) {
            flush();
        }
    }

    /** Hands over the frames still held (the last, partial batch of the record). */
    public void flush() throws InterruptedException {
        if (handedOver < frames.size()) {
            results.addAll(batcher.submit(frames.subList(handedOver, frames.size())));
            handedOver = frames.size();
        }
    }

    /** Waits until every frame handed over has its result or failure; returns the nanoseconds waited. */
    public long awaitAll() {
        final long t0 = System.nanoTime();
        for (final CompletableFuture<FrameResult> r : results) {
            try {
                r.join();
            } catch (final RuntimeException ignored) {
                // reported by result(i)
            }
        }
        return System.nanoTime() - t0;
    }

    /** The frames added, in order. */
    public List<DecodedFrame> frames() {
        return frames;
    }

    /** The result of the {@code i}-th frame; throws the engine failure of its batch. */
    public FrameResult result(final int i) throws EngineException, InterruptedException {
        return Batcher.await(results.get(i));
    }
}
