package io.mobileformer.engine;

import java.util.Map;

/**
 * Runs one ONNX model on a batch of preprocessed images and returns its raw outputs.
 *
 * <p>An engine is created for one model file and owns whatever native or pooled memory it needs until {@link #close()}.
 * {@link #run} is safe to call from several threads at once (ONNX Runtime sessions are; the Java engine keeps per-call
 * state in per-thread buffers). Calling {@code run} after {@code close} throws {@link IllegalStateException}.
 */
public interface Engine extends AutoCloseable {

    /** {@code ort-cuda}, {@code ort-cpu} or {@code java}: recorded in every output record. */
    String name();

    /**
     * @param images {@code [N, 3, H, W]} float32, already resized and normalized per the model contract
     * @return every graph output by name, each with N as its first dimension
     * @throws EngineException with kind {@code RUN} when this batch failed; the engine may be unusable afterwards
     */
    Map<String, Tensor> run(Tensor images) throws EngineException;

    /** Raw outputs together with the name of the engine that computed them. */
    record Result(Map<String, Tensor> outputs, String engine) {
    }

    /**
     * Like {@link #run}, and says which engine computed the outputs: an engine that delegates (failover) reports the
     * one that actually ran this batch, which is what every output record must name.
     */
    default Result runTagged(final Tensor images) throws EngineException {
        return new Result(run(images), name());
    }

    @Override
    void close();
}
