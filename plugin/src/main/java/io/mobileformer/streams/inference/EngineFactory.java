package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Creates the engines an {@code engine=} setting asks for. {@code auto} returns every engine that loads, best first
 * (CUDA, ONNX Runtime CPU, pure Java), wrapped in a {@link FailoverEngine}; a pinned engine that cannot load is an
 * error at start, with the reason.
 */
public final class EngineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(EngineFactory.class);

    /** Engine settings. */
    public record Settings(String engine, int threads, OrtEngine.Cuda cuda) {
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
        final List<Builder> order = List.of((m, st) -> OrtEngine.cuda(m, st.threads(), st.cuda()),
            (m, st) -> OrtEngine.cpu(m, st.threads()), EngineFactory::javaEngine);
        EngineException last = null;
        for (final Builder b : order) {
            try {
                engines.add(b.build(model, s));
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
        if (engines.isEmpty()) {
            throw new EngineException(EngineException.Kind.UNAVAILABLE, "auto", "no engine could load " + model
                + ": " + skipped, last);
        }
        LOG.info("engines for {}: {}", model.getFileName(), engines.stream().map(Engine::name).toList());
        return new FailoverEngine(engines);
    }

    static Engine javaEngine(final Path model, final Settings s) throws EngineException {
        return JavaEngine.load(model, s.threads());
    }
}
