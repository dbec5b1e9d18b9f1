package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.model.ModelContract;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Creates the engines an {@code engine=} setting asks for. {@code auto} loads every engine it can (CUDA, ONNX Runtime
 * CPU, pure Java), measures them on the model at the configured batch size ({@link EngineCalibration}) and returns
 * them fastest first in a {@link FailoverEngine}: the fastest is primary, the others are failover in order of speed.
 * A pinned engine stays pinned and is not measured; one that cannot load is an error at start, with the reason.
 */
public final class EngineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(EngineFactory.class);

    /**
     * Engine settings.
     *
     * @param batch             the batch size {@code auto} measures at (the configured largest batch)
     * @param calibrationMillis how long {@code auto} may measure in all; 0 keeps the static order CUDA, CPU, Java
     */
    public record Settings(String engine, int threads, OrtEngine.Cuda cuda, int batch, long calibrationMillis) {
        /** Calibration at batch 8 for up to 2 s: the defaults of {@code batch.max-size} and {@code engine.calibration-ms}. */
        public Settings(final String engine, final int threads, final OrtEngine.Cuda cuda) {
            this(engine, threads, cuda, 8, 2000);
        }
    }

    /** A way to build one engine kind. */
    @FunctionalInterface
    public interface Builder {
        Engine build(Path model, Settings s) throws EngineException;
    }

    private EngineFactory() {
    }

    public static Engine create(final Path model, final Settings s) throws EngineException {
        final String which = s.engine().toLowerCase(Locale.ROOT);
        switch (which) {
            case "cuda":
                return OrtEngine.cuda(model, s.threads(), s.cuda());
            case "cpu":
                return OrtEngine.cpu(model, s.threads());
            case "java":
                return javaEngine(model, s);
            case "auto":
                return auto(model, s);
            default:
                throw new IllegalArgumentException("engine '" + s.engine() + "' is not one of auto, cuda, cpu, java");
        }
    }

    private static Engine auto(final Path model, final Settings s) throws EngineException {
        final List<Engine> engines = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();
        // without CUDA settings there is no CUDA engine to try (OrtEngine.cuda would refuse them)
        final List<Builder> order = new ArrayList<>();
        if (s.cuda() != null) {
            order.add((m, st) -> OrtEngine.cuda(m, st.threads(), st.cuda()));
        }
        order.add((m, st) -> OrtEngine.cpu(m, st.threads()));
        order.add(EngineFactory::javaEngine);
        // the Java engine loads on a thread of its own while ONNX Runtime's sessions are created on this one (0.98 s
        // and 0.48 s one after the other for the demo model): auto's loading measured 1.42-1.51 -> 1.19-1.36 s on the
        // 2-core machine, where the JIT's compiler threads take the rest of the second core
        final FutureTask<Engine> javaLoad = new FutureTask<>(() -> order.get(order.size() - 1).build(model, s));
        final Thread loader = new Thread(javaLoad, "mfs-engine-load");
        loader.setDaemon(true);
        loader.start();
        EngineException last = null;
        boolean loaded = false;
        try {
            for (int i = 0; i < order.size(); i++) {
                try {
                    engines.add(i < order.size() - 1 ? order.get(i).build(model, s) : joined(javaLoad));
                } catch (final EngineException e) {
                    skipped.add(e.getMessage());
                    last = e;
                    if (e.kind() == EngineException.Kind.UNSUPPORTED || e.kind() == EngineException.Kind.LOAD) {
                        LOG.warn("engine not used: {}", e.getMessage());
                    } else {
                        LOG.info("engine not available: {}", e.getMessage());
                    }
                }
            }
            loaded = true;
        } finally {
            if (!loaded) {
                // a builder threw something unexpected: close what was built, the Java engine whenever it arrives
                engines.forEach(Engine::close);
                abandon(javaLoad);
            }
        }
        if (engines.isEmpty()) {
            throw new EngineException(EngineException.Kind.UNAVAILABLE, "auto", "no engine could load " + model
                + ": " + skipped, last);
        }
        if (engines.size() == 1 || s.calibrationMillis() <= 0) {
            LOG.info("engines for {}: {} (not measured)", model.getFileName(),
                engines.stream().map(Engine::name).toList());
            return new FailoverEngine(engines);
        }
        return calibrated(model, s, engines);
    }

    /** The engine {@code load} built, or its failure as it was thrown; an interrupt closes what it built. */
    private static Engine joined(final FutureTask<Engine> load) throws EngineException {
        try {
            return load.get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon(load);
            throw new EngineException(EngineException.Kind.UNAVAILABLE, JavaEngine.NAME,
                "interrupted while the Java engine loaded", e);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof EngineException ee) {
                throw ee;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Closes the engine {@code load} builds once it is built, on a thread of its own: nobody else will. */
    private static void abandon(final FutureTask<Engine> load) {
        final Thread closer = new Thread(() -> {
            try {
                load.get().close();
            } catch (final InterruptedException | ExecutionException ignored) {
                // it failed to load (or the JVM is going down): nothing to close
            }
        }, "mfs-engine-load-abandoned");
        closer.setDaemon(true);
        closer.start();
    }

    /** Orders {@code engines} by what they measure on this model; an engine that cannot run it is closed. */
    private static Engine calibrated(final Path model, final Settings s, final List<Engine> engines) {
        final int[] hw = inputSize(model);
        final Tensor batch = calibrationBatch(Math.max(1, s.batch()), hw[0], hw[1]);
        final long t0 = System.nanoTime();
        // one intra-op thread and no GPU: every engine computes on this thread, so its CPU time is the engine's cost
        // whatever else the machine runs (ONNX Runtime's pool of one thread is the caller; so is the Java engine's).
        // A GPU works while this thread waits: then only the wall clock tells.
        final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        final boolean cpuTime = s.threads() == 1 && mx.isCurrentThreadCpuTimeSupported()
            && engines.stream().noneMatch(e -> e.name().equals(OrtEngine.CUDA_NAME));
        // the budget in the same clock: on an idle machine the same 2 s; on a busy one the engines still get 2 s of
        // computing, which the Java engine's JIT needs before its batches show its speed (MAX_ROUNDS still bounds it)
        final java.util.function.LongSupplier clock = cpuTime ? mx::getCurrentThreadCpuTime : System::nanoTime;
        // the JIT's total compile time: past the budget, rounds go on while it still grows (bounded as before)
        final java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory
            .getCompilationMXBean();
        final java.util.function.LongSupplier jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported()
            ? jit::getTotalCompilationTime : () -> 0;
        final List<EngineCalibration.Measurement> measured = EngineCalibration.measure(engines, batch,
            s.calibrationMillis() * 1_000_000L, clock, clock, jitMillis);
        final long tookMs = (System.nanoTime() - t0) / 1_000_000L;
        final List<Integer> order = EngineCalibration.order(measured);
        final List<Engine> ordered = new ArrayList<>();
        order.forEach(i -> ordered.add(engines.get(i)));
        for (int i = 0; i < engines.size(); i++) {
            if (!order.contains(i)) {
                LOG.warn("engine {} not used: it could not run {} at batch {}: {}", engines.get(i).name(),
                    model.getFileName(), s.batch(), measured.get(i).failure());
                engines.get(i).close();
            }
        }
        final List<EngineCalibration.Measurement> ranked = order.stream().map(measured::get).toList();
        if (ordered.isEmpty()) {
            throw new IllegalStateException("no engine could run " + model + ": " + measured);
        }
        LOG.info("engine=auto chose {} for {} at batch {} by measurement ({}) in {} ms: {}", ordered.get(0).name(),
            model.getFileName(), s.batch(), cpuTime ? "thread CPU time" : "wall time", tookMs, ranked);
        return new FailoverEngine(ordered, ranked);
    }

    /** The model's input height and width, from its contract or, without one, its declared input shape. */
    private static int[] inputSize(final Path model) {
        try {
            final ModelContract c = ModelContract.load(model);
            return new int[] {c.inputHeight(), c.inputWidth()};
        } catch (final java.io.IOException e) {
            throw new IllegalStateException("cannot read the input size of " + model + " for calibration: "
                + e.getMessage(), e);
        }
    }

    /** A fixed pseudo-random batch: every engine sees the same values (zeros could take fast paths). */
    static Tensor calibrationBatch(final int n, final int h, final int w) {
        final float[] data = new float[n * 3 * h * w];
        final java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return new Tensor(data, n, 3, h, w);
    }

    static Engine javaEngine(final Path model, final Settings s) throws EngineException {
        return JavaEngine.load(model, s.threads());
    }
}
