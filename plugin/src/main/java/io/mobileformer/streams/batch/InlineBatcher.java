package io.mobileformer.streams.batch;

import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.model.Detection;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the caller's frames on the detector in the caller's thread, in chunks of at most {@code maxBatch}: batches form
 * only from the frames of one record. The baseline the {@link DynamicBatcher} is measured against, and the choice for
 * a single stream thread.
 */
public final class InlineBatcher implements Batcher {
    private final Detector detector;
    private final int maxBatch;

    public InlineBatcher(final Detector detector, final int maxBatch) {
        this.detector = detector;
        this.maxBatch = maxBatch;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public List<FrameResult> detect(final List<DecodedFrame> frames) throws EngineException {
        final List<FrameResult> out = new ArrayList<>(frames.size());
        for (int from = 0; from < frames.size(); from += maxBatch) {
            final List<DecodedFrame> chunk = frames.subList(from, Math.min(frames.size(), from + maxBatch));
            out.addAll(run(detector, chunk, 0f));
        }
        return out;
    }

    /** Stacks frames into one tensor, runs it, maps boxes back to each frame's source pixels. */
    static List<FrameResult> run(final Detector detector, final List<DecodedFrame> frames, final float queueMs)
        throws EngineException {
        final int per = frames.get(0).input().length;
        final float[] data = new float[per * frames.size()];
        for (int i = 0; i < frames.size(); i++) {
            System.arraycopy(frames.get(i).input(), 0, data, i * per, per);
        }
        final int w = detector.contract().inputWidth();
        final int h = detector.contract().inputHeight();
        final Detector.Batch batch = detector.detect(new Tensor(data, frames.size(), 3, h, w));
        final float inferMs = batch.inferenceNanos() / 1e6f;
        final List<FrameResult> out = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            final List<Detection> dets = new ArrayList<>();
            for (final Detection d : batch.detections().get(i)) {
                dets.add(frames.get(i).geometry().toSource(d));
            }
            out.add(new FrameResult(dets, batch.engine(), queueMs, inferMs));
        }
        return out;
    }

    @Override
    public void close() {
        detector.close();
    }
}
