package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JavaEngine#run(Map)}: named inputs of several element types and shapes, integer inputs bound per value,
 * declared output types, validation before running, and the conformance comparison itself.
 */
class GeneralInputsTest {
    private static final int INT64 = OnnxMl.TensorProto.DataType.INT64_VALUE;
    private static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT_VALUE;

    /** {@code Reshape(images + bias, shape)}: a float input per call, a float input of its own shape, an int64 one. */
    private static OnnxMl.ModelProto model() {
        final TestModels m = new TestModels(5, 3, 4).input("bias", FLOAT, 4).input("shape", INT64, 2);
        final String sum = m.node("Add", List.of("images", "bias"));
        return m.output(m.node("Reshape", List.of(sum, "shape"))).build();
    }

    private static Tensor shape(final long... v) {
        return Tensor.of(Tensor.Type.INT64, v, v.length);
    }

    @Test
    void namedInputsOfEveryKindAndIntegerInputsSpecializeByValue() throws EngineException {
        try (JavaEngine je = JavaEngine.load(model(), JavaEngine.Options.threads(1))) {
            assertEquals(List.of("images", "bias", "shape"), je.inputs().stream().map(i -> i.name()).toList());
            final Tensor images = TestModels.input(1, 2, 3, 4);
            final Tensor bias = new Tensor(new float[] {1, 2, 3, 4}, 4);
            for (final long[] target : new long[][] {{2, 12}, {6, 4}, {-1, 3}}) {
                final Tensor out = je.run(Map.of("images", images, "bias", bias, "shape", shape(target)))
                    .values().iterator().next();
                final int[] want = target[0] == -1 ? new int[] {8, 3} : new int[] {(int) target[0], (int) target[1]};
                assertArrayEquals(want, out.shape());
                for (int i = 0; i < out.size(); i++) {
                    assertEquals(images.data()[i] + bias.data()[i % 4], out.data()[i], 0f, "element " + i);
                }
            }
        }
    }

    @Test
    void inputsAreValidatedBeforeRunningAndTheImageEntryPointSaysWhy() throws EngineException {
        try (JavaEngine je = JavaEngine.load(model(), JavaEngine.Options.threads(1))) {
            final Tensor images = TestModels.input(1, 2, 3, 4);
            final Tensor bias = new Tensor(new float[4], 4);
            final EngineException missing = assertThrows(EngineException.class,
                () -> je.run(Map.of("images", images, "bias", bias)));
            assertTrue(missing.getMessage().contains("[images, bias, shape]"), missing.getMessage());
            final EngineException type = assertThrows(EngineException.class,
                () -> je.run(Map.of("images", images, "bias", bias, "shape", new Tensor(new float[] {2, 12}, 2))));
            assertTrue(type.getMessage().contains("'shape' is FLOAT32"), type.getMessage());
            final EngineException dims = assertThrows(EngineException.class,
                () -> je.run(Map.of("images", images, "bias", new Tensor(new float[5], 5), "shape", shape(2, 12))));
            assertTrue(dims.getMessage().contains("'bias' has shape [5]"), dims.getMessage());
            final EngineException image = assertThrows(EngineException.class, () -> je.run(images));
            assertEquals(EngineException.Kind.RUN, image.kind());
            assertTrue(image.getMessage().contains("run(Map)"), image.getMessage());
        }
    }

    @Test
    void theImageModelRunsThroughTheGeneralEntryPointToo() throws EngineException {
        try (JavaEngine je = JavaEngine.load(Path.of("models/tiny-centernet.onnx"), 1)) {
            final Tensor images = TestModels.input(3, 2, 3, 128, 128);
            final Map<String, Tensor> a = je.run(images);
            final Map<String, Tensor> b = je.run(Map.of(je.inputs().get(0).name(), images));
            assertEquals(0.0, Parity.maxAbsDiff(a, b));
        }
    }

