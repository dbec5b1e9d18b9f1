package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's contract: its name, refusals at load, validation, thread safety, close, profiling. */
class JavaEngineTest {
    private static final Path TINY = Path.of("models/tiny-centernet.onnx");

    /** The default cuts a batch into one chunk per thread; a set micro-batch into chunks of that many images. */
    @Test
    void aBatchIsCutIntoOneChunkPerThreadByDefault() {
        assertEquals(1, JavaEngine.Options.threads(1).chunks(8));
        assertEquals(2, new JavaEngine.Options(2, false).chunks(8));
        assertEquals(2, new JavaEngine.Options(2, false).chunks(3));
        assertEquals(1, new JavaEngine.Options(2, false).chunks(1));
        assertEquals(8, new JavaEngine.Options(1, false, 1).chunks(8));
        assertEquals(3, new JavaEngine.Options(2, false, 3).chunks(8));
        assertThrows(IllegalArgumentException.class, () -> new JavaEngine.Options(1, false, -1));
    }

    @Test
    void unsupportedOperatorIsRefusedAtLoadNamingTheNode() {
        final TestModels m = new TestModels(1, 3, 4, 4);
        final String y = m.node("Det", List.of("images"));
        final OnnxMl.ModelProto model = m.output(y).build();
        final EngineException e = assertThrows(EngineException.class,
            () -> JavaEngine.load(model, JavaEngine.Options.threads(1)));
        assertEquals(EngineException.Kind.UNSUPPORTED, e.kind());
        assertTrue(e.getMessage().contains("det_0") && e.getMessage().contains("Det"), e.getMessage());
        assertEquals("java", e.engine());
    }

    @Test
    void everyMissingOperatorIsListedAtOnce() {
        final TestModels m = new TestModels(1, 3, 4, 4);
        final String a = m.node("Det", List.of("images"));
        final String b = m.node("Einsum", List.of(a, m.node("Det", List.of("images"))));
        final EngineException e = assertThrows(EngineException.class,
            () -> JavaEngine.load(m.output(m.node("Relu", List.of(b))).build(), JavaEngine.Options.threads(1)));
        assertEquals(EngineException.Kind.UNSUPPORTED, e.kind());
        assertTrue(e.getMessage().contains("operators Det, Einsum are not implemented")
            && e.getMessage().contains("3 nodes"), e.getMessage());
    }

    @Test
    void unsupportedAttributeIsRefusedAtLoad() {
        final TestModels m = new TestModels(2, 3, 4, 4);
        final String y = m.node("Resize", List.of("images", "", m.floats(new float[] {1, 1, 2, 2}, 4)),
            TestModels.attr("mode", "cubic"));
        final EngineException e = assertThrows(EngineException.class,
            () -> JavaEngine.load(m.output(y).build(), JavaEngine.Options.threads(1)));
        assertEquals(EngineException.Kind.UNSUPPORTED, e.kind());
        assertTrue(e.getMessage().contains("cubic"), e.getMessage());
    }

    @Test
    void nameValidationAndClose() throws EngineException {
        final JavaEngine je = JavaEngine.load(TINY, 1);
        assertEquals("java", je.name());
        assertTrue(je.maddsPerImage() > 1_000_000);
        final EngineException wrong = assertThrows(EngineException.class, () -> je.run(Tensor.zeros(1, 3, 64, 64)));
        assertEquals(EngineException.Kind.RUN, wrong.kind());
        je.close();
        je.close();
        assertThrows(IllegalStateException.class, () -> je.run(Tensor.zeros(1, 3, 128, 128)));
    }

    @Test
    void concurrentCallsAndBatchSplittingGiveTheSameResults() throws Exception {
        final Tensor batch = TestModels.input(3, 3, 3, 128, 128);
        final Map<String, Tensor> reference;
        try (JavaEngine one = JavaEngine.load(TINY, 1)) {
            reference = one.run(batch);
        }
        try (JavaEngine two = JavaEngine.load(TINY, 2)) {
            final ExecutorService callers = Executors.newFixedThreadPool(3);
            try {
                final List<Future<Map<String, Tensor>>> results = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    results.add(callers.submit(() -> two.run(batch)));
                }
                for (final Future<Map<String, Tensor>> f : results) {
                    assertTrue(Parity.maxAbsDiff(reference, f.get()) <= 1e-6);
                }
            } finally {
                callers.shutdownNow();
            }
            final Tensor single = batch.slice0(1, 2);
            final Tensor expected = reference.get("heatmap").slice0(1, 2);
            assertTrue(Parity.maxAbsDiff(Map.of("heatmap", expected),
                Map.of("heatmap", two.run(single).get("heatmap"))) <= 1e-6);
        }
    }

    @Test
    void profilingReportsTimePerOperator() throws EngineException {
        try (JavaEngine je = JavaEngine.load(TINY, 1)) {
            je.profiling(true);
            je.run(Tensor.zeros(2, 3, 128, 128));
            final List<OpProfile.Entry> entries = je.profile();
            assertFalse(entries.isEmpty());
            assertTrue(entries.stream().anyMatch(e -> e.op().startsWith("Conv(") && e.madds() > 0), entries::toString);
            // one thread: the batch of two is one pass of two images, and the entries count images
            assertTrue(entries.stream().allMatch(e -> e.images() == 2), entries::toString);
            // by shape: the same steps, time and work, split further by the kinds' input shapes
            final List<OpProfile.Entry> byShape = je.profile(true);
            assertTrue(byShape.size() > entries.size(), byShape::toString);
            assertEquals(entries.stream().mapToLong(OpProfile.Entry::nanos).sum(),
                byShape.stream().mapToLong(OpProfile.Entry::nanos).sum());
            assertEquals(entries.stream().mapToLong(OpProfile.Entry::madds).sum(),
                byShape.stream().mapToLong(OpProfile.Entry::madds).sum());
            assertTrue(byShape.stream().allMatch(e -> e.shapes().startsWith("[")
                && entries.stream().anyMatch(k -> k.op().equals(e.op()))), byShape::toString);
            assertTrue(entries.stream().allMatch(e -> e.shapes().isEmpty()), entries::toString);
            // the convolutions saw both images at once
            assertTrue(byShape.stream().filter(e -> e.op().startsWith("Conv(")).allMatch(e -> e.shapes()
                .startsWith("[2,")), byShape::toString);
            // a batch of another size adds a plan with the same steps: images add up, steps per pass do not
            je.run(Tensor.zeros(3, 3, 128, 128));
            final List<OpProfile.Entry> twoPlans = je.profile();
            assertTrue(twoPlans.stream().allMatch(e -> e.images() == 5), twoPlans::toString);
            for (final OpProfile.Entry e : twoPlans) {
                assertEquals(entries.stream().filter(k -> k.op().equals(e.op())).findFirst().orElseThrow().steps(),
                    e.steps(), e::toString);
            }
            je.profiling(false);
        }
    }
}
