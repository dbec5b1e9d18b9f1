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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native memory stays flat over many records: FFmpeg grabbers, frames and ONNX Runtime tensors are closed per record
 * and per batch, on the success path and on every failure path.
 */
class NativeMemorySoakIT {

    @Test
    void decodeAndDetectManyRecordsWithoutGrowth() throws Exception {
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
            final Runnable round = () -> {
                try {
                    run(dec, det, ts, "video/mp2t");
                    run(dec, det, mp4, "video/mp4");
                    run(dec, det, jpg, "image/jpeg");
                    run(dec, det, truncated, "video/mp4");
                    run(dec, det, corrupt, "video/mp2t");
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            for (int i = 0; i < 30; i++) {
                round.run();
            }
            System.gc();
            final long javacpp0 = ProcessMemory.javacppBytes();
            final long rss0 = ProcessMemory.rssBytes();
            final long jvm0 = ProcessMemory.jvmCommittedBytes();
            for (int i = 0; i < 300; i++) {
                round.run();
            }
            System.gc();
            final long javacpp1 = ProcessMemory.javacppBytes();
            final long rss1 = ProcessMemory.rssBytes();
            final long jvm1 = ProcessMemory.jvmCommittedBytes();
            // the growth the JVM's own committed memory does not explain: this IT shares its JVM (and -Xmx3g) with
            // the other ITs, and a CI run saw RSS grow 379 MB here while JavaCPP's count stayed put, so raw RSS
            // measures G1's heap sizing as much as native memory
            final long nativeGrowth = (rss1 - jvm1) - (rss0 - jvm0);
            System.out.printf("soak: 300 rounds x 5 records; javacpp bytes %d -> %d; rss %.1f -> %.1f MB; jvm committed"
                + " %.1f -> %.1f MB; rss outside the jvm's committed memory grew %.1f MB%n", javacpp0, javacpp1,
                rss0 / 1e6, rss1 / 1e6, jvm0 / 1e6, jvm1 / 1e6, nativeGrowth / 1e6);
            assertEquals(javacpp0, javacpp1, "JavaCPP-tracked native memory must return to its baseline");
            assertTrue(nativeGrowth < 64L << 20, "RSS outside the JVM's committed heap and pools grew by "
                + nativeGrowth / 1e6 + " MB over 1500 records (rss " + (rss1 - rss0) / 1e6 + " MB, jvm committed "
                + (jvm1 - jvm0) / 1e6 + " MB)");
        }
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
