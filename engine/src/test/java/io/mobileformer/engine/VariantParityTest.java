package io.mobileformer.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * All seven paper variants with the CenterNet head, and two with the DETR head, exported at 128x128 (the network
 * is resolution-agnostic and 128 keeps the whole package under a few minutes on two cores), against ONNX Runtime CPU.
 * Small variants run a batch of 2, the large ones 1; two cases run two threads: one covers the batch split, the
 * other (batch 1) the split inside each large kernel (column chunks of products and convolutions).
 */
class VariantParityTest {

    @ParameterizedTest(name = "{0} {1} batch {2} threads {3}")
    @CsvSource({
        "26m, centernet, 2, 1",
        "52m, centernet, 2, 2",
        "96m, centernet, 2, 1",
        "96m, centernet, 1, 2",
        "151m, centernet, 1, 1",
        "214m, centernet, 1, 1",
        "294m, centernet, 1, 1",
        "508m, centernet, 1, 1",
        "52m, detr, 2, 1",
        "294m, detr, 1, 1"})
    void matchesOnnxRuntime(final String variant, final String head, final int batch, final int threads)
        throws IOException, EngineException {
        final int input = 128;
        final Path model = VariantExports.export(variant, head, input);
        final Tensor images = TestModels.input(variant.hashCode(), batch, 3, input, input);
        final Map<String, Tensor> expected = Parity.ort(model, images);
        final Map<String, Tensor> actual;
        // one thread: the whole batch in one pass; two threads: single-image passes split over the threads
        final JavaEngine.Options options = new JavaEngine.Options(threads, JavaEngine.Options.threads(1).vector(),
            threads == 1 ? batch : 1);
        try (JavaEngine je = JavaEngine.load(model, options)) {
            actual = je.run(images);
        }
        final double diff = Parity.maxAbsDiff(expected, actual);
        assertTrue(diff <= Parity.TOLERANCE, variant + " " + head + ": max abs diff " + diff);
    }
}
