package io.mobileformer.streams.decode;

import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.ffmpeg.avformat.Write_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;

/**
 * The frames of one MPEG-TS segment, decoded on a {@link StreamCodec} kept from earlier segments of the same stream.
 * Owns a demuxer and its I/O context over the payload (native) until {@link #close()}; the codec is borrowed.
 *
 * <p>Demuxing opens FFmpeg's mpegts demuxer on the byte array without {@code avformat_find_stream_info}: the codec is
 * already configured and the picture size is known from an earlier segment with the same parameter sets. Packets go
 * to the decoder in stream order; at the end of the payload an empty packet drains the frames the decoder still holds
 * (reordering delay with B-frames), so no frame is lost.
 *
 * <p>The loop reproduces JavaCV's {@code grabFrame} for a video-only grab, so both paths give the same frames: send
 * and receive errors are not fatal (FFmpeg conceals damage and logs it; {@link FrameStream} counts those logs), in
 * key-frame mode only packets flagged exactly key are sent and only I pictures are returned, and a timestamp is
 * {@code best_effort_timestamp} in the stream's time base, in microseconds.
 */
final class TsSegment {
    /**
     * Bytes per read callback. JavaCV reads 4096 at a time; a segment is 100 KB to a few MB, so 64 KB means a few
     * dozen Java-to-native copies per segment instead of hundreds (measured with it: opening the demuxer costs 0.2-0.3
     * ms of the 33 ms an 8-frame 720p segment costs in all).
     */
    private static final int IO_BUFFER = 64 * 1024;
    private static final AVInputFormat MPEGTS = avformat.av_find_input_format("mpegts");
    /** The payload the callbacks read: avformat calls them on the calling thread, within open and read calls. */
    private static final ThreadLocal<TsSegment> READING = new ThreadLocal<>();
    private static final Read_packet_Pointer_BytePointer_int READ = new Read_packet_Pointer_BytePointer_int() {
        @Override
        public int call(final Pointer opaque, final BytePointer buf, final int size) {
            final TsSegment s = READING.get();
            final int n = s == null ? 0 : Math.min(size, s.payload.length - s.pos);
            if (n <= 0) {
                return avutil.AVERROR_EOF;
            }
            buf.position(0).put(s.payload, s.pos, n);
            s.pos += n;
            return n;
        }
    }.retainReference();
    private static final Seek_Pointer_long_int SEEK = new Seek_Pointer_long_int() {
        @Override
        public long call(final Pointer opaque, final long offset, final int whence) {
            final TsSegment s = READING.get();
            if (s == null) {
                return -1;
            }
            final long to;
            switch (whence & ~avformat.AVSEEK_FORCE) {
                case avformat.AVSEEK_SIZE:
                    return s.payload.length;
                case 0:
                    to = offset;
                    break;
                case 1:
                    to = s.pos + offset;
                    break;
                case 2:
                    to = s.payload.length + offset;
                    break;
                default:
                    return -1;
            }
            if (to < 0 || to > s.payload.length) {
                return -1;
            }
            s.pos = (int) to;
            return to;
        }
    }.retainReference();

    private final byte[] payload;
    private int pos;
    private StreamCodec codec;
    private AVIOContext io;
    private AVFormatContext fmt;
    private AVPacket pkt;
    private AVStream stream;
    private boolean pending;
    private boolean drained;
    private long timestamp;
    private boolean keyFrame;

    private TsSegment(final byte[] payload) {
        this.payload = payload;
    }

    /**
     * Opens the segment's demuxer, or returns {@code null} when FFmpeg cannot open the payload without a probe or
     * finds no video stream in it (the caller then takes JavaCV's probing path, which reports why).
     */
    static TsSegment open(final byte[] payload) {
        final TsSegment s = new TsSegment(payload);
        if (!s.openDemuxer()) {
            s.close();
            return null;
        }
        return s;
    }

    /** The video stream's parameters as the demuxer declares them without a probe: the codec, not yet the size. */
    AVCodecParameters parameters() {
        return stream.codecpar();
    }

