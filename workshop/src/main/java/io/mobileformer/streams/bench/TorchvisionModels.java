package io.mobileformer.streams.bench;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Standard architectures from Debian's {@code python3-torchvision} (random weights, opset 17, input {@code images}
 * {@code [N,3,224,224]}), exported by {@code scripts/torchvision/export.py}: the Java engine's parity beyond our own
 * models. {@code training/install-deps.sh} installs torchvision on a fresh machine.
 */
public final class TorchvisionModels {
    /** The exports, in the order {@code export.py} writes them. */
    public static final List<String> NAMES = List.of("mobilenet_v3_small", "resnet18");

    private TorchvisionModels() {
    }

    /**
     * The exported files in {@code dir}, exporting them first when any is missing (Debian's {@code /usr/bin/python3};
     * ~15 s on two cores).
     */
    public static List<Path> export(final Path dir) throws IOException, InterruptedException {
        final List<Path> files = NAMES.stream().map(n -> dir.resolve(n + ".onnx")).toList();
        if (files.stream().allMatch(Files::isRegularFile)) {
            return files;
        }
        Files.createDirectories(dir);
        final Path script = Path.of("scripts/torchvision/export.py").toAbsolutePath();
        final Process p = new ProcessBuilder("/usr/bin/python3", script.toString()).directory(dir.toFile())
            .redirectErrorStream(true).start();
        final String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("scripts/torchvision/export.py failed (Debian's python3-torchvision installed? "
                + "training/install-deps.sh installs it):\n" + log);
        }
        return files;
    }

    /** A seeded standard-normal batch of {@code n} 224x224 images. */
    public static Tensor batch(final int n, final long seed) {
        final java.util.Random r = new java.util.Random(seed);
        final float[] x = new float[n * 3 * 224 * 224];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return new Tensor(x, n, 3, 224, 224);
    }

    /** The largest absolute difference between two engines' outputs on {@code images}, over every output. */
    public static double maxAbsDiff(final Engine a, final Engine b, final Tensor images) throws EngineException {
        final Map<String, Tensor> x = a.run(images);
        final Map<String, Tensor> y = b.run(images);
        double worst = 0;
        for (final Map.Entry<String, Tensor> e : x.entrySet()) {
            final Tensor other = y.get(e.getKey());
            if (other == null || !java.util.Arrays.equals(other.shape(), e.getValue().shape())) {
                return Double.POSITIVE_INFINITY;
            }
            final float[] u = e.getValue().data();
            final float[] v = other.data();
            for (int i = 0; i < u.length; i++) {
                worst = Math.max(worst, Math.abs((double) u[i] - v[i]));
            }
        }
        return worst;
    }
}
