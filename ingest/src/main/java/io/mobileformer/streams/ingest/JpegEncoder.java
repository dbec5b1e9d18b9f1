package io.mobileformer.streams.ingest;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.DoublePointer;

import java.io.IOException;

/**
 * Encodes decoded frames as baseline JPEG with FFmpeg's MJPEG encoder, straight from the decoder's native frame:
 * one swscale pass to full-range YUV 4:2:0 at the source size, no Java image in between (a {@code BufferedImage}
 * round trip costs more than the encode). Owns an encoder context, a conversion context and a frame buffer, rebuilt
 * when the source size or pixel format changes; {@link #close()} frees them.
 */
final class JpegEncoder implements AutoCloseable {
    private static final int TARGET_FORMAT = avutil.AV_PIX_FMT_YUVJ420P;

    private final int quality;
    private AVCodecContext encoder;
    private SwsContext sws;
    private AVFrame converted;
    private final AVPacket packet = avcodec.av_packet_alloc();
    private int width;
    private int height;
    private int sourceFormat = -1;
    private long pts;
    private boolean closed;

    /** @param quality MJPEG quantizer, 2 (best) to 31 */
    JpegEncoder(final int quality) {
        this.quality = quality;
    }

    byte[] encode(final AVFrame source) throws IOException {
        if (closed) {
            throw new IllegalStateException("Trying to encode with a closed JPEG encoder");
        }
        prepare(source.width(), source.height(), source.format());
        swscale.sws_scale(sws, source.data(), source.linesize(), 0, height, converted.data(), converted.linesize());
        converted.pts(pts++);
        int ret = avcodec.avcodec_send_frame(encoder, converted);
        if (ret >= 0) {
            ret = avcodec.avcodec_receive_packet(encoder, packet);
        }
        if (ret < 0) {
            throw new IOException("JPEG encoding failed: " + Ffmpeg.error(ret));
        }
        try {
            final byte[] jpeg = new byte[packet.size()];
            packet.data().get(jpeg);
            return jpeg;
        } finally {
            avcodec.av_packet_unref(packet);
        }
    }

    private void prepare(final int w, final int h, final int format) throws IOException {
        if (encoder != null && w == width && h == height && format == sourceFormat) {
            return;
        }
        freeContexts();
        final AVCodec codec = avcodec.avcodec_find_encoder(avcodec.AV_CODEC_ID_MJPEG);
        if (codec == null) {
            throw new IOException("this FFmpeg build has no MJPEG encoder");
        }
        final AVCodecContext c = avcodec.avcodec_alloc_context3(codec);
        c.width(w).height(h).pix_fmt(TARGET_FORMAT).color_range(avutil.AVCOL_RANGE_JPEG);
        c.time_base(avutil.av_make_q(1, 25));
        c.flags(c.flags() | avcodec.AV_CODEC_FLAG_QSCALE);
        c.global_quality(avutil.FF_QP2LAMBDA * quality);
        c.thread_count(1);
        final int ret = avcodec.avcodec_open2(c, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
        if (ret < 0) {
            avcodec.avcodec_free_context(c);
            throw new IOException("cannot open the MJPEG encoder: " + Ffmpeg.error(ret));
        }
        encoder = c;
        converted = avutil.av_frame_alloc();
        converted.format(TARGET_FORMAT).width(w).height(h).color_range(avutil.AVCOL_RANGE_JPEG);
        if (avutil.av_frame_get_buffer(converted, 0) < 0) {
            throw new IOException("cannot allocate a " + w + "x" + h + " frame");
        }
        sws = swscale.sws_getCachedContext(null, w, h, format, w, h, TARGET_FORMAT, swscale.SWS_BILINEAR, null, null,
            (DoublePointer) null);
        if (sws == null) {
            throw new IOException("cannot convert pixel format " + format + " to JPEG's");
        }
        width = w;
        height = h;
        sourceFormat = format;
    }

    private void freeContexts() {
        if (sws != null) {
            swscale.sws_freeContext(sws);
            sws = null;
        }
        if (converted != null) {
            avutil.av_frame_free(converted);
            converted = null;
        }
        if (encoder != null) {
            avcodec.avcodec_free_context(encoder);
            encoder = null;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        freeContexts();
        avcodec.av_packet_free(packet);
    }
}
