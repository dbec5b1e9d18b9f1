package io.mobileformer.streams.batch;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.decode.DecodedFrame;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * What a stream thread calls to detect: frames in, one result per frame out, in order. The call blocks until every
 * result is back, so nothing is in flight when Kafka Streams commits (exactly-once needs no extra machinery).
 */
public interface FrameDetector extends AutoCloseable {

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
