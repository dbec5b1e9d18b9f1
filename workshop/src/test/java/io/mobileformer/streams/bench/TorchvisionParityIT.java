package io.mobileformer.streams.bench;

import io.mobileformer.engine.JavaEngine;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.inference.OrtEngine;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 19's parity beyond our own models: torchvision's MobileNetV3-small and ResNet-18 (random weights, exported by
 * Debian's PyTorch) give the same logits on the Java engine as on ONNX Runtime, within 1e-4. Skipped with the reason
 * where {@code -Dmfs.skipPython=true} is set or {@code /usr/bin/python3} cannot import torchvision
 * ({@code training/install-deps.sh} installs it; the build runs it).
 */
class TorchvisionParityIT {

    private static boolean torchvisionAvailable() throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/python3"))) {
            return false;
        }
        final Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, torchvision, onnx")
            .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    @Test
    void javaEngineMatchesOnnxRuntimeOnTorchvisionExports() throws Exception {
        assumeTrue(!Boolean.getBoolean("mfs.skipPython"), "-Dmfs.skipPython=true: torchvision exports skipped");
        assumeTrue(torchvisionAvailable(), "/usr/bin/python3 cannot import torch, torchvision and onnx "
            + "(training/install-deps.sh installs Debian's packages)");
        final List<Path> models = TorchvisionModels.export(Path.of("target/torchvision"));
        final Tensor batch = TorchvisionModels.batch(2, 5);
        for (final Path m : models) {
            try (OrtEngine ort = OrtEngine.cpu(m, 1); JavaEngine java = JavaEngine.load(m, 1)) {
                final float[] logits = ort.run(batch).values().iterator().next().data();
                double magnitude = 0;
                for (final float v : logits) {
                    magnitude = Math.max(magnitude, Math.abs(v));
                }
                // logits near zero would agree on any engine: the export redraws weights so they are not
                assertTrue(magnitude > 0.05, m.getFileName() + ": max |logit| only " + magnitude);
                final double diff = TorchvisionModels.maxAbsDiff(ort, java, batch);
                System.out.printf("%s max_abs_diff=%.3g max_abs_logit=%.3g%n", m.getFileName(), diff, magnitude);
                assertTrue(diff <= 1e-4, m.getFileName() + ": max abs diff " + diff + " > 1e-4");
            }
        }
    }
}
