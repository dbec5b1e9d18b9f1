package io.mobileformer.streams.cli;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.decode.DecodeException;
import io.mobileformer.streams.decode.DecodeLimits;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.inference.EngineFactory;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.media.FfmpegLog;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./mfs bench decode}: what decoding costs, next to FFmpeg's own decoder and next to the model, measured side
 * by side in one run.
 *
 * <p>Per resolution (360p, 720p, 1080p H.264; made by the system's ffmpeg with libx264 when present, else by our
 * openh264 encoder) it measures, on one thread, in CPU time of that thread (the box may be shared; CPU time is what a
 * core can do):
 * <ul>
 *   <li>{@code fps_per_core}: frames per CPU-second through the pipeline's path, {@link FrameDecoder} (demux, decode,
 *       swscale to the 256x256 model input, normalize to NCHW floats);</li>
 *   <li>{@code preprocess_ms}: the part of that per frame that is not decoding (the same clip decoded by JavaCV
 *       without conversion is subtracted);</li>
 *   <li>{@code ffmpeg_fps_per_core}: the same file through {@code ffmpeg -benchmark -threads 1 -i clip -f null -}
 *       (user + system CPU), and {@code ratio_vs_ffmpeg}, ours over FFmpeg's;</li>
 *   <li>{@code share_of_frame_cost}: decode + preprocess over decode + preprocess + the model's per-frame cost
 *       (on {@code --engine}, by default the engine {@code engine=auto} measures fastest; one thread, batch 8).</li>
 * </ul>
 * Rates are steady state: a run over one frame (open + first frame) is subtracted from a run over all frames, for ours
 * and for ffmpeg alike, so process start-up and stream probing do not count; {@code open_ms} shows that fixed cost
 * per segment. Each figure is the best of {@code --repeat} runs.
 *
 * <p>Then, per resolution, what a camera's segment costs whole (open, every frame, close), the way the pipeline
 * decodes it: 8-frame segments (1 s at 8 fps, one GOP, no B-frames) of one camera, after its first, through JavaCV's
 * grabber without the probe ({@code javacv_ms}: every segment before decoders were kept) and on the decoder
 * {@link FrameDecoder} keeps for the camera ({@code kept_ms}), interleaved in one run, and {@code ratio} =
 * javacv_ms / kept_ms.
 */
@Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Decode + preprocess speed per core vs ffmpeg -threads 1, and its share of the per-frame cost.")
public final class BenchDecodeCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "models/tiny-centernet.onnx", paramLabel = "FILE",
        description = "ONNX model whose input size and per-frame cost are used.")
    private Path model;
    @Option(names = "--engine", defaultValue = "auto",
        description = "Engine whose per-frame cost share_of_frame_cost is taken against: auto (the one engine=auto "
            + "measures fastest), cpu or java.")
    private String engine;
    @Option(names = "--frames", defaultValue = "150",
        description = "Frames per clip (at least 2).")
    private int frames;
    @Option(names = "--repeat", defaultValue = "3",
        description = "Runs per figure; the best counts.")
    private int repeat;
    @Option(names = "--fps", defaultValue = "25",
        description = "Clip frame rate.")
    private double fps;
    @Option(names = "--resolutions", defaultValue = "360p,720p,1080p",
        description = "Resolutions to measure, comma-separated.")
    private String resolutions;
    @Option(names = "--segments-only",
        description = "Only the per-segment comparison (javacv_ms vs kept_ms), not the clip, ffmpeg and model figures.")
    private boolean segmentsOnly;
    @Spec
    private CommandSpec spec;
    private static final int INPUT = 256;
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};
    private static final Pattern BENCH = Pattern.compile("utime=([0-9.]+)s stime=([0-9.]+)s");

    /** A resolution with a camera-like bitrate. */
    private record Resolution(String name, int width, int height, String bitrate) {
    }

    private static final List<Resolution> RESOLUTIONS = List.of(new Resolution("360p", 640, 360, "1M"),
        new Resolution("720p", 1280, 720, "3M"), new Resolution("1080p", 1920, 1080, "6M"));

    /** CPU milliseconds of one measured pass; frames counted. */
    private record Pass(double cpuMs, int frames) {
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        if (frames < 2 || repeat < 1) {
            throw new IllegalArgumentException("--frames must be at least 2 and --repeat at least 1");
        }
        final List<String> wanted = List.of(resolutions.split(","));
        FfmpegLog.install();
        final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();

        final boolean ffmpeg = SystemFfmpeg.available();
        if (segmentsOnly) {
            for (final Resolution r : RESOLUTIONS) {
                if (wanted.contains(r.name())) {
                    out.println(segmentLine(r, ffmpeg, cpu));
                }
            }
            out.println("(CPU time of one thread per segment, best of " + repeat + " passes of " + SEGMENTS
                + " segments; input " + INPUT + "x" + INPUT + ")");
            return 0;
        }
        final ModelContract contract = ModelContract.load(model);
        final String[] engineName = new String[1];
        final double modelMs = modelMsPerFrame(model, engine, contract, repeat, cpu, engineName);
        out.printf(Locale.ROOT, "model path=%s input=%dx%d engine=%s threads=1 batch=8 ms_per_frame=%.3f%n",
            model, contract.inputWidth(), contract.inputHeight(), engineName[0], modelMs);

        final Path dir = Files.createTempDirectory("mfs-bench-");
        try {
            for (final Resolution r : RESOLUTIONS) {
                if (!wanted.contains(r.name())) {
                    continue;
                }
                final Path clip = dir.resolve(r.name() + ".ts");
                final int n = ffmpeg ? frames : Math.min(frames, 30);
                Files.write(clip, ffmpeg ? SystemFfmpeg.encode("testsrc2=size=" + r.width() + "x" + r.height()
                        + ":rate=" + fps + ",noise=alls=12:allf=t+u", n, "-c:v libx264 -preset veryfast -pix_fmt "
                        + "yuv420p -bf 0 -g " + Math.round(2 * fps) + " -b:v " + r.bitrate() + " -maxrate "
                        + r.bitrate() + " -bufsize " + r.bitrate(), "mpegts")
                    : openh264Clip(r, n, fps));
                final byte[] payload = Files.readAllBytes(clip);
                final double[] full = steady(repeat, cpu, limit -> ours(payload, limit));
                final double[] decodeOnly = steady(repeat, cpu, limit -> decodeOnly(payload, limit));
                final double msPerFrame = full[0];
                final double preprocessMs = Math.max(0, full[0] - decodeOnly[0]);
                final StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "decode res=%s fps_per_core=%.1f preprocess_ms=%.3f decode_only_fps=%.1f", r.name(),
                    1000 / msPerFrame, preprocessMs, 1000 / decodeOnly[0]));
                final double ffMs = ffmpeg ? ffmpegMsPerFrame(clip, n, repeat) : 0;
                if (ffMs > 0) {
                    line.append(String.format(Locale.ROOT, " ffmpeg_fps_per_core=%.1f ratio_vs_ffmpeg=%.2f",
                        1000 / ffMs, ffMs / msPerFrame));
                } else {
                    // no ffmpeg, or a clip so short that ffmpeg's CPU times (10 ms resolution) cannot tell the runs apart
                    line.append(" ffmpeg_fps_per_core=n/a ratio_vs_ffmpeg=n/a");
                }
                line.append(String.format(Locale.ROOT, " share_of_frame_cost=%.3f open_ms=%.1f frames=%d "
                        + "bytes=%d encoder=%s", msPerFrame / (msPerFrame + modelMs), full[1], n, payload.length,
                    ffmpeg ? "libx264" : "openh264"));
                out.println(line);
                out.println(segmentLine(r, ffmpeg, cpu));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (final Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
        out.println("(CPU time of one thread, best of " + repeat + "; steady-state rates exclude open + first frame, "
            + "shown as open_ms; input " + INPUT + "x" + INPUT + "; ffmpeg is " + (ffmpeg ? SystemFfmpeg.BINARY
            : "absent") + ")");
        return 0;
    }

    /** Segments per timed pass of {@link #segmentLine}, and segments decoded before timing (JIT, FFmpeg tables). */
    private static final int SEGMENTS = 20;
    private static final int SEGMENT_FRAMES = 8;

    /** Per-segment CPU of a known camera's 8-frame segment, JavaCV's path against the kept decoder. */
    private String segmentLine(final Resolution r, final boolean ffmpeg, final ThreadMXBean cpu) throws Exception {
        final byte[] seg = ffmpeg ? SystemFfmpeg.encode("testsrc2=size=" + r.width() + "x" + r.height()
                + ":rate=" + SEGMENT_FRAMES, SEGMENT_FRAMES, "-c:v libx264 -preset veryfast -pix_fmt yuv420p -bf 0 -g "
                + SEGMENT_FRAMES + " -b:v " + r.bitrate() + " -maxrate " + r.bitrate() + " -bufsize " + r.bitrate(),
            "mpegts")
            : openh264Clip(r, SEGMENT_FRAMES, SEGMENT_FRAMES);
        final DecodeLimits limits = new DecodeLimits(Integer.MAX_VALUE, 8192L * 8192, 100_000, 600_000);
        final Preprocessor pre = new Preprocessor(INPUT, INPUT, ResizeMode.STRETCH, MEAN, STD);
        double javacv = Double.MAX_VALUE;
        double kept = Double.MAX_VALUE;
        try (FrameDecoder old = new FrameDecoder(limits, Sampling.all(), pre, false);
             FrameDecoder now = new FrameDecoder(limits, Sampling.all(), pre, true)) {
            segments(old, seg, SEGMENTS);
            segments(now, seg, SEGMENTS);
            for (int i = 0; i < repeat; i++) {
                long t0 = cpu.getCurrentThreadCpuTime();
                segments(old, seg, SEGMENTS);
                javacv = Math.min(javacv, (cpu.getCurrentThreadCpuTime() - t0) / 1e6 / SEGMENTS);
                t0 = cpu.getCurrentThreadCpuTime();
                segments(now, seg, SEGMENTS);
                kept = Math.min(kept, (cpu.getCurrentThreadCpuTime() - t0) / 1e6 / SEGMENTS);
            }
            if (now.codecsReused() < SEGMENTS) {
                throw new IllegalStateException("the kept decoder was not reused: " + now.codecsReused());
            }
        }
        return String.format(Locale.ROOT, "segment res=%s frames=%d javacv_ms=%.1f kept_ms=%.1f ratio=%.2f "
            + "kept_ms_per_frame=%.2f bytes=%d", r.name(), SEGMENT_FRAMES, javacv, kept, javacv / kept,
            kept / SEGMENT_FRAMES, seg.length);
    }

    private static void segments(final FrameDecoder d, final byte[] seg, final int n) throws DecodeException {
        for (int i = 0; i < n; i++) {
            int frames = 0;
            try (FrameStream s = d.open(seg, "video/mp2t")) {
                while (s.next() != null) {
                    frames++;
                }
            }
            if (frames != SEGMENT_FRAMES) {
                throw new IllegalStateException("segment decoded to " + frames + " frames, not " + SEGMENT_FRAMES);
            }
        }
    }

    /** Decodes at most {@code limit} frames of a payload; returns frames decoded. */
    @FunctionalInterface
    private interface Decoding {
        int decode(int limit) throws Exception;
    }

    /**
     * Steady-state CPU ms per frame and the fixed cost of open + first frame, each the best of {@code repeat}.
     *
     * @return {ms per frame, open ms}
     */
    private static double[] steady(final int repeat, final ThreadMXBean cpu, final Decoding d) throws Exception {
        d.decode(Integer.MAX_VALUE);        // warm-up: class loading, JIT, FFmpeg tables
        Pass all = null;
        Pass first = null;
        for (int i = 0; i < repeat; i++) {
            all = best(all, measure(cpu, d, Integer.MAX_VALUE));
            first = best(first, measure(cpu, d, 1));
        }
        return new double[] {(all.cpuMs() - first.cpuMs()) / (all.frames() - first.frames()), first.cpuMs()};
    }

    private static Pass best(final Pass a, final Pass b) {
        return a == null || b.cpuMs() < a.cpuMs() ? b : a;
    }

    private static Pass measure(final ThreadMXBean cpu, final Decoding d, final int limit) throws Exception {
        final long t0 = cpu.getCurrentThreadCpuTime();
        final int n = d.decode(limit);
        return new Pass((cpu.getCurrentThreadCpuTime() - t0) / 1e6, n);
    }

    /** The pipeline's path: {@link FrameDecoder} to the 256x256 normalized input. */
    private static int ours(final byte[] payload, final int limit) throws DecodeException {
        int n = 0;
        try (FrameDecoder d = new FrameDecoder(new DecodeLimits(Integer.MAX_VALUE, 8192L * 8192, 100_000, 600_000),
                Sampling.all(), new Preprocessor(INPUT, INPUT, ResizeMode.STRETCH, MEAN, STD));
             FrameStream s = d.open(payload, "video/mp2t")) {
            while (n < limit && s.next() != null) {
                n++;
            }
        }
        return n;
    }

    /** Demux + decode only, single-threaded, no pixel conversion: what {@code preprocess_ms} is measured against. */
    private static int decodeOnly(final byte[] payload, final int limit) throws IOException {
        int n = 0;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(new ByteArrayInputStream(payload))) {
            g.setFormat("mpegts");
            g.setVideoOption("threads", "1");
            g.start();
            while (n < limit && g.grabFrame(false, true, false, false, false) != null) {
                n++;
            }
            g.stop();
        }
        return n;
    }

    /** ffmpeg's own decoder on one thread, user + system CPU, steady state (a one-frame run subtracted). */
    private static double ffmpegMsPerFrame(final Path clip, final int frames, final int repeat) throws IOException {
        double all = Double.MAX_VALUE;
        double first = Double.MAX_VALUE;
        for (int i = 0; i < repeat; i++) {
            all = Math.min(all, ffmpegCpuMs(clip, List.of()));
            first = Math.min(first, ffmpegCpuMs(clip, List.of("-frames:v", "1")));
        }
        return (all - first) / (frames - 1);
    }

    private static double ffmpegCpuMs(final Path clip, final List<String> extra) throws IOException {
        final List<String> cmd = new ArrayList<>(List.of(SystemFfmpeg.BINARY.toString(), "-hide_banner", "-nostdin",
            "-benchmark", "-threads", "1", "-i", clip.toString()));
        cmd.addAll(extra);
        cmd.addAll(List.of("-f", "null", "-"));
        final Matcher m = BENCH.matcher(SystemFfmpeg.run(cmd));
        if (!m.find()) {
            throw new IOException("no 'bench: utime=' line from " + String.join(" ", cmd));
        }
        return (Double.parseDouble(m.group(1)) + Double.parseDouble(m.group(2))) * 1000;
    }

    /** The model's CPU cost per frame: ONNX Runtime CPU, one intra-op thread, batches of 8, best of repeat. */
    static double modelMsPerFrame(final Path model, final ModelContract c, final int repeat,
                                  final ThreadMXBean cpu) throws Exception {
        return modelMsPerFrame(model, "cpu", c, repeat, cpu, new String[1]);
    }

    /**
     * The model's CPU cost per frame on {@code which} engine (auto: the one engine=auto measures fastest), one intra-op
     * thread (it runs on this thread, so this thread's CPU time is the engine's), batches of 8, best of repeat.
     */
    static double modelMsPerFrame(final Path model, final String which, final ModelContract c, final int repeat,
                                  final ThreadMXBean cpu, final String[] name) throws Exception {
        final int batch = 8;
        final float[] data = new float[batch * 3 * c.inputHeight() * c.inputWidth()];
        final Random random = new Random(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        final Tensor images = new Tensor(data, batch, 3, c.inputHeight(), c.inputWidth());
        try (Engine engine = EngineFactory.create(model, new EngineFactory.Settings(which, 1,
            OrtEngine.Cuda.defaults(), batch, 2000))) {
            name[0] = engine.name();
            for (int i = 0; i < 5; i++) {
                engine.run(images);
            }
            double best = Double.MAX_VALUE;
            for (int r = 0; r < repeat; r++) {
                final int runs = 10;
                final long t0 = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < runs; i++) {
                    engine.run(images);
                }
                best = Math.min(best, (cpu.getCurrentThreadCpuTime() - t0) / 1e6 / (runs * batch));
            }
            return best;
        }
    }

    /** Without ffmpeg: the synthetic camera's frames through our openh264 encoder (slower to make, so fewer). */
    private static byte[] openh264Clip(final Resolution r, final int frames, final double fps) throws IOException {
        final SyntheticCamera cam = new SyntheticCamera(5, r.width(), r.height(), 5);
        final List<byte[]> rgb = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            rgb.add(cam.next().rgb());
        }
        return MediaEncoder.segment(rgb, r.width(), r.height(), fps, (int) Math.round(2 * fps),
            MediaEncoder.Container.MPEG_TS);
    }
}
