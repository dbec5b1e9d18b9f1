package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.model.OutputDecoder;

import java.util.List;

/**
 * An engine plus the model's output decoder: a batch of preprocessed images in, detections in model-input pixels out.
 * Owns the engine.
 */
public final class Detector implements AutoCloseable {

    /** Detections per image of one batch, with the engine that computed them and how long inference took. */
    public record Batch(List<List<Detection>> detections, String engine, long inferenceNanos) {
    }

    private final ModelContract contract;
    private final Engine engine;
    private final OutputDecoder decoder;

    public Detector(final ModelContract contract, final Engine engine, final float scoreThreshold,
                    final int maxDetections) {
        this.contract = contract;
        this.engine = engine;
        this.decoder = OutputDecoder.forContract(contract, scoreThreshold, maxDetections);
    }

    public ModelContract contract() {
        return contract;
    }

    public String engineName() {
        return engine.name();
    }

    /** @param images {@code [N, 3, H, W]} */
    public Batch detect(final Tensor images) throws EngineException {
        final long t0 = System.nanoTime();
        final Engine.Result r = engine.runTagged(images);
        final long t1 = System.nanoTime();
        return new Batch(decoder.decode(r.outputs()), r.engine(), t1 - t0);
    }

    @Override
    public void close() {
        engine.close();
    }
}
