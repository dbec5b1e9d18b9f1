package io.mobileformer.streams.batch;

import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.model.Detection;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the caller's frames on the detector in the caller's thread, in chunks of at most {@code maxBatch}: batches form
 * only from the frames of one record. The baseline the {@link DynamicBatcher} is measured against, and the choice for
 * a single stream thread.
 */
public final class InlineBatcher implements Batcher {
    private final Detector detector;
    private final int maxBatch;
    private final AtomicReference<float[]> spare = new AtomicReference<>();

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
            out.addAll(run(detector, chunk, 0f, spare));
        }
        return out;
    }

    /**
     * Stacks frames into one tensor, runs it, maps boxes back to each frame's source pixels.
     *
     * <p>The stacked input (6.3 MB for 8 frames of the demo model) is taken from {@code spare} and given back after
     * the run, so a saturated batcher neither zeroes nor discards one per batch: with frames decoded on the other core
     * (cold in this one's caches), stacking into a fresh array cost 1.1-1.3 ms per batch of 8 and into the kept one
     * 0.5 ms (a probe sweeping 64 MB between batches), against ~23 ms of inference on the Java engine; and it was
     * ~190 MB/s of garbage at 250 fps. Taking it with {@code getAndSet(null)} means a second caller (the close path
     * while a worker still runs) allocates its own instead of sharing one. No engine keeps its input past the call:
     * ONNX Runtime copies a heap buffer into its own tensor, the Java engine reads it in place.
     */
    static List<FrameResult> run(final Detector detector, final List<DecodedFrame> frames, final float queueMs,
                                 final AtomicReference<float[]> spare) throws EngineException {
        final int per = frames.get(0).input().length;
        float[] data = spare.getAndSet(null);
        if (data == null || data.length != per * frames.size()) {
            data = new float[per * frames.size()];
        }
        for (int i = 0; i < frames.size(); i++) {
            System.arraycopy(frames.get(i).input(), 0, data, i * per, per);
        }
        final int w = detector.contract().inputWidth();
        final int h = detector.contract().inputHeight();
        final Detector.Batch batch;
        try {
            batch = detector.detect(new Tensor(data, frames.size(), 3, h, w));
        } finally {
            spare.set(data);
        }
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
