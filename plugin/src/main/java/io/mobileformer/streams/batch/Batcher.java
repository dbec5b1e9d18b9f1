package io.mobileformer.streams.batch;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.decode.DecodedFrame;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * What a stream thread calls to detect: frames in, one result per frame out, in order. A batcher decides how frames
 * are grouped into batches for the {@link io.mobileformer.streams.inference.Detector}; callers hand frames over
 * through a {@link #submission()} and never cut batches themselves. Waiting for every result before a record is done
 * keeps nothing in flight when Kafka Streams commits (exactly-once needs no extra machinery).
 *
 * <p>Two kinds: {@link InlineBatcher} runs a record's frames in the caller's thread; {@link DynamicBatcher} is shared
 * by every stream thread and forms batches across them.
 */
public interface Batcher extends AutoCloseable {

    /** The largest batch this batcher sends to the detector. */
    int maxBatch();

    /** Starts handing over the frames of one record (see {@link Submission}). */
    default Submission submission() {
        return new Submission(this);
    }

    List<FrameResult> detect(List<DecodedFrame> frames) throws EngineException, InterruptedException;

    /**
     * Hands frames over and returns at once (or when the queue has room, under backpressure), so the caller can decode
     * the next frames while these wait for or run in a batch. The caller must wait for every future it got before its
     * record is done. This default runs the frames synchronously.
     */
    default List<CompletableFuture<FrameResult>> submit(final List<DecodedFrame> frames) throws InterruptedException {
        try {
            return detect(frames).stream().map(CompletableFuture::completedFuture).toList();
        } catch (final EngineException e) {
            return frames.stream().map(f -> CompletableFuture.<FrameResult>failedFuture(e)).toList();
        }
    }

    /** Waits for one result of {@link #submit}, unwrapping an engine failure. */
    static FrameResult await(final CompletableFuture<FrameResult> f) throws EngineException, InterruptedException {
        try {
            return f.get();
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof EngineException ee) {
                throw ee;
            }
            throw new IllegalStateException("batch failed", e.getCause());
        }
    }

    @Override
    void close();
}
