package io.mobileformer.streams.batch;

import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.inference.EngineException;

import java.util.List;

/**
 * What a stream thread calls to detect: frames in, one result per frame out, in order. The call blocks until every
 * result is back, so nothing is in flight when Kafka Streams commits (exactly-once needs no extra machinery).
 */
public interface FrameDetector extends AutoCloseable {

    List<FrameResult> detect(List<DecodedFrame> frames) throws EngineException, InterruptedException;

    @Override
    void close();
}
