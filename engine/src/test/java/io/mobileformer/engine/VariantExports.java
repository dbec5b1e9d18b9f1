package io.mobileformer.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Exact paper variants with random weights, exported by {@code training/export.py} (Debian's torch) into
 * {@code target/variants-test/} once per build. Tests that need them are skipped, with the reason, where
 * {@code -Dmfs.skipPython=true} is set or {@code /usr/bin/python3} cannot import torch and onnx.
 */
final class VariantExports {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path DIR = Path.of("target", "variants-test");
    private static Boolean available;

    private VariantExports() {
    }

    static synchronized void assumePython() {
        assumeTrue(!Boolean.getBoolean("mfs.skipPython"), "-Dmfs.skipPython=true: exact-variant exports skipped");
        if (available == null) {
            available = Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c", "import torch, onnx"), 120)
                == 0;
        }
        assumeTrue(available, "/usr/bin/python3 cannot import torch and onnx (training/install-deps.sh installs "
            + "Debian's packages): exact-variant exports skipped");
    }

    /** The export of {@code variant} with {@code head} at {@code input x input}, made on first request. */
    static synchronized Path export(final String variant, final String head, final int input) throws IOException {
        assumePython();
        final Path out = DIR.resolve(variant + "-" + head + "-" + input + ".onnx");
        if (Files.isRegularFile(out)) {
            return out;
        }
        Files.createDirectories(DIR);
        final int rc = run(List.of(PYTHON.toString(), "training/export.py", "--random", "--no-check", "--variant",
            variant, "--head", head, "--input", Integer.toString(input), "--out", out.toString()), 600);
        if (rc != 0 || !Files.isRegularFile(out)) {
            throw new IOException("training/export.py failed for " + variant + " " + head + " (exit " + rc + ")");
        }
        return out;
    }

    private static int run(final List<String> command, final int timeoutSeconds) {
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            final byte[] log = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            if (p.exitValue() != 0) {
                System.err.println(String.join(" ", command) + ":\n" + new String(log, StandardCharsets.UTF_8));
            }
            return p.exitValue();
        } catch (final IOException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
