package io.mobileformer.streams.decode;

import io.mobileformer.streams.cli.SystemFfmpeg;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.topology.PipelineConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * H.265 and MJPEG in each container the pipeline accepts, made by Debian's ffmpeg at test time (our bundled FFmpeg
 * has no H.265 encoder); H.264 in each container is covered by {@link FrameDecoderTest} with our own encoder.
 */
class CodecMatrixTest {
    private static final String HEVC = "-c:v libx265 -pix_fmt yuv420p -x265-params log-level=none:keyint=12";
    private static final String MJPEG = "-c:v mjpeg -pix_fmt yuvj420p -q:v 5";

    /** Decoders the tests made; they keep native codec contexts, so each test closes its own. */
    private static final List<FrameDecoder> OPENED = new ArrayList<>();

    @AfterEach
    void closeDecoders() {
        OPENED.forEach(FrameDecoder::close);
        OPENED.clear();
    }

    private static FrameDecoder decoder() {
        final FrameDecoder d = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
            new Preprocessor(64, 48, ResizeMode.STRETCH, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f}));
        OPENED.add(d);
        return d;
    }

    @ParameterizedTest(name = "{0} in {1}")
    @CsvSource({
        "hevc,  mpegts,   video/mp2t",
        "hevc,  mp4,      video/mp4",
        "hevc,  matroska, video/x-matroska",
        "mjpeg, mp4,      video/mp4",
        "mjpeg, matroska, video/x-matroska"})
    void decodesEveryFrameAtTheSourceSize(final String codec, final String format, final String mime)
        throws Exception {
        assumeTrue(SystemFfmpeg.available(), SystemFfmpeg.MISSING);
        final byte[] payload = SystemFfmpeg.testPattern(12, 160, 96, 15, codec.equals("hevc") ? HEVC : MJPEG, format);
        final List<DecodedFrame> frames = FrameDecoderTest.all(decoder(), payload, mime);
        assertEquals(12, frames.size(), codec + " in " + format);
        for (int i = 0; i < frames.size(); i++) {
            assertEquals(i, frames.get(i).index());
            assertEquals(160, frames.get(i).geometry().srcW());
            assertEquals(96, frames.get(i).geometry().srcH());
        }
        assertTrue(frames.get(0).keyFrame());
        assertTrue(frames.get(11).ptsMicros() > frames.get(1).ptsMicros());
        // the test pattern is not flat: the preprocessed input varies (a decoder that output grey would not)
        final float[] in = frames.get(5).input();
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (final float v : in) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(max - min > 2, "input range " + min + ".." + max);
    }

    /**
     * MPEG-TS has no stream type for MJPEG (ISO/IEC 13818-1 defines none); FFmpeg writes it as private data, which no
     * demuxer maps back to video. Such a payload is refused (dead-lettered) rather than silently giving no frames.
     */
    @Test
    void mjpegInMpegTsHasNoVideoStreamAndIsRefused() throws Exception {
        assumeTrue(SystemFfmpeg.available(), SystemFfmpeg.MISSING);
        final byte[] payload = SystemFfmpeg.testPattern(12, 160, 96, 15, MJPEG, "mpegts");
        final DecodeException e = assertThrows(DecodeException.class,
            () -> FrameDecoderTest.all(decoder(), payload, "video/mp2t"));
        assertEquals(DecodeException.Reason.CORRUPT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("Did not find a video"), e.getMessage());
    }
}
