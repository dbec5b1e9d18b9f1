package io.mobileformer.engine;

import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.model.OutputDecoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed tiny models (every block type, both formats) against ONNX Runtime CPU: raw outputs within 1e-4 and
 * the same detections after the model's {@link OutputDecoder}.
 */
class ModelParityTest {

    @ParameterizedTest(name = "{0} batch {1} threads {2} vector {3} micro-batch {4}")
    @CsvSource({
        "models/tiny-centernet.onnx, 1, 1, true, 1",
        "models/tiny-centernet.onnx, 3, 2, true, 1",
        "models/tiny-centernet.onnx, 3, 2, true, 0",
        "models/tiny-detr.onnx, 5, 1, true, 0",
        "models/tiny-centernet.onnx, 3, 1, true, 4",
        "models/tiny-centernet.onnx, 2, 1, false, 2",
        "models/tiny-detr.onnx, 1, 1, true, 1",
        "models/tiny-detr.onnx, 3, 2, true, 1",
        "models/tiny-detr.onnx, 4, 2, true, 2",
        "models/tiny-detr.onnx, 2, 1, false, 2"})
    void rawOutputsAndDetectionsMatch(final String file, final int batch, final int threads, final boolean vector,
                                      final int microBatch) throws EngineException, IOException {
        final Path model = Path.of(file);
        final ModelContract contract = ModelContract.load(model);
        final Tensor images = TestModels.input(batch * 7L, batch, 3, contract.inputHeight(), contract.inputWidth());
        final Map<String, Tensor> expected;
        try (OrtEngine ort = OrtEngine.cpu(model, 1)) {
            expected = ort.run(images);
        }
        final Map<String, Tensor> actual;
        try (JavaEngine je = JavaEngine.load(model, new JavaEngine.Options(threads,
            vector && io.mobileformer.engine.kernel.Simd.available(), microBatch))) {
            actual = je.run(images);
        }
        final double diff = Parity.maxAbsDiff(expected, actual);
        assertTrue(diff <= Parity.TOLERANCE, file + ": max abs diff " + diff);
        // a low threshold so that random weights still yield detections to compare
        final OutputDecoder decoder = OutputDecoder.forContract(contract, 0.2f, 1000);
        assertSameDetections(decoder.decode(expected), decoder.decode(actual));
    }

    /** Same count per image, and each ONNX Runtime detection has a Java twin: class, score, box within 0.5 px. */
    static void assertSameDetections(final List<List<Detection>> expected, final List<List<Detection>> actual) {
        assertEquals(expected.size(), actual.size());
        int total = 0;
        for (int i = 0; i < expected.size(); i++) {
            final List<Detection> left = new ArrayList<>(actual.get(i));
            assertEquals(expected.get(i).size(), left.size(), "detections of image " + i);
            for (final Detection e : expected.get(i)) {
                final Detection twin = left.stream().filter(a -> a.classId() == e.classId()
                    && Math.abs(a.score() - e.score()) < 1e-3 && Math.abs(a.x0() - e.x0()) <= 0.5f
                    && Math.abs(a.y0() - e.y0()) <= 0.5f && Math.abs(a.x1() - e.x1()) <= 0.5f
                    && Math.abs(a.y1() - e.y1()) <= 0.5f).findFirst().orElse(null);
                assertTrue(twin != null, "no Java detection matches " + e + " in image " + i);
                left.remove(twin);
                total++;
            }
        }
        assertFalse(total == 0, "the comparison saw no detection at all");
    }
}
