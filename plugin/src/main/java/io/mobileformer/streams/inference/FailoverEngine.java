package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * Engines in order of preference. A batch runs on the first live engine; if it throws, that engine is retired (one
 * log line, one count) and the same batch is retried on the next, so no frame is lost to an engine fault. Only when
 * every engine has failed does {@link #run} throw.
 */
public final class FailoverEngine implements Engine {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverEngine.class);

    private final List<Engine> live;
    private final List<EngineCalibration.Measurement> calibration;
    private final LongAdder retired = new LongAdder();

    public FailoverEngine(final List<Engine> engines) {
        this(engines, List.of());
    }

    /** @param calibration what {@code engine=auto} measured, in the order of {@code engines}; empty if not measured */
    public FailoverEngine(final List<Engine> engines, final List<EngineCalibration.Measurement> calibration) {
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("no engines");
        }
        this.live = new CopyOnWriteArrayList<>(engines);
        this.calibration = List.copyOf(calibration);
    }

    /**
     * What the start-up calibration measured, fastest first (the order the engines were put in); empty when the order
     * was not measured. The hook for an engine-choice metric: a gauge per engine of its {@code imagesPerSecond}.
     */
    public List<EngineCalibration.Measurement> calibration() {
        return calibration;
    }

    @Override
    public String name() {
        final List<Engine> l = live;
        return l.isEmpty() ? "none" : l.get(0).name();
    }

    /** Engines still in use, best first. */
    public List<String> liveEngines() {
        return live.stream().map(Engine::name).toList();
    }

    /** How many engines have been retired since start. */
    public long retiredCount() {
        return retired.sum();
    }

    @Override
    public Map<String, Tensor> run(final Tensor images) throws EngineException {
        return runTagged(images).outputs();
    }

    @Override
    public Result runTagged(final Tensor images) throws EngineException {
        EngineException last = null;
        for (final Engine e : live) {
            try {
                return e.runTagged(images);
            } catch (final EngineException | RuntimeException ex) {
                last = ex instanceof EngineException ee ? ee
                    : new EngineException(EngineException.Kind.RUN, e.name(), ex.toString(), ex);
                retire(e, ex);
            }
        }
        throw new EngineException(EngineException.Kind.RUN, "failover", "every engine failed; last: "
            + (last == null ? "no engine left" : last.getMessage()), last);
    }

    private void retire(final Engine e, final Throwable cause) {
        if (live.remove(e)) {
            retired.increment();
            LOG.error("engine {} retired after a failed batch ({}); continuing on {}", e.name(), cause.toString(),
                liveEngines());
            try {
                e.close();
            } catch (final RuntimeException closeFailure) {
                LOG.warn("closing retired engine {} failed: {}", e.name(), closeFailure.toString());
            }
        }
    }

    @Override
    public void close() {
        for (final Engine e : live) {
            e.close();
        }
        live.clear();
    }
}
