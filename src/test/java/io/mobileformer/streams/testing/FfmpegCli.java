package io.mobileformer.streams.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code /usr/bin/ffmpeg}, for test media our bundled FFmpeg cannot encode (H.265 via libx265, MJPEG in any
 * container) and for side-by-side measurements. Tests that need it skip with {@link #MISSING} when it is absent; CI
 * installs it ({@code apt-get install ffmpeg}).
 */
public final class FfmpegCli {
    public static final Path BINARY = Path.of("/usr/bin/ffmpeg");
    public static final String MISSING = "/usr/bin/ffmpeg is not installed (apt-get install ffmpeg): skipped";

    private FfmpegCli() {
    }

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /**
     * Encodes {@code frames} frames of FFmpeg's moving test pattern.
     *
     * @param videoArgs codec arguments, e.g. {@code -c:v libx265 -x265-params log-level=none}
     * @param format    output container: mpegts, mp4, matroska
     */
    public static byte[] testPattern(final int frames, final int width, final int height, final double fps,
                                     final String videoArgs, final String format) throws IOException {
        final Path out = Files.createTempFile("mfs-ffmpeg-", "." + format);
        try {
            final List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "-hide_banner", "-loglevel", "error",
                "-y", "-f", "lavfi", "-i", "testsrc2=size=" + width + "x" + height + ":rate=" + fps, "-frames:v",
                Integer.toString(frames)));
            cmd.addAll(List.of(videoArgs.trim().split("\\s+")));
            cmd.addAll(List.of("-f", format, out.toString()));
            run(cmd);
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs a command to completion; throws with its output when it fails. */
    public static String run(final List<String> cmd) throws IOException {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String output;
        try {
            output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed:\n" + output);
            }
        } catch (final InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return output;
    }
}
