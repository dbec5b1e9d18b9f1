package io.mobileformer.streams.decode;

import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.topology.PipelineConfig;
import org.bytedeco.javacv.FFmpegFrameGrabber;

import java.io.ByteArrayInputStream;
import java.util.Random;

/**
 * Decodes a damaged H.264 segment in a fresh JVM, for {@link FfmpegStderrTest} to watch that JVM's real standard
 * error (file descriptor 2, where FFmpeg's native default logger writes, not only {@code System.err}).
 *
 * <p>{@code pipeline}: through {@link FrameDecoder}, as the pipeline does; prints the dead-letter reason on stdout.
 * {@code bare}: through a plain JavaCV grabber with FFmpeg's default logger, the control that shows the capture works.
 * The segment comes from a file: making it here would run our encoder, which installs the log bridge.
 */
public final class DamagedStreamProbe {
    private DamagedStreamProbe() {
    }

    /** An H.264 MPEG-TS segment whose video payload is overwritten with noise in 1 of every 3 packets after the first
     *  key frame: the headers parse, the decoder meets broken slices. */
    static byte[] damaged() {
        return damage(TestMedia.segment(30, 320, 240, Container.MPEG_TS));
    }

    /** Overwrites, in place, the payload of 1 in 3 packets after the first third of {@code ts} with noise. */
    static byte[] damage(final byte[] ts) {
        final Random r = new Random(42);
        final int packets = ts.length / FrameDecoder.TS_PACKET;
        for (int p = packets / 3; p < packets - 2; p += 3) {
            final int o = p * FrameDecoder.TS_PACKET;
            for (int i = o + 8; i < o + FrameDecoder.TS_PACKET; i++) {
                ts[i] = (byte) r.nextInt(256);
            }
        }
        return ts;
    }

    /** @param args {@code pipeline|bare} and the file holding the damaged segment (made by the parent JVM, so that
     *             nothing in this one has installed the log bridge before a {@code bare} run) */
    public static void main(final String[] args) throws Exception {
        final byte[] ts = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(args[1]));
        if (args[0].equals("pipeline")) {
            try (FrameDecoder d = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
                new Preprocessor(64, 48, ResizeMode.STRETCH, new float[] {0, 0, 0}, new float[] {1, 1, 1}))) {
                FrameDecoderTest.all(d, ts, "video/mp2t");
                System.out.println("decoded");
            } catch (final DecodeException e) {
                System.out.println("reason=" + e.reason() + " " + e.getMessage());
            }
        } else {
            try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(new ByteArrayInputStream(ts))) {
                g.setFormat("mpegts");
                g.start();
                while (g.grabImage() != null) {
                    // decode everything; FFmpeg reports the damage itself
                }
            }
            System.out.println("decoded");
        }
    }
}
