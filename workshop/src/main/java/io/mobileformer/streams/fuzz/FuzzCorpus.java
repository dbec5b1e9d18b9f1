package io.mobileformer.streams.fuzz;

import io.mobileformer.streams.cli.SystemFfmpeg;
import io.mobileformer.streams.clip.ClipSegments;
import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.synthetic.SyntheticCamera;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The valid inputs fuzz cases are mutated from, written once per run as small files named
 * {@code <name>.<content type with / as _>}: H.264 in MPEG-TS, MP4 and Matroska (openh264, as ingest writes them), a
 * slice of the real footage in {@code samples/}, H.265 in MPEG-TS and MJPEG in Matroska (the system's FFmpeg, when
 * installed), a JPEG and a PNG. Files in a regression folder are added as they are (inputs that once failed).
 */
public final class FuzzCorpus {
    /** One valid (or once failing) input. */
    public record Seed(String name, String contentType, byte[] bytes) {
    }

    /** The seeds a run draws its cases from, and how many of them are regression inputs replayed as they are. */
    public record Prepared(List<Seed> seeds, int replayed) {
    }

    private FuzzCorpus() {
    }

    /**
     * Makes the seeds into {@code dir} and copies the regression inputs next to them, so that every kind of run (in
     * child JVMs, through Kafka) draws the same cases from the same run seed. What could not be made goes to
     * {@code out}.
     */
    public static Prepared prepare(final Path dir, final Path regressions, final PrintWriter out) throws IOException {
        final String missing = write(dir);
        if (!missing.isEmpty()) {
            out.println("fuzz: " + missing);
        }
        int replayed = 0;
        if (regressions != null && Files.isDirectory(regressions)) {
            for (final Seed r : read(regressions)) {
                Files.write(dir.resolve("~regression-" + r.name() + "." + Mutator.ENVELOPE), r.bytes());
                replayed++;
            }
        }
        return new Prepared(read(dir), replayed);
    }

    /** Makes the seeds into {@code dir}; returns a note of what could not be made (empty when all were). */
    public static String write(final Path dir) throws IOException {
        Files.createDirectories(dir);
        final SyntheticCamera cam = new SyntheticCamera(23, 192, 112, 3);
        final List<byte[]> rgb = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rgb.add(cam.next().rgb());
        }
        save(dir, "h264-ts", "video/mp2t", MediaEncoder.segment(rgb, 192, 112, 10, 5,
            MediaEncoder.Container.MPEG_TS));
        save(dir, "h264-mp4", "video/mp4", MediaEncoder.segment(rgb, 192, 112, 10, 10, MediaEncoder.Container.MP4));
        save(dir, "h264-mkv", "video/x-matroska", MediaEncoder.segment(rgb, 192, 112, 10, 10,
            MediaEncoder.Container.MATROSKA));
        save(dir, "jpeg", "image/jpeg", MediaEncoder.jpeg(rgb.get(0), 192, 112));
        save(dir, "png", "image/png", MediaEncoder.png(rgb.get(1), 192, 112));
        final Path real = Path.of("samples/vtest-tail.ts");
        if (Files.exists(real)) {
            // one GOP-aligned segment of the real clip, cut by packet copy as the demo's real camera does
            save(dir, "real-h264-ts", "video/mp2t", ClipSegments.cut(real, 10).segments().get(1).payload());
        }
        if (!SystemFfmpeg.available()) {
            return "no H.265 or MJPEG seeds: " + SystemFfmpeg.MISSING;
        }
        save(dir, "h265-ts", "video/mp2t", SystemFfmpeg.testPattern(8, 160, 96, 10,
            "-c:v libx265 -preset ultrafast -x265-params log-level=none:frame-threads=1:pools=none", "mpegts"));
        save(dir, "mjpeg-mkv", "video/x-matroska", SystemFfmpeg.testPattern(6, 160, 96, 10, "-c:v mjpeg -q:v 8",
            "matroska"));
        return "";
    }

    private static void save(final Path dir, final String name, final String type, final byte[] bytes)
        throws IOException {
        Files.write(dir.resolve(name + "." + type.replace('/', '_')), bytes);
    }

    /** The seeds in {@code dir}, sorted by name (the order cases are drawn from). */
    public static List<Seed> read(final Path dir) throws IOException {
        final List<Seed> seeds = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return seeds;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path f : files.sorted().toList()) {
                final String file = f.getFileName().toString();
                final int dot = file.lastIndexOf('.');
                if (dot > 0) {
                    seeds.add(new Seed(file.substring(0, dot), file.substring(dot + 1).replace('_', '/'),
                        Files.readAllBytes(f)));
                }
            }
        }
        return seeds;
    }
}
