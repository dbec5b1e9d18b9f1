package io.mobileformer.streams.decode;

import io.mobileformer.streams.ingest.MediaEncoder.Container;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.topology.PipelineConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameDecoderTest {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    /** Decoders the tests made; they keep native codec contexts, so each test closes its own. */
    private static final List<FrameDecoder> OPENED = new ArrayList<>();

    @AfterEach
    void closeDecoders() {
        OPENED.forEach(FrameDecoder::close);
        OPENED.clear();
    }

    private static FrameDecoder decoder(final Sampling s, final ResizeMode mode) {
        return opened(new FrameDecoder(PipelineConfig.defaults().decodeLimits(), s, new Preprocessor(64, 48, mode,
            MEAN, STD)));
    }

    private static FrameDecoder opened(final FrameDecoder d) {
        OPENED.add(d);
        return d;
    }

    static List<DecodedFrame> all(final FrameDecoder d, final byte[] payload, final String type) throws Exception {
        final List<DecodedFrame> out = new ArrayList<>();
        try (FrameStream s = d.open(payload, type)) {
            DecodedFrame f;
            while ((f = s.next()) != null) {
                out.add(f);
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void everyContainerDecodesEveryFrameAtTheSourceSize(final Container c) throws Exception {
        final byte[] seg = TestMedia.segment(12, 160, 96, c);
        final String mime = switch (c) {
            case MPEG_TS -> "video/mp2t";
            case MP4, MP4_FASTSTART -> "video/mp4";
            case MATROSKA -> "video/x-matroska";
        };
        final List<DecodedFrame> frames = all(decoder(Sampling.all(), ResizeMode.STRETCH), seg, mime);
        assertEquals(12, frames.size(), c + ": frame count");
        for (int i = 0; i < frames.size(); i++) {
            final DecodedFrame f = frames.get(i);
            assertEquals(i, f.index());
            assertEquals(160, f.geometry().srcW());
            assertEquals(96, f.geometry().srcH());
            assertEquals(3 * 64 * 48, f.input().length);
        }
        assertTrue(frames.get(0).keyFrame());
        assertTrue(frames.get(11).ptsMicros() > frames.get(1).ptsMicros());
    }

    /**
     * A camera's second segment opens without FFmpeg's probe (same parameter sets, so the size probed for the first
     * holds) and decodes to exactly the same frames; a segment with other parameter sets is probed again.
     */
    @Test
    void segmentsWithKnownParameterSetsSkipTheProbeAndDecodeTheSame() throws Exception {
        final byte[] seg = TestMedia.segment(12, 160, 96, Container.MPEG_TS);
        final FrameDecoder d = decoder(Sampling.all(), ResizeMode.LETTERBOX);
        final List<DecodedFrame> probed = all(d, seg, "video/mp2t");
        assertEquals(0, d.probesSkipped());
        final List<DecodedFrame> known = all(d, seg, "video/mp2t");
        assertEquals(1, d.probesSkipped());
        assertEquals(probed.size(), known.size());
        for (int i = 0; i < probed.size(); i++) {
            assertEquals(probed.get(i).geometry(), known.get(i).geometry());
            assertTrue(java.util.Arrays.equals(probed.get(i).input(), known.get(i).input()), "frame " + i);
            assertEquals(probed.get(i).ptsMicros(), known.get(i).ptsMicros());
        }
        final List<DecodedFrame> other = all(d, TestMedia.segment(6, 96, 64, Container.MPEG_TS), "video/mp2t");
        assertEquals(1, d.probesSkipped(), "other parameter sets: probed");
        assertEquals(96, other.get(0).geometry().srcW());
        assertEquals(64, other.get(0).geometry().srcH());
    }

    @Test
    void stillImagesDecodeToOneFrame() throws Exception {
        assertEquals(1, all(decoder(Sampling.all(), ResizeMode.LETTERBOX), TestMedia.jpeg(120, 80), "image/jpeg")
            .size());
        final List<DecodedFrame> png = all(decoder(Sampling.all(), ResizeMode.LETTERBOX), TestMedia.png(120, 80),
            "image/png");
        assertEquals(1, png.size());
        assertEquals(120, png.get(0).geometry().srcW());
        // letterbox 120x80 into 64x48: scaled 64x43, centred with 2 padded rows above
        assertEquals(43, png.get(0).geometry().scaledH());
        assertEquals(2, png.get(0).geometry().padY());
    }

    @Test
    void samplingSelectsFrames() throws Exception {
        final byte[] seg = TestMedia.segment(12, 96, 64, Container.MPEG_TS);
        assertEquals(List.of(0, 4, 8), all(decoder(Sampling.parse("every-nth", 4, 0), ResizeMode.STRETCH), seg,
            "video/mp2t").stream().map(DecodedFrame::index).toList());
        // 15 fps source sampled at 5 fps: every third frame
        assertEquals(List.of(0, 3, 6, 9), all(decoder(Sampling.parse("fps", 1, 5.0), ResizeMode.STRETCH), seg,
            "video/mp2t").stream().map(DecodedFrame::index).toList());
        final List<DecodedFrame> keys = all(decoder(Sampling.parse("keyframes", 1, 0), ResizeMode.STRETCH), seg,
            "video/mp2t");
        assertEquals(1, keys.size());
        assertTrue(keys.get(0).keyFrame());
    }

    @Test
    void badInputsFailWithTheirReason() {
        final FrameDecoder d = decoder(Sampling.all(), ResizeMode.STRETCH);
        final byte[] ts = TestMedia.segment(6, 96, 64, Container.MPEG_TS);
        final byte[] mp4 = TestMedia.segment(6, 96, 64, Container.MP4);
        final byte[] jpg = TestMedia.jpeg(96, 64);
        assertReason(DecodeException.Reason.EMPTY, d, new byte[0], "image/jpeg");
        assertReason(DecodeException.Reason.UNSUPPORTED_TYPE, d, jpg, "image/gif");
        assertReason(DecodeException.Reason.CORRUPT, d, random(5000), "image/jpeg");
        assertReason(DecodeException.Reason.TRUNCATED, d, java.util.Arrays.copyOf(jpg, jpg.length / 2), "image/jpeg");
        assertReason(DecodeException.Reason.TRUNCATED, d, java.util.Arrays.copyOf(ts, ts.length - 100),
            "video/mp2t");
        assertReason(DecodeException.Reason.TRUNCATED, d, java.util.Arrays.copyOf(mp4, mp4.length - 300),
            "video/mp4");
        assertReason(DecodeException.Reason.CORRUPT, d, random(188 * 40), "video/mp2t");
    }

    private static FrameDecoder limited(final DecodeLimits limits) {
        return opened(new FrameDecoder(limits, Sampling.all(), new Preprocessor(64, 48, ResizeMode.STRETCH, MEAN,
            STD)));
    }

    @Test
    void payloadOverTheByteLimitIsRefusedBeforeParsing() throws Exception {
        final byte[] jpg = TestMedia.jpeg(96, 64);
        final DecodeLimits d = PipelineConfig.defaults().decodeLimits();
        final FrameDecoder small = limited(new DecodeLimits(jpg.length - 1, d.maxPixels(), d.maxFramesPerSegment(),
            d.maxDecodeMillis()));
        final DecodeException e = assertThrows(DecodeException.class, () -> small.open(jpg, "image/jpeg"));
        assertEquals(DecodeException.Reason.PAYLOAD_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("decode.max-payload-bytes=" + (jpg.length - 1)), e.getMessage());
        assertEquals(1, all(limited(new DecodeLimits(jpg.length, d.maxPixels(), d.maxFramesPerSegment(),
            d.maxDecodeMillis())), jpg, "image/jpeg").size(), "exactly at the limit is fine");
    }

    @Test
    void videoOverThePixelLimitIsRefusedFromItsStreamHeaderBeforeAnyFrameIsDecoded() throws Exception {
        final byte[] seg = TestMedia.segment(6, 160, 96, Container.MPEG_TS);
        final DecodeLimits d = PipelineConfig.defaults().decodeLimits();
        final FrameDecoder tight = limited(new DecodeLimits(d.maxPayloadBytes(), 160 * 96 - 1,
            d.maxFramesPerSegment(), d.maxDecodeMillis()));
        try (FrameStream s = tight.open(seg, "video/mp2t")) {
            final DecodeException e = assertThrows(DecodeException.class, s::next);
            assertEquals(DecodeException.Reason.TOO_MANY_PIXELS, e.reason());
            assertTrue(e.getMessage().contains("stream header declares 160x96"), e.getMessage());
            assertEquals(0, s.decodedFrames(), "refused before the first frame was decoded");
        }
        assertEquals(6, all(limited(new DecodeLimits(d.maxPayloadBytes(), 160 * 96, d.maxFramesPerSegment(),
            d.maxDecodeMillis())), seg, "video/mp2t").size());
    }

    @Test
    void segmentWithMoreFramesThanTheLimitIsRefused() throws Exception {
        final byte[] seg = TestMedia.segment(12, 96, 64, Container.MPEG_TS);
        final DecodeLimits d = PipelineConfig.defaults().decodeLimits();
        final FrameDecoder five = limited(new DecodeLimits(d.maxPayloadBytes(), d.maxPixels(), 5,
            d.maxDecodeMillis()));
        final List<DecodedFrame> before = new ArrayList<>();
        try (FrameStream s = five.open(seg, "video/mp2t")) {
            final DecodeException e = assertThrows(DecodeException.class, () -> {
                DecodedFrame f;
                while ((f = s.next()) != null) {
                    before.add(f);
                }
            });
            assertEquals(DecodeException.Reason.TOO_MANY_FRAMES, e.reason());
            assertTrue(e.getMessage().contains("decode.max-frames-per-segment"), e.getMessage());
        }
        assertEquals(5, before.size(), "the frames within the limit came out first");
    }

    @Test
    void decodeOverTheTimeLimitIsRefused() {
        // with a 0 ms budget, the first check after opening the segment and decoding a frame is already over it
        final byte[] seg = TestMedia.segment(30, 320, 240, Container.MPEG_TS);
        final DecodeLimits d = PipelineConfig.defaults().decodeLimits();
        final FrameDecoder instant = limited(new DecodeLimits(d.maxPayloadBytes(), d.maxPixels(),
            d.maxFramesPerSegment(), 0));
        final DecodeException e = assertThrows(DecodeException.class, () -> all(instant, seg, "video/mp2t"));
        assertEquals(DecodeException.Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("decode.max-decode-ms"), e.getMessage());
    }

    static byte[] random(final int n) {
        final byte[] b = new byte[n];
        new java.util.Random(n).nextBytes(b);
        return b;
    }

    static void assertReason(final DecodeException.Reason reason, final FrameDecoder d, final byte[] payload,
                             final String type) {
        final DecodeException e = assertThrows(DecodeException.class, () -> all(d, payload, type));
        assertEquals(reason, e.reason(), e.getMessage());
    }
}
