package io.mobileformer.streams.testing;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real engine that starts failing at its n-th batch, like a GPU hitting {@code cudaErrorIllegalAddress} under
 * sustained load. A stand-in for a fault that cannot be produced on this machine (no GPU); everything else is real.
 */
public final class FaultyEngine implements Engine {
    private final Engine delegate;
    private final int failFromBatch;
    private final AtomicInteger batches = new AtomicInteger();

    public FaultyEngine(final Engine delegate, final int failFromBatch) {
        this.delegate = delegate;
        this.failFromBatch = failFromBatch;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Map<String, Tensor> run(final Tensor images) throws EngineException {
        if (batches.incrementAndGet() >= failFromBatch) {
            throw new EngineException(EngineException.Kind.RUN, name(), "simulated device fault (illegal address)");
        }
        return delegate.run(images);
    }

    public int batches() {
        return batches.get();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
