package io.mobileformer.streams.inference.java;

import ai.onnx.proto.OnnxMl;
import io.mobileformer.streams.inference.Engine;
import io.mobileformer.streams.inference.EngineException;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.inference.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
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

    static Map<String, Tensor> ort(final Path model, final Tensor input) throws EngineException {
        try (Engine ort = OrtEngine.cpu(model, 1)) {
            return ort.run(input);
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
            if (vector && !io.mobileformer.streams.inference.java.kernel.Simd.available()) {
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
