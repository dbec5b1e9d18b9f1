package io.mobileformer.streams.decode;

import io.mobileformer.streams.decode.DecodeException.Reason;
import io.mobileformer.streams.media.FfmpegLog;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.LetterboxGeometry;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;

/**
 * The sampled frames of one payload, pulled one at a time. Owns an FFmpeg demuxer and decoder (native memory) until
 * {@link #close()}; frames handed out are plain Java arrays and outlive it.
 *
 * <p>FFmpeg scales each frame straight to the size it occupies in the model input (swscale, area) and converts it
 * to RGB24; {@link Preprocessor} then normalizes in one pass. The full-resolution RGB frame is never materialized.
 */
public final class FrameStream implements AutoCloseable {
    private final FrameDecoder decoder;
    private final ContentType type;
    private final Sampling.Selector selector;
    private final FFmpegFrameGrabber grabber;
    private final java.nio.ByteBuffer parameterSets;
    private FfmpegLog.Capture capture;
    private final long startNanos = System.nanoTime();
    private LetterboxGeometry geometry;
    private long firstTimestamp = Long.MIN_VALUE;
    private long lastEmitNanos = startNanos;
    private int index;
    private boolean started;
    private boolean done;

    FrameStream(final FrameDecoder decoder, final byte[] payload, final ContentType type,
                final Sampling.Selector selector) {
        this.decoder = decoder;
        this.type = type;
        this.selector = selector;
        this.capture = FfmpegLog.begin();
        // one-argument constructor: it keeps the stream seekable, which MP4s with the index at the end need
        this.grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(payload));
        this.parameterSets = type == ContentType.MPEG_TS ? TsParameterSets.key(payload) : null;
        grabber.setFormat(type.demuxer());
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        // area averaging: a proper low-pass for the large downscales cameras need (1080p -> 256 is 7.5x), at about
        // two thirds of SWS_BILINEAR's cost there (whose filter widens with the ratio); SWS_FAST_BILINEAR aliases
        grabber.setImageScalingFlags(swscale.SWS_AREA);
        grabber.setVideoOption("threads", "1");   // decode on this thread: errors are attributed to this record
    }

    /** Frames decoded so far, sampled or not. */
    public int decodedFrames() {
        return index;
    }

    /** @return the next sampled frame, or {@code null} at the end of a payload that decoded cleanly */
    public DecodedFrame next() throws DecodeException {
        if (done) {
            return null;
        }
        if (!started) {
            start();
        }
        final boolean keyOnly = selector.mode() == Sampling.Mode.KEYFRAMES && type.isVideo();
        while (true) {
            final Frame f;
            try {
                f = grabber.grabFrame(false, true, true, keyOnly, false);
            } catch (final Exception e) {
                throw new DecodeException(Reason.CORRUPT, type.mime() + " decode failed at frame " + index + ": "
                    + detail(e), e);
            }
            checkTime();
            if (f == null || f.image == null) {
                finish();
                return null;
            }
            final int i = index++;
            if (i >= decoder.limits().maxFramesPerSegment()) {
                throw new DecodeException(Reason.TOO_MANY_FRAMES, "segment has more than "
                    + decoder.limits().maxFramesPerSegment() + " frames (decode.max-frames-per-segment)");
            }
            if (firstTimestamp == Long.MIN_VALUE) {
                firstTimestamp = f.timestamp;
            }
            final long pts = Math.max(0, f.timestamp - firstTimestamp);
            if (!selector.keep(i, pts)) {
                continue;
            }
            final Preprocessor pre = decoder.preprocessor();
            final float[] input = new float[pre.inputSize()];
            pre.toInput((ByteBuffer) f.image[0], f.imageStride, geometry, input, 0);
            final long now = System.nanoTime();
            final float ms = (now - lastEmitNanos) / 1e6f;
            lastEmitNanos = now;
            return new DecodedFrame(i, pts, f.keyFrame, geometry, input, ms);
        }
    }

    private void start() throws DecodeException {
        started = true;
        // the same parameter sets as a segment probed before: the same picture size, so skip FFmpeg's probe (it
        // decodes frames to learn the size, at the cost of decoding the segment again)
        final int[] known = decoder.knownSize(parameterSets);
        try {
            grabber.start(known == null);
        } catch (final Exception e) {
            throw new DecodeException(Reason.CORRUPT, "cannot open " + type.mime() + " payload: " + detail(e), e);
        }
        if (grabber.getVideoStream() < 0 || (known == null && grabber.getImageWidth() <= 0)) {
            throw new DecodeException(Reason.NO_FRAMES, type.mime() + " payload has no video stream");
        }
        final int w = known != null ? known[0] : grabber.getImageWidth();
        final int h = known != null ? known[1] : grabber.getImageHeight();
        decoder.checkPixels(w, h, type.mime() + " stream header");
        if (known == null) {
            decoder.rememberSize(parameterSets, w, h);
        } else {
            decoder.probeSkipped();
            // unprobed, JavaCV sizes its buffers from the still-empty stream header and FFmpeg logs "Picture size 0x0
            // is invalid"; those lines, and only those, say nothing about the payload
            if (capture.errors() > 0 && capture.first().contains("Picture size 0x0 is invalid")
                && capture.last().contains("Picture size 0x0 is invalid")) {
                capture = FfmpegLog.begin();
            }
        }
        geometry = decoder.preprocessor().geometry(w, h);
        grabber.setImageWidth(geometry.scaledW());
        grabber.setImageHeight(geometry.scaledH());
    }

    private void checkTime() throws DecodeException {
        final long ms = (System.nanoTime() - startNanos) / 1_000_000;
        if (ms > decoder.limits().maxDecodeMillis()) {
            throw new DecodeException(Reason.TIMEOUT, "decoding took over " + decoder.limits().maxDecodeMillis()
                + " ms (decode.max-decode-ms) after " + index + " frames");
        }
    }

    private void finish() throws DecodeException {
        done = true;
        if (capture.errors() > 0) {
            throw new DecodeException(type.isVideo() ? Reason.CORRUPT : Reason.TRUNCATED, type.mime()
                + " is damaged: the decoder reported " + capture.errors() + " error(s), first: " + capture.first());
        }
        if (index == 0) {
            throw new DecodeException(Reason.NO_FRAMES, type.mime() + " payload decoded to no frames");
        }
    }

    private String detail(final Exception e) {
        final String logged = capture.first();
        return logged == null ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + logged + ")";
    }

    @Override
    public void close() {
        FfmpegLog.end();
        try {
            grabber.close();
        } catch (final Exception e) {
            throw new IllegalStateException("closing the FFmpeg grabber failed", e);
        }
    }
}
