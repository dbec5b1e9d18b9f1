package io.mobileformer.streams.decode;

import io.mobileformer.streams.cli.SystemFfmpeg;
import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.topology.PipelineConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * MPEG-TS segments decoded on kept decoders ({@link TsSegment} on a {@link StreamCodec}) against the same segments
 * through JavaCV's grabber ({@code keepCodecs=false}, the path every segment took before): the same frames, bit for
 * bit (same decoder, same swscale call with the same flags, sizes and buffer layout), the same timestamps and key-frame
 * flags, and the same failure reasons. Each camera is a sequence of segments through one decoder of each kind, as a
 * stream thread sees them, so reuse across segments, flushes between them, and recovery after a bad one are covered.
 */
class KeptCodecTest {
    private static final String X264_B = "-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 8 -bf 2";
    private static final String X265 = "-c:v libx265 -pix_fmt yuv420p -x265-params log-level=none:keyint=8:bframes=2";

    /** How the kept-decoder FrameDecoder opened a camera's segments. */
    private record Counts(long reused, long unprobed) {
    }

    /** What one payload gave: the frames before the end or the failure, and the failure's reason. */
    private record Outcome(List<DecodedFrame> frames, DecodeException.Reason reason) {
    }

    private static FrameDecoder decoder(final boolean keep, final Sampling s, final DecodeLimits limits) {
        return new FrameDecoder(limits, s, new Preprocessor(96, 64, ResizeMode.LETTERBOX,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}), keep);
    }

    private static Outcome outcome(final FrameDecoder d, final byte[] payload) {
        final List<DecodedFrame> frames = new ArrayList<>();
        try (FrameStream s = d.open(payload, "video/mp2t")) {
            DecodedFrame f;
            while ((f = s.next()) != null) {
                frames.add(f);
            }
            return new Outcome(frames, null);
        } catch (final DecodeException e) {
            return new Outcome(frames, e.reason());
        }
    }

    /**
     * Decodes the camera's segments in order through a kept-decoder FrameDecoder and a JavaCV-only one and asserts
     * identical outcomes.
     *
     * @return how many segments the kept one decoded on a reused decoder, and how many it opened without a probe
     */
    private static Counts assertSame(final Sampling s, final DecodeLimits limits, final List<byte[]> segments) {
        try (FrameDecoder kept = decoder(true, s, limits); FrameDecoder reference = decoder(false, s, limits)) {
            for (int i = 0; i < segments.size(); i++) {
                final Outcome want = outcome(reference, segments.get(i));
                final Outcome got = outcome(kept, segments.get(i));
                final String where = "segment " + i;
                assertEquals(want.reason(), got.reason(), where + ": failure reason");
                assertEquals(want.frames().size(), got.frames().size(), where + ": frames");
                for (int k = 0; k < want.frames().size(); k++) {
                    final DecodedFrame a = want.frames().get(k);
                    final DecodedFrame b = got.frames().get(k);
                    final String at = where + " frame " + k;
                    assertEquals(a.index(), b.index(), at);
                    assertEquals(a.ptsMicros(), b.ptsMicros(), at + " pts");
                    assertEquals(a.keyFrame(), b.keyFrame(), at + " key");
                    assertEquals(a.geometry(), b.geometry(), at + " geometry");
                    assertArrayEquals(a.input(), b.input(), at + " pixels");
                }
            }
            assertEquals(0, reference.codecsReused());
            return new Counts(kept.codecsReused(), kept.probesSkipped());
        }
    }

    private static DecodeLimits defaults() {
        return PipelineConfig.defaults().decodeLimits();
    }

    /** Segments of one camera from our openh264 encoder: the same parameter sets, different pictures. */
    private static byte[] openh264(final long seed, final int w, final int h) throws Exception {
        final List<byte[]> rgb = TestMedia.frames(seed, 8, w, h).stream().map(SyntheticCamera.Frame::rgb).toList();
        return MediaEncoder.segment(rgb, w, h, 8, 8, Container.MPEG_TS);
    }

    /** Segments of one camera from Debian's ffmpeg: the moving test pattern with noise seeded per segment. */
    private static byte[] ffmpeg(final int seed, final int w, final int h, final String args) throws Exception {
        return SystemFfmpeg.encode("testsrc2=size=" + w + "x" + h + ":rate=8,noise=alls=20:allf=t+u:all_seed=" + seed,
            8, args, "mpegts");
    }

    @Test
    void h264SegmentsOfSeveralResolutionsDecodeIdentically() throws Exception {
        for (final int[] wh : new int[][] {{160, 96}, {320, 240}, {640, 360}}) {
            final List<byte[]> camera = List.of(openh264(1, wh[0], wh[1]), openh264(2, wh[0], wh[1]),
                openh264(3, wh[0], wh[1]), openh264(1, wh[0], wh[1]));
            assertEquals(2, assertSame(Sampling.all(), defaults(), camera).reused(), wh[0] + "x" + wh[1]
                + ": the first segment is probed, the second opens the kept decoder, the others reuse it");
        }
    }

    @Test
    void h264WithBFramesDecodesIdenticallyInEverySamplingMode() throws Exception {
        assumeTrue(SystemFfmpeg.available(), SystemFfmpeg.MISSING);
        final List<byte[]> camera = List.of(ffmpeg(1, 320, 180, X264_B), ffmpeg(2, 320, 180, X264_B),
            ffmpeg(3, 320, 180, X264_B), ffmpeg(4, 320, 180, X264_B));
        assertEquals(2, assertSame(Sampling.all(), defaults(), camera).reused());
        assertEquals(2, assertSame(Sampling.parse("keyframes", 1, 0), defaults(), camera).reused());
        assertEquals(2, assertSame(Sampling.parse("every-nth", 3, 0), defaults(), camera).reused());
        assertEquals(2, assertSame(Sampling.parse("fps", 1, 3.0), defaults(), camera).reused());
    }

    @Test
    void h265DecodesIdentically() throws Exception {
        assumeTrue(SystemFfmpeg.available(), SystemFfmpeg.MISSING);
        final List<byte[]> camera = List.of(ffmpeg(1, 320, 180, X265), ffmpeg(2, 320, 180, X265),
            ffmpeg(3, 320, 180, X265));
        assertEquals(1, assertSame(Sampling.all(), defaults(), camera).reused());
    }

    /** A camera that changes resolution (other parameter sets, so another key) and changes back. */
    @Test
    void aResolutionChangeBetweenSegmentsDecodesIdentically() throws Exception {
        final List<byte[]> camera = List.of(openh264(1, 320, 240), openh264(2, 320, 240), openh264(3, 160, 96),
            openh264(4, 160, 96), openh264(5, 160, 96), openh264(6, 320, 240), openh264(7, 320, 240));
        assertEquals(3, assertSame(Sampling.all(), defaults(), camera).reused());
    }

    /**
     * A damaged segment between good ones (payload noise after the first key frame: the TS headers and the parameter
     * sets parse, the decoder meets broken slices), then a truncated one (half its packets, so whole packets and the
     * same parameter sets) and one cut mid-packet: the same reasons both ways, and the good segments after them decode
     * to the same frames as on a fresh decoder, so a bad segment leaves nothing behind in the kept one.
     */
    @Test
    void damagedAndTruncatedSegmentsFailTheSameAndDoNotPoisonTheKeptDecoder() throws Exception {
        final byte[] good = openh264(1, 320, 240);
        final byte[] damaged = DamagedStreamProbe.damage(openh264(2, 320, 240));
        final int packets = good.length / FrameDecoder.TS_PACKET;
        final byte[] half = Arrays.copyOf(good, (packets / 2) * FrameDecoder.TS_PACKET);
        final byte[] cut = Arrays.copyOf(good, good.length - 100);
        final List<byte[]> camera = List.of(good, openh264(3, 320, 240), damaged, openh264(4, 320, 240), half,
            openh264(5, 320, 240), cut, good);
        assertSame(Sampling.all(), defaults(), camera);
        try (FrameDecoder d = decoder(true, Sampling.all(), defaults())) {
            assertNull(outcome(d, good).reason());
            assertNull(outcome(d, good).reason());
            assertEquals(DecodeException.Reason.CORRUPT, outcome(d, damaged).reason());
            assertEquals(0, d.codecsKept(), "the decoder that met the damage was discarded");
            assertNull(outcome(d, good).reason());
            assertEquals(DecodeException.Reason.TRUNCATED, outcome(d, cut).reason());
        }
    }

    /**
     * Segments cut from a longer stream at a packet boundary in mid-GOP: they start with a partial packet and frames
     * whose references are missing, then meet the next IDR (and its repeated parameter sets). A fresh decoder and a
     * flushed kept one must handle that start the same way.
     */
    @Test
    void segmentsStartingMidGopDecodeTheSame() throws Exception {
        assumeTrue(SystemFfmpeg.available(), SystemFfmpeg.MISSING);
        final List<byte[]> camera = new ArrayList<>();
        for (int seed = 1; seed <= 4; seed++) {
            final byte[] whole = SystemFfmpeg.encode("testsrc2=size=320x180:rate=8,noise=alls=20:allf=t+u:all_seed="
                + seed, 16, X264_B, "mpegts");
            final int packets = whole.length / FrameDecoder.TS_PACKET;
            camera.add(Arrays.copyOfRange(whole, (packets / 3) * FrameDecoder.TS_PACKET, whole.length));
        }
        final Counts counts = assertSame(Sampling.all(), defaults(), camera);
        assertEquals(3, counts.unprobed(), "every segment after the first opened on a kept decoder");
    }

    /** Limits apply on the kept path as on JavaCV's: frames per segment, decode time, pixels (a later segment). */
    @Test
    void limitsApplyTheSame() throws Exception {
        final DecodeLimits d = defaults();
        final List<byte[]> camera = List.of(openh264(1, 320, 240), openh264(2, 320, 240), openh264(3, 320, 240));
        assertSame(Sampling.all(), new DecodeLimits(d.maxPayloadBytes(), d.maxPixels(), 5, d.maxDecodeMillis()),
            camera).reused();
        assertSame(Sampling.all(), new DecodeLimits(d.maxPayloadBytes(), d.maxPixels(), 8, d.maxDecodeMillis()),
            camera).reused();
        // a 0 ms budget: the first check, after the first frame, is over it
        final DecodeLimits instant = new DecodeLimits(d.maxPayloadBytes(), d.maxPixels(), d.maxFramesPerSegment(),
            0);
        assertSame(Sampling.all(), instant, camera);
    }

    @Test
    void closingTheDecoderFreesItsKeptDecodersAndRefusesNewStreams() throws Exception {
        final FrameDecoder d = decoder(true, Sampling.all(), defaults());
        final byte[] seg = openh264(1, 160, 96);
        outcome(d, seg);
        outcome(d, seg);
        outcome(d, seg);
        assertEquals(1, d.codecsKept());
        assertEquals(1, d.codecsReused());
        d.close();
        assertEquals(0, d.codecsKept());
        d.close();
        final IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> d.open(seg, "video/mp2t"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /** Two streams of the same camera open at once on one thread: the second cannot share the kept decoder. */
    @Test
    void overlappingStreamsOfOneCameraDoNotShareADecoder() throws Exception {
        final byte[] a = openh264(1, 160, 96);
        final byte[] b = openh264(2, 160, 96);
        try (FrameDecoder keep = decoder(true, Sampling.all(), defaults());
             FrameDecoder reference = decoder(false, Sampling.all(), defaults())) {
            outcome(keep, a);
            outcome(keep, a);
            final List<DecodedFrame> want = outcome(reference, b).frames();
            try (FrameStream first = keep.open(a, "video/mp2t"); FrameStream second = keep.open(b, "video/mp2t")) {
                first.next();
                for (final DecodedFrame w : want) {
                    assertArrayEquals(w.input(), second.next().input());
                }
                assertNull(second.next());
            }
        }
    }
}