    @Test
    void integerOutputsComeBackInTheDeclaredType() throws EngineException {
        // Reshape of an int64 input is folded to a constant output; the declared int64 type must survive
        final TestModels m = new TestModels(6, 2).input("ids", INT64, 4);
        final String y = m.node("Reshape", List.of("ids", m.longs(new long[] {2, 2}, 2)));
        final OnnxMl.ModelProto built = m.output(y).build();
        final OnnxMl.ModelProto typed = built.toBuilder().setGraph(built.getGraph().toBuilder().setOutput(0,
            built.getGraph().getOutput(0).toBuilder().setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                OnnxMl.TypeProto.Tensor.newBuilder().setElemType(INT64))))).build();
        try (JavaEngine je = JavaEngine.load(typed, JavaEngine.Options.threads(1))) {
            final Tensor out = je.run(Map.of("images", Tensor.zeros(1, 2),
                "ids", Tensor.of(Tensor.Type.INT64, new long[] {7, -3, 16_000_001, 0}, 4))).get(y);
            assertEquals(Tensor.Type.INT64, out.type());
            assertArrayEquals(new int[] {2, 2}, out.shape());
            assertArrayEquals(new long[] {7, -3, 16_000_001, 0}, out.longs().orElseThrow());
        }
    }

    @Test
    void theConformanceComparisonCatchesWhatItShould() {
        final Map<String, Tensor> want = Map.of("y", new Tensor(new float[] {1000f, 1e-9f, Float.NaN}, 3));
        assertNull(OnnxConformanceTest.compare(want, Map.of("y", new Tensor(new float[] {1000.9f, 1e-9f,
            Float.NaN}, 3))));
        // rtol 1e-3 of 1000 is 1: 1001.5 is out; atol 1e-7 alone: 3e-7 against 1e-9 is out; NaN must stay NaN
        assertTrue(OnnxConformanceTest.compare(want, Map.of("y", new Tensor(new float[] {1001.5f, 1e-9f,
            Float.NaN}, 3))).contains("[0]"));
        assertTrue(OnnxConformanceTest.compare(want, Map.of("y", new Tensor(new float[] {1000f, 3e-7f,
            Float.NaN}, 3))).contains("[1]"));
        assertTrue(OnnxConformanceTest.compare(want, Map.of("y", new Tensor(new float[] {1000f, 1e-9f, 0f}, 3)))
            .contains("[2]"));
        assertTrue(OnnxConformanceTest.compare(want, Map.of("y", new Tensor(new float[] {1000f, 1e-9f}, 1, 2)))
            .contains("shape"));
        final Map<String, Tensor> ints = Map.of("i", Tensor.of(Tensor.Type.INT64, new long[] {3}, 1));
        assertTrue(OnnxConformanceTest.compare(ints, Map.of("i", Tensor.of(Tensor.Type.INT64, new long[] {4}, 1)))
            .contains("expected 3"));
    }

    /**
     * PyTorch's {@code x.view(x.size(0), -1)} under a dynamic batch: Shape, Gather, Unsqueeze, Concat, Reshape. The
     * engine folds the shape arithmetic once per batch size; each batch must match ONNX Runtime, and the batch-2 plan
     * must not leak into batch 3.
     */
    @Test
    void shapeArithmeticUnderADynamicBatchFoldsPerBatchSize() throws EngineException {
        final TestModels m = new TestModels(8, 3, 4, 5);
        final String shape = m.node("Shape", List.of("images"));
        final String n = m.node("Gather", List.of(shape, m.longs(new long[] {0})), TestModels.attr("axis", 0L));
        final String n1 = m.node("Unsqueeze", List.of(n, m.longs(new long[] {0}, 1)));
        final String target = m.node("Concat", List.of(n1, m.longs(new long[] {-1}, 1)), TestModels.attr("axis", 0L));
        final String flat = m.node("Reshape", List.of(m.node("Relu", List.of("images")), target));
        // and a broadcast the shape drives: Expand of a per-feature constant to [N, 60], through Cast
        final String ones = m.node("ConstantOfShape", List.of(m.node("Concat", List.of(n1, m.longs(new long[] {60}, 1)),
            TestModels.attr("axis", 0L))));
        final String y = m.node("Add", List.of(flat, m.node("Expand", List.of(m.node("Cast",
            List.of(m.weights(1f, 60)), TestModels.attr("to", 1L)), m.node("Shape", List.of(ones))))));
        final OnnxMl.ModelProto model = m.output(y).build();
        final Path file = TestModels.write(model);
        try (JavaEngine je = JavaEngine.load(model, JavaEngine.Options.threads(1))) {
            for (final int batch : new int[] {2, 3, 1}) {
                final Tensor images = TestModels.input(batch, batch, 3, 4, 5);
                final Map<String, Tensor> want = Parity.ort(file, images);
                final Map<String, Tensor> got = je.run(images);
                assertArrayEquals(new int[] {batch, 60}, got.get(y).shape());
                assertTrue(Parity.maxAbsDiff(want, got) <= Parity.TOLERANCE, "batch " + batch);
            }
            // the image-model accessors work on the batch-1 specialization, where the Shape nodes have folded away
            assertTrue(je.steps() > 0);
            assertTrue(je.stepLabels().stream().noneMatch(l -> l.startsWith("Shape")), je.stepLabels().toString());
        }
    }
}
