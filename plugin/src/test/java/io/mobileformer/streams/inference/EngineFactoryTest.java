package io.mobileformer.streams.inference;

import io.mobileformer.engine.Engine;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Real ONNX Runtime sessions and the Java engine on the tiny model. */
class EngineFactoryTest {
    private static final Path MODEL = Path.of("models/tiny-centernet.onnx");

    /**
     * Without CUDA settings, auto loads ONNX Runtime CPU and the Java engine once each. It used to try the CUDA
     * builder with null settings, which built a second CPU session: two ort-cpu engines measured and kept.
     */
    @Test
    void autoWithoutCudaSettingsLoadsEachEngineOnce() throws Exception {
        try (Engine e = EngineFactory.create(MODEL, new EngineFactory.Settings("auto", 1, null, 2, 200))) {
            final FailoverEngine f = assertInstanceOf(FailoverEngine.class, e);
            assertEquals(List.of("java", "ort-cpu"), f.liveEngines().stream().sorted().toList());
            assertEquals(2, f.calibration().size());
        }
    }

    @Test
    void cudaWithoutSettingsIsRefusedNotBuiltOnTheCpu() {
        assertThrows(NullPointerException.class, () -> OrtEngine.cuda(MODEL, 1, null));
    }
}
