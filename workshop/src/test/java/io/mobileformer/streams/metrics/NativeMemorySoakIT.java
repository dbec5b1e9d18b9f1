package io.mobileformer.streams.metrics;

import io.mobileformer.streams.batch.InlineBatcher;
import io.mobileformer.streams.decode.DecodeException;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.topology.PipelineConfig;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native memory stays flat over many records: FFmpeg grabbers, frames and ONNX Runtime tensors are closed per record
 * and per batch, on the success path and on every failure path.
 *
 * <p>How it is measured, and why. Two CI runs taught it:
 * <ul>
 *   <li>The workload runs in a JVM of its own ({@link #main}) with a fixed, pre-touched heap. Run inside the shared
 *   failsafe JVM, RSS also measured G1 sizing a 3 GB heap for the other ITs (+379 MB once) and whatever those ITs'
 *   leftover threads allocated.</li>
 *   <li>The measured rounds are cut into {@value #WINDOWS} windows, and the largest window's growth is set aside: a
 *   leak grows every window by the same amount, while an ONNX Runtime session's first runs step RSS up once (a probe
 *   with the tiny model: +50 MB in its first 25 batches of 8, with its CPU arena on or off, flat after; FFmpeg
 *   decoding alone +5 MB; the 30-minute soak in the README shows one such step of 80-130 MB with ORT, none with the
 *   Java engine). One CI run saw +81 MB in a single 300-round window here.</li>
 * </ul>
 * What is left is sensitive enough: {@value #WINDOWS}-1 windows of {@value #ROUNDS_PER_WINDOW} rounds x 5 records
 * under {@value #LIMIT_MB} MB means a per-record leak under ~28 KB, against 184 KB for one leaked 320x192 RGB frame.
 */
class NativeMemorySoakIT {
    private static final int WARMUP_ROUNDS = 30;
    private static final int WINDOWS = 4;
    private static final int ROUNDS_PER_WINDOW = 75;
    private static final int LIMIT_MB = 32;

    @Test
    void decodeAndDetectManyRecordsWithoutGrowth() throws Exception {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> !a.startsWith("-Xm") && !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
        cmd.addAll(List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"),
            NativeMemorySoakIT.class.getName()));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final List<long[]> samples = new ArrayList<>();   // {javacpp, rss, jvm committed} per window boundary
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("SAMPLE ")) {
                    final String[] f = line.split(" ");
                    samples.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])});
                } else {
                    System.out.println("soak child: " + line);
                }
            }
        } finally {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue(), "the soak's JVM failed; its output is above");
        assertEquals(WINDOWS + 1, samples.size(), "one sample before the windows and one after each");
        final long[] growth = new long[WINDOWS];
        for (int w = 0; w < WINDOWS; w++) {
            final long[] a = samples.get(w);
            final long[] b = samples.get(w + 1);
            // RSS the JVM's own committed heap and pools do not explain (metaspace and code cache still grow a little
            // as the JIT works)
            growth[w] = (b[1] - b[2]) - (a[1] - a[2]);
            System.out.printf("soak window %d: javacpp bytes %d -> %d; rss %.1f -> %.1f MB; outside the jvm's "
                + "committed memory %+.1f MB%n", w, a[0], b[0], a[1] / 1e6, b[1] / 1e6, growth[w] / 1e6);
            assertEquals(samples.get(0)[0], b[0], "JavaCPP-tracked native memory must return to its baseline after "
                + "window " + w);
        }
        final long[] sorted = growth.clone();
        Arrays.sort(sorted);
        long rest = 0;
        for (int w = 0; w < WINDOWS - 1; w++) {
            rest += sorted[w];
        }
        assertTrue(rest < (long) LIMIT_MB << 20, "RSS outside the JVM grew " + rest / 1e6 + " MB over the "
            + (WINDOWS - 1) + " windows without the largest step (per window: " + Arrays.toString(growth) + " bytes)");
    }

    /**
     * The workload: warm up, then print {@code SAMPLE javacpp rss jvmCommitted} before the first window and after
     * each.
     */
    public static void main(final String[] args) throws Exception {
        final ModelContract c = ModelContract.load(Path.of("models/tiny-centernet.onnx"));
        final byte[] ts = TestMedia.segment(8, 320, 192, Container.MPEG_TS);
        final byte[] mp4 = TestMedia.segment(8, 320, 192, Container.MP4);
        final byte[] jpg = TestMedia.jpeg(320, 192);
        final byte[] truncated = Arrays.copyOf(mp4, mp4.length - 100);
        final byte[] corrupt = Arrays.copyOf(ts, ts.length);
        for (int i = 2000; i < corrupt.length; i += 7) {
            corrupt[i] ^= 0x5a;
        }
        try (FrameDecoder dec = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
                new Preprocessor(c));
             InlineBatcher det = new InlineBatcher(new Detector(c, OrtEngine.cpu(c.path(), 1), 0.3f, 100),
            8)) {
            for (int i = 0; i < WARMUP_ROUNDS; i++) {
                round(dec, det, ts, mp4, jpg, truncated, corrupt);
            }
            sample();
            for (int w = 0; w < WINDOWS; w++) {
                for (int i = 0; i < ROUNDS_PER_WINDOW; i++) {
                    round(dec, det, ts, mp4, jpg, truncated, corrupt);
                }
                sample();
            }
        }
    }

    private static void round(final FrameDecoder dec, final InlineBatcher det, final byte[] ts, final byte[] mp4,
                              final byte[] jpg, final byte[] truncated, final byte[] corrupt) throws Exception {
        run(dec, det, ts, "video/mp2t");
        run(dec, det, mp4, "video/mp4");
        run(dec, det, jpg, "image/jpeg");
        run(dec, det, truncated, "video/mp4");
        run(dec, det, corrupt, "video/mp2t");
    }

    private static void sample() {
        System.gc();
        System.out.println("SAMPLE " + ProcessMemory.javacppBytes() + " " + ProcessMemory.rssBytes() + " "
            + ProcessMemory.jvmCommittedBytes());
    }

    private static void run(final FrameDecoder dec, final InlineBatcher det, final byte[] payload,
                            final String type) throws Exception {
        final List<DecodedFrame> frames = new ArrayList<>();
        try (FrameStream s = dec.open(payload, type)) {
            DecodedFrame f;
            while ((f = s.next()) != null) {
                frames.add(f);
            }
        } catch (final DecodeException e) {
            return;   // the failure path must release everything too
        }
        det.detect(frames);
    }
}
