package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs ONNX Runtime CPU and the Java engine on the same batch and measures how far apart they are. */
final class Parity {
    static final double TOLERANCE = 1e-4;

    private Parity() {
    }

    /** Largest absolute difference over every output; fails if names or shapes differ. */
    static double maxAbsDiff(final Map<String, Tensor> expected, final Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet(), "output names");
        double max = 0;
        for (final String name : expected.keySet()) {
            final Tensor e = expected.get(name);
            final Tensor a = actual.get(name);
            assertArrayEquals(e.shape(), a.shape(), () -> "shape of " + name);
            final float[] x = e.data();
            final float[] y = a.data();
            for (int i = 0; i < x.length; i++) {
                final double d = Math.abs((double) x[i] - y[i]);
                if (Double.isNaN(d)) {
                    throw new AssertionError(name + "[" + i + "] is NaN: " + x[i] + " vs " + y[i]);
                }
                max = Math.max(max, d);
            }
        }
        return max;
    }

    /**
     * The reference: ONNX Runtime's CPU provider on one thread, straight through its Java API (a test dependency of
     * this module only; the product's ONNX Runtime engine lives in the plugin).
     */
    static Map<String, Tensor> ort(final Path model, final Tensor input) {
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            final long[] shape = Arrays.stream(input.shape()).asLongStream().toArray();
            try (OrtSession session = env.createSession(model.toString(), options);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.data()), shape);
                 OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), in))) {
                final Map<String, Tensor> out = new LinkedHashMap<>();
                for (final Map.Entry<String, OnnxValue> e : result) {
                    final OnnxTensor t = (OnnxTensor) e.getValue();
                    final FloatBuffer b = t.getFloatBuffer();
                    final float[] data = new float[b.remaining()];
                    b.get(data);
                    out.put(e.getKey(), new Tensor(data,
                        Arrays.stream(t.getInfo().getShape()).mapToInt(Math::toIntExact).toArray()));
                }
                return out;
            }
        } catch (final OrtException e) {
            throw new AssertionError("ONNX Runtime cannot run " + model + ": " + e.getMessage(), e);
        }
    }

    static Map<String, Tensor> java(final OnnxMl.ModelProto model, final Tensor input,
                                    final JavaEngine.Options options) throws EngineException {
        try (JavaEngine je = JavaEngine.load(model, options)) {
            return je.run(input);
        }
    }

    /**
     * Both engines on {@code input}, with the vector and the scalar kernels; returns the worst difference. The whole
     * batch runs as one pass, so operators see N > 1 against tensors broadcast over the batch.
     */
    static double check(final OnnxMl.ModelProto model, final Tensor input) throws EngineException {
        final Map<String, Tensor> expected = ort(TestModels.write(model), input);
        double worst = 0;
        for (final boolean vector : new boolean[] {true, false}) {
            if (vector && !io.mobileformer.engine.kernel.Simd.available()) {
                continue;
            }
            worst = Math.max(worst, maxAbsDiff(expected, java(model, input,
                new JavaEngine.Options(1, vector, input.dim(0)))));
        }
        return worst;
    }

    static String describe(final Tensor t) {
        return Arrays.toString(t.shape());
    }
}
