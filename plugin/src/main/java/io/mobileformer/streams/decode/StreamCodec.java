package io.mobileformer.streams.decode;

import io.mobileformer.streams.model.LetterboxGeometry;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.ffmpeg.swscale.SwsFilter;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

import java.nio.ByteBuffer;

import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_flush_buffers;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.swscale.SWS_AREA;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

/**
 * One video decoder and its scaler, kept open across the MPEG-TS segments of one stream (one set of parameter sets,
 * so one codec configuration and one picture size). Owns native memory (codec context, its frame pool, the scaler,
 * the RGB buffer) from construction to {@link #close()}; {@link FrameDecoder} owns the instances and closes each on
 * eviction and on its own close.
 *
 * <p>Why keep it: opening a decoder per segment, and its first frames on a fresh context, cost about as much as
 * decoding the rest of an 8-frame 720p segment (JavaCV without the probe: open 4 ms, first frame 16, other 7 frames
 * 38-42 ms, close 8-10, against about 20 ms for the 8 frames in FFmpeg's own loop). Between segments
 * {@link #flush()} returns the decoder to the state of a fresh one (no reference frame, no buffered output, no
 * timestamp-correction history), so a segment decodes to the same frames whether the context is new or reused.
 *
 * <p>Every setting mirrors {@link FrameStream}'s JavaCV path, so both give the same pixels: one decoder thread (errors
 * are attributed to the record on this thread), SWS_AREA to RGB24 at the letterbox's scaled size, and an output
 * stride rounded up to 64 pixels exactly as JavaCV allocates it (the same buffer layout, so the comparison of the two
 * paths in the tests compares like with like).
 */
final class StreamCodec implements AutoCloseable {
    private final int codecId;
    private final AVCodecContext ctx;
    private final AVFrame picture;
    private final PointerPointer<?> src;
    private final LetterboxGeometry geometry;
    private final BytePointer rgb;
    private final PointerPointer<?> dst;
    private final IntPointer dstStride;
    private final ByteBuffer rgbView;
    private final int stride;
    private SwsContext sws;
    private boolean inUse;
    private boolean evicted;
    private boolean closed;

    /**
     * @param par      the stream's parameters as the demuxer declares them without a probe (codec id; no size yet)
     * @param geometry where the picture lands in the model input, from the size known for these parameter sets
     * @throws DecodeException when FFmpeg cannot open a decoder for the codec
     */
    StreamCodec(final AVCodecParameters par, final LetterboxGeometry geometry) throws DecodeException {
        this.codecId = par.codec_id();
        this.geometry = geometry;
        final AVCodec codec = avcodec_find_decoder(codecId);
        if (codec == null) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "no decoder for codec id " + codecId);
        }
        AVCodecContext c = avcodec_alloc_context3(codec);
        if (c == null) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "cannot allocate a decoder context");
        }
        if (avcodec_parameters_to_context(c, par) < 0) {
            avcodec_free_context(c);
            throw new DecodeException(DecodeException.Reason.CORRUPT, "cannot configure a decoder for codec id "
                + codecId);
        }
        c.thread_count(1);
        if (avcodec_open2(c, codec, (AVDictionary) null) < 0) {
            avcodec_free_context(c);
            throw new DecodeException(DecodeException.Reason.CORRUPT, "cannot open a decoder for codec id "
                + codecId);
        }
        this.ctx = c;
        this.picture = av_frame_alloc();
        // AVFrame begins with its data[] array: the frame is its own plane-pointer array, as JavaCV passes it
        this.src = new PointerPointer<>(picture);
        final int w = geometry.scaledW();
        final int h = geometry.scaledH();
        final int padded = (w + 63) & ~63;
        this.stride = 3 * padded;
        final long size = (long) stride * h;
        this.rgb = new BytePointer(av_malloc(size)).capacity(size);
        this.dst = new PointerPointer<>(1).put(0, rgb);
        this.dstStride = new IntPointer(1).put(0, stride);
        this.rgbView = rgb.asBuffer();
    }

    int codecId() {
        return codecId;
    }

    AVCodecContext context() {
        return ctx;
    }

    AVFrame picture() {
        return picture;
    }

    LetterboxGeometry geometry() {
        return geometry;
    }

    /** Scales the frame now in {@link #picture()} into the RGB buffer; the same call JavaCV makes. */
    void scale() throws DecodeException {
        sws = sws_getCachedContext(sws, ctx.width(), ctx.height(), ctx.pix_fmt(), geometry.scaledW(),
            geometry.scaledH(), AV_PIX_FMT_RGB24, SWS_AREA, (SwsFilter) null, (SwsFilter) null, (DoublePointer) null);
        if (sws == null) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "cannot scale a " + ctx.width() + "x"
                + ctx.height() + " picture of pixel format " + ctx.pix_fmt());
        }
        sws_scale(sws, src, picture.linesize(), 0, ctx.height(), dst, dstStride);
    }

    /** The last scaled picture: packed RGB24 rows {@link #stride()} bytes apart; valid until the next scale. */
    ByteBuffer rgb() {
        return rgbView;
    }

    int stride() {
        return stride;
    }

    /** Drops reference frames and buffered output: the next segment starts as on a new context. */
    void flush() {
        avcodec_flush_buffers(ctx);
    }

    boolean acquire() {
        if (inUse || closed) {
            return false;
        }
        inUse = true;
        return true;
    }

    /** @return whether the codec was evicted while in use, so the caller must close it */
    boolean release() {
        inUse = false;
        return evicted;
    }

    /** Called by the cache on eviction: closes now, or when the segment using it releases it. */
    void evict() {
        evicted = true;
        if (!inUse) {
            close();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sws_freeContext(sws);
        sws = null;
        av_frame_free(picture);
        avcodec_free_context(ctx);
        av_free(rgb);
        src.close();
        dst.close();
        dstStride.close();
    }
}
