package io.mobileformer.streams.ingest;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;

import java.io.IOException;

/**
 * Decodes the packets of one camera stream into native frames, on the calling thread (one FFmpeg thread per camera:
 * cameras run in parallel already). Owns an FFmpeg decoder context until {@link #close()}.
 */
final class VideoDecoder implements AutoCloseable {

    /** Receives each decoded frame; the frame is only valid during the call. */
    @FunctionalInterface
    interface FrameHandler {
        void frame(AVFrame frame) throws IOException;
    }

    private final AVCodecContext context;
    private final AVFrame frame;
    private long rejectedPackets;
    private boolean closed;

    VideoDecoder(final AVCodecParameters parameters, final AVRational timeBase) throws IOException {
        final AVCodec codec = avcodec.avcodec_find_decoder(parameters.codec_id());
        if (codec == null) {
            throw new IOException("no decoder for " + avcodec.avcodec_get_name(parameters.codec_id()).getString());
        }
        context = avcodec.avcodec_alloc_context3(codec);
        int ret = avcodec.avcodec_parameters_to_context(context, parameters);
        if (ret >= 0) {
            context.pkt_timebase(timeBase);
            context.thread_count(1);
            ret = avcodec.avcodec_open2(context, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
        }
        if (ret < 0) {
            avcodec.avcodec_free_context(context);
            throw new IOException("cannot open the " + codec.name().getString() + " decoder: " + Ffmpeg.error(ret));
        }
        frame = avutil.av_frame_alloc();
    }

    /**
     * Decodes one packet (not consumed: the caller still unrefs it) and hands every frame it completes to
     * {@code handler}. A packet the decoder rejects is counted and skipped: the next key frame recovers.
     */
    void decode(final AVPacket packet, final FrameHandler handler) throws IOException {
        if (closed) {
            throw new IllegalStateException("Trying to decode with a closed video decoder");
        }
        if (avcodec.avcodec_send_packet(context, packet) < 0) {
            rejectedPackets++;
            return;
        }
        while (avcodec.avcodec_receive_frame(context, frame) >= 0) {
            try {
                handler.frame(frame);
            } finally {
                avutil.av_frame_unref(frame);
            }
        }
    }

    long rejectedPackets() {
        return rejectedPackets;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        avutil.av_frame_free(frame);
        avcodec.avcodec_free_context(context);
    }
}