    /** Decodes on {@code c}, which this segment borrows until {@link #close()}. */
    void attach(final StreamCodec c) {
        this.codec = c;
        this.pkt = avcodec.av_packet_alloc();
    }

    private boolean openDemuxer() {
        READING.set(this);
        try {
            final BytePointer buffer = new BytePointer(avutil.av_malloc(IO_BUFFER));
            io = avformat.avio_alloc_context(buffer, IO_BUFFER, 0, null, READ,
                (Write_packet_Pointer_BytePointer_int) null, SEEK);
            fmt = avformat.avformat_alloc_context();
            fmt.pb(io);
            if (avformat.avformat_open_input(fmt, (String) null, MPEGTS, (AVDictionary) null) < 0) {
                fmt = null;         // freed by FFmpeg on failure; the custom I/O context stays ours
                return false;
            }
            // the first video stream with a known codec, as JavaCV chooses it
            for (int i = 0; i < fmt.nb_streams(); i++) {
                final AVStream st = fmt.streams(i);
                final AVCodecParameters par = st.codecpar();
                if (par.codec_type() == avutil.AVMEDIA_TYPE_VIDEO && par.codec_id() != avcodec.AV_CODEC_ID_NONE) {
                    stream = st;
                    return true;
                }
            }
            return false;
        } finally {
            READING.remove();
        }
    }

    /**
     * Decodes up to the next returned frame, scaled into the codec's RGB buffer.
     *
     * @param keyOnly key-frame sampling: other packets are not even sent to the decoder
     * @return false at the end of the segment
     */
    boolean next(final boolean keyOnly) throws DecodeException {
        final AVCodecContext ctx = codec.context();
        final AVFrame picture = codec.picture();
        while (true) {
            if (pending) {
                final int ret = avcodec.avcodec_receive_frame(ctx, picture);
                if (ret >= 0) {
                    if (!keyOnly || picture.pict_type() == avutil.AV_PICTURE_TYPE_I) {
                        final AVRational tb = stream.time_base();
                        timestamp = 1000000L * picture.best_effort_timestamp() * tb.num() / tb.den();
                        keyFrame = (picture.flags() & AVFrame.AV_FRAME_FLAG_KEY) != 0;
                        codec.scale();
                        return true;
                    }
                    continue;
                }
                pending = false;
                if (drained) {
                    return false;
                }
            }
            READING.set(this);
            final int read;
            try {
                avcodec.av_packet_unref(pkt);
                read = avformat.av_read_frame(fmt, pkt);
            } finally {
                READING.remove();
            }
            if (read < 0) {
                // end of payload (or a demuxer error, which JavaCV treats the same): drain the decoder
                avcodec.avcodec_send_packet(ctx, null);
                drained = true;
                pending = true;
            } else if (pkt.stream_index() == stream.index()
                && (!keyOnly || pkt.flags() == avcodec.AV_PKT_FLAG_KEY)) {
                avcodec.avcodec_send_packet(ctx, pkt);
                pending = true;
            }
        }
    }

    ByteBuffer rgb() {
        return codec.rgb();
    }

    int stride() {
        return codec.stride();
    }

    long timestamp() {
        return timestamp;
    }

    boolean keyFrame() {
        return keyFrame;
    }

    StreamCodec codec() {
        return codec;
    }

    private void closeDemuxer() {
        if (fmt != null) {
            avformat.avformat_close_input(fmt);
            fmt = null;
        }
        if (io != null) {
            // FFmpeg may have replaced the buffer it was given; free the one it holds now
            avutil.av_free(io.buffer());
            io.buffer(null);
            avformat.avio_context_free(io);
            io = null;
        }
    }

    /** Frees the demuxer and the packet; the borrowed codec is {@link FrameDecoder}'s to flush or discard. */
    void close() {
        if (pkt != null) {
            avcodec.av_packet_free(pkt);
            pkt = null;
        }
        closeDemuxer();
    }
}
