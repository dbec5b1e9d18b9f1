package io.mobileformer.streams.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The system's {@code /usr/bin/ffmpeg} (Debian's: libx264 and libx265, which our bundled FFmpeg lacks): it makes the
 * benchmark's H.264 clips and the tests' H.265/MJPEG media, and is the reference the decode benchmark measures
 * against. Optional: callers check {@link #available()}; tests skip with {@link #MISSING}; CI installs it
 * ({@code apt-get install ffmpeg}).
 */
public final class SystemFfmpeg {
    public static final Path BINARY = Path.of("/usr/bin/ffmpeg");
    public static final String MISSING = "/usr/bin/ffmpeg is not installed (apt-get install ffmpeg): skipped";

    private SystemFfmpeg() {
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
        return encode("testsrc2=size=" + width + "x" + height + ":rate=" + fps, frames, videoArgs, format);
    }

    /** Encodes {@code frames} frames of a lavfi source graph (e.g. {@code testsrc2=...,noise=...}). */
    public static byte[] encode(final String lavfi, final int frames, final String videoArgs, final String format)
        throws IOException {
        final Path out = Files.createTempFile("mfs-ffmpeg-", "." + format);
        try {
            final List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "-hide_banner", "-loglevel", "error",
                "-nostdin", "-y", "-f", "lavfi", "-i", lavfi, "-frames:v", Integer.toString(frames)));
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
