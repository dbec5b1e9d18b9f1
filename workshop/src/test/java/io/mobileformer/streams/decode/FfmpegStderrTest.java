package io.mobileformer.streams.decode;

import io.mobileformer.streams.media.FfmpegLog;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FFmpeg's own log never reaches standard error raw: the pipeline routes it to SLF4J ({@link FfmpegLog}). Checked at
 * the file descriptor, not just {@code System.err}: FFmpeg's default logger is native code writing to fd 2, which
 * replacing {@code System.err} would not see. So the decode runs in a child JVM whose fd 2 is a file we read.
 */
class FfmpegStderrTest {

    private static String[] run(final String mode) throws IOException, InterruptedException {
        final Path err = Files.createTempFile("mfs-stderr-", ".txt");
        final Path segment = Files.write(Files.createTempFile("mfs-damaged-", ".ts"), DamagedStreamProbe.damaged());
        try {
            final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path")));
            for (final String p : List.of("org.bytedeco.javacpp.cachedir", "java.io.tmpdir")) {
                if (System.getProperty(p) != null) {
                    cmd.add("-D" + p + "=" + System.getProperty(p));
                }
            }
            cmd.addAll(List.of(DamagedStreamProbe.class.getName(), mode, segment.toString()));
            final Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "probe finished");
            assertEquals(0, p.exitValue(), "probe exit; stderr: " + Files.readString(err));
            return new String[] {out, Files.readString(err)};
        } finally {
            Files.deleteIfExists(err);
            Files.deleteIfExists(segment);
        }
    }

    @Test
    void decodingADamagedStreamWritesNothingToStderr() throws Exception {
        final String[] r = run("pipeline");
        assertTrue(r[0].contains("reason=CORRUPT") && r[0].contains("the decoder reported"),
            "the decoder's errors are seen and reported as a reason: " + r[0]);
        assertEquals("", r[1], "nothing on the child's fd 2");
    }

    @Test
    void theCaptureSeesFfmpegsDefaultLoggerWhenItIsNotRouted() throws Exception {
        final String[] r = run("bare");
        assertTrue(r[1].contains("[h264 @") || r[1].contains("[mpegts @"), "control: raw FFmpeg output on fd 2: "
            + r[1]);
    }
}
