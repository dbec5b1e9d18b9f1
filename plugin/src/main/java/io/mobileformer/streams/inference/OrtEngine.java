package io.mobileformer.streams.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime, on CPU or CUDA. One session serves every thread (sessions are thread-safe); tensors created per call
 * are closed before {@link #run} returns, so no native memory outlives a batch.
 *
 * <p>CUDA is probed by trying to add the provider, not by {@code getAvailableProviders()}: the latter lists CUDA for
 * the GPU jar even where the CUDA libraries cannot load.
 */
public final class OrtEngine implements Engine {

    /** CUDA settings; {@code memoryLimitBytes = 0} means no limit. */
    /** The names this engine reports: recorded in every output record. */
    public static final String CPU_NAME = "ort-cpu";
    public static final String CUDA_NAME = "ort-cuda";

    public record Cuda(int deviceId, long memoryLimitBytes, String arenaStrategy) {
        public static Cuda defaults() {
            return new Cuda(0, 0, "kNextPowerOfTwo");
        }
    }

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final String name;
    private volatile boolean closed;

    private OrtEngine(final OrtEnvironment env, final OrtSession.SessionOptions options, final OrtSession session,
                      final String name) {
        this.env = env;
        this.options = options;
        this.session = session;
        this.name = name;
    }

    public static OrtEngine cpu(final Path model, final int intraOpThreads) throws EngineException {
        return create(model, intraOpThreads, null);
    }

    public static OrtEngine cuda(final Path model, final int intraOpThreads, final Cuda cuda) throws EngineException {
        // null would build a CPU session (create's CPU case): a second ort-cpu where CUDA was asked for
        return create(model, intraOpThreads, java.util.Objects.requireNonNull(cuda, "cuda settings"));
    }

    private static OrtEngine create(final Path model, final int threads, final Cuda cuda) throws EngineException {
        final String engineName = cuda == null ? CPU_NAME : CUDA_NAME;
        final OrtEnvironment env;
        try {
            env = OrtEnvironment.getEnvironment();
        } catch (final Throwable t) {   // UnsatisfiedLinkError and friends: the native library did not load
            throw new EngineException(EngineException.Kind.UNAVAILABLE, engineName,
                "ONNX Runtime native library did not load: " + t, t);
        }
        OrtSession.SessionOptions opts = null;
        try {
            opts = new OrtSession.SessionOptions();
            opts.setIntraOpNumThreads(Math.max(1, threads));
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (cuda != null) {
                try (OrtCUDAProviderOptions co = new OrtCUDAProviderOptions(cuda.deviceId())) {
                    if (cuda.memoryLimitBytes() > 0) {
                        co.add("gpu_mem_limit", Long.toString(cuda.memoryLimitBytes()));
                    }
                    co.add("arena_extend_strategy", cuda.arenaStrategy());
                    opts.addCUDA(co);
                } catch (final OrtException | RuntimeException | LinkageError e) {
                    throw new EngineException(EngineException.Kind.UNAVAILABLE, engineName,
                        "CUDA execution provider could not be added (no GPU, no CUDA/cuDNN libraries, or the CPU-only "
                            + "onnxruntime jar; build with -Pgpu): " + e.getMessage(), e);
                }
            }
            final OrtSession session = env.createSession(model.toString(), opts);
            return new OrtEngine(env, opts, session, engineName);
        } catch (final OrtException e) {
            if (opts != null) {
                opts.close();
            }
            throw new EngineException(EngineException.Kind.LOAD, engineName, "cannot load " + model + ": "
                + e.getMessage(), e);
        } catch (final EngineException e) {
            opts.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Map<String, Tensor> run(final Tensor images) throws EngineException {
        if (closed) {
            throw new IllegalStateException("Trying to run a closed " + name + " engine.");
        }
        final int[] s = images.shape();
        final long[] shape = {s[0], s[1], s[2], s[3]};
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(images.data()), shape);
             OrtSession.Result result = session.run(Map.of("images", input))) {
            final Map<String, Tensor> out = new LinkedHashMap<>();
            for (final Map.Entry<String, OnnxValue> e : result) {
                final OnnxTensor t = (OnnxTensor) e.getValue();
                final long[] ls = t.getInfo().getShape();
                final int[] is = new int[ls.length];
                for (int i = 0; i < ls.length; i++) {
                    is[i] = Math.toIntExact(ls[i]);
                }
                final FloatBuffer fb = t.getFloatBuffer();
                final float[] data = new float[fb.remaining()];
                fb.get(data);
                out.put(e.getKey(), new Tensor(data, is));
            }
            return out;
        } catch (final OrtException | RuntimeException e) {
            throw new EngineException(EngineException.Kind.RUN, name, "inference failed on a batch of " + s[0] + ": "
                + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (final OrtException e) {
            throw new IllegalStateException("closing the " + name + " session failed", e);
        } finally {
            options.close();
        }
    }
}
