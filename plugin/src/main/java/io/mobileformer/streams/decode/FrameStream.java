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
 *
 * <p>Two ways to the same frames: an MPEG-TS segment whose parameter sets {@link FrameDecoder} has seen decodes on the
 * decoder kept for them ({@link TsSegment}: no probe, no decoder opened or closed per segment); everything else, and
 * any segment that path cannot open, through JavaCV's grabber. Limits, sampling, timestamps and error reasons are
 * applied here, the same for both.
 */
public final class FrameStream implements AutoCloseable {
    private final FrameDecoder decoder;
    private final ContentType type;
    private final Sampling.Selector selector;
    private final byte[] payload;
    private final ByteBuffer parameterSets;
    private FFmpegFrameGrabber grabber;
    private TsSegment kept;
    private Frame frame;
    private FfmpegLog.Capture capture;
    private final long startNanos = System.nanoTime();
    private LetterboxGeometry geometry;
    private long firstTimestamp = Long.MIN_VALUE;
    private long lastEmitNanos = startNanos;
    private int index;
    private boolean started;
    private boolean done;
    private boolean clean;

    FrameStream(final FrameDecoder decoder, final byte[] payload, final ContentType type,
                final Sampling.Selector selector) {
        this.decoder = decoder;
        this.type = type;
        this.selector = selector;
        this.payload = payload;
        this.capture = FfmpegLog.begin();
        this.parameterSets = type == ContentType.MPEG_TS ? TsParameterSets.key(payload) : null;
    }

    private FFmpegFrameGrabber grabber() {
        // one-argument constructor: it keeps the stream seekable, which MP4s with the index at the end need
        final FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(payload));
        grabber.setFormat(type.demuxer());
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        // area averaging: a proper low-pass for the large downscales cameras need (1080p -> 256 is 7.5x), at about
        // two thirds of SWS_BILINEAR's cost there (whose filter widens with the ratio); SWS_FAST_BILINEAR aliases
        grabber.setImageScalingFlags(swscale.SWS_AREA);
        grabber.setVideoOption("threads", "1");   // decode on this thread: errors are attributed to this record
        return grabber;
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
            final boolean got;
            try {
                got = kept != null ? kept.next(keyOnly) : grab(keyOnly);
            } catch (final Exception e) {
                throw new DecodeException(Reason.CORRUPT, type.mime() + " decode failed at frame " + index + ": "
                    + detail(e), e);
            }
            checkTime();
            if (!got) {
                finish();
                return null;
            }
            final int i = index++;
            if (i >= decoder.limits().maxFramesPerSegment()) {
                throw new DecodeException(Reason.TOO_MANY_FRAMES, "segment has more than "
                    + decoder.limits().maxFramesPerSegment() + " frames (decode.max-frames-per-segment)");
            }
            final long timestamp = kept != null ? kept.timestamp() : frame.timestamp;
            if (firstTimestamp == Long.MIN_VALUE) {
                firstTimestamp = timestamp;
            }
            final long pts = Math.max(0, timestamp - firstTimestamp);
            if (!selector.keep(i, pts)) {
                continue;
            }
            final Preprocessor pre = decoder.preprocessor();
            final float[] input = new float[pre.inputSize()];
            if (kept != null) {
                pre.toInput(kept.rgb(), kept.stride(), geometry, input, 0);
            } else {
                pre.toInput((ByteBuffer) frame.image[0], frame.imageStride, geometry, input, 0);
            }
            final long now = System.nanoTime();
            final float ms = (now - lastEmitNanos) / 1e6f;
            lastEmitNanos = now;
            return new DecodedFrame(i, pts, kept != null ? kept.keyFrame() : frame.keyFrame, geometry, input, ms);
        }
    }

    private boolean grab(final boolean keyOnly) throws Exception {
        frame = grabber.grabFrame(false, true, true, keyOnly, false);
        return frame != null && frame.image != null;
    }

    private void start() throws DecodeException {
        started = true;
        // the same parameter sets as a segment probed before: the same picture size, so skip FFmpeg's probe (it
        // decodes frames to learn the size, at the cost of decoding the segment again)
        final int[] known = decoder.knownSize(parameterSets);
        if (known != null) {
            decoder.checkPixels(known[0], known[1], type.mime() + " stream header");
            geometry = decoder.preprocessor().geometry(known[0], known[1]);
            kept = decoder.openKept(parameterSets, payload, geometry);
            if (kept != null) {
                decoder.probeSkipped();
                return;
            }
            // what the kept path logged while failing to open is not the record's error: JavaCV's path reports it
            capture = FfmpegLog.begin();
        }
        grabber = grabber();
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
        clean = true;
    }

    private String detail(final Exception e) {
        final String logged = capture.first();
        return logged == null ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + logged + ")";
    }

    /**
     * Frees the demuxer; a kept decoder goes back to {@link FrameDecoder}, flushed when this payload decoded to its
     * end without an error, discarded otherwise.
     */
    @Override
    public void close() {
        FfmpegLog.end();
        if (kept != null) {
            final TsSegment k = kept;
            kept = null;
            decoder.release(parameterSets, k, clean);
        }
        if (grabber == null) {
            return;
        }
        try {
            grabber.close();
        } catch (final Exception e) {
            throw new IllegalStateException("closing the FFmpeg grabber failed", e);
        }
    }
}
