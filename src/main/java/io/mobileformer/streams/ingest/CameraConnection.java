package io.mobileformer.streams.ingest;

import io.mobileformer.streams.decode.FfmpegLog;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;

import java.io.IOException;
import java.util.Locale;

/**
 * One open connection to a camera source, read packet by packet (no decoding): FFmpeg's demuxer through JavaCV's
 * {@link FFmpegFrameGrabber#grabPacket()}. Owns native memory (demuxer, sockets) until {@link #close()}, which the
 * thread that opened it must call.
 *
 * <p>Opening uses {@code startUnsafe()}, not {@code start()}: {@code start()} holds a JVM-wide lock on
 * {@code avcodec.class} for the whole open, network round trips included, so a camera that accepts a TCP connection
 * and then hangs would block every other camera's (re)connect, and every decoder start in the process. The FFmpeg
 * functions {@code startUnsafe()} calls are thread-safe in the FFmpeg versions we ship.
 */
final class CameraConnection implements AutoCloseable {
    private static final AVRational MICROS = new AVRational().num(1).den(1_000_000).retainReference();

    private final SourceLocation source;
    private final FFmpegFrameGrabber grabber;
    private final StallGuard guard;
    private final FfmpegLog.Capture log;
    private final AVStream video;
    private final int videoIndex;
    private boolean closed;

    private CameraConnection(final SourceLocation source, final FFmpegFrameGrabber grabber, final StallGuard guard,
                             final FfmpegLog.Capture log) {
        this.source = source;
        this.grabber = grabber;
        this.guard = guard;
        this.log = log;
        this.videoIndex = grabber.getVideoStream();
        this.video = grabber.getFormatContext().streams(videoIndex);
    }

    /**
     * Connects and reads the stream headers; blocks at most about {@code options.ioTimeoutMs()} per network round
     * trip.
     *
     * @param guard watches this connection from now on; closed here if opening fails, else with the connection
     * @throws IOException with a credential-free message when the source cannot be opened or has no video
     */
    static CameraConnection open(final SourceLocation source, final SourceOptions options, final StallGuard guard)
        throws IOException {
        final FfmpegLog.Capture log = FfmpegLog.begin();
        final FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.input());
        configure(g, source, options);
        try {
            g.startUnsafe(true);
        } catch (final FrameGrabber.Exception | RuntimeException e) {
            release(g);
            guard.close();
            FfmpegLog.end();
            throw new IOException("cannot open " + source.display() + ": " + reason(e.getMessage(), log));
        }
        if (g.getVideoStream() < 0 || g.getFormatContext().streams(g.getVideoStream()) == null) {
            release(g);
            guard.close();
            FfmpegLog.end();
            throw new IOException(source.display() + " has no video stream");
        }
        guard.attach(g.getFormatContext());
        guard.progress(System.nanoTime());
        return new CameraConnection(source, g, guard, log);
    }

    private static void configure(final FFmpegFrameGrabber g, final SourceLocation source,
                                  final SourceOptions options) {
        final String timeoutMicros = Long.toString(options.ioTimeoutMs() * 1000);
        g.setOption("protocol_whitelist", source.protocolWhitelist());
        if (source.isRtsp()) {
            g.setOption("rtsp_transport", options.rtspTransport());
            g.setOption("timeout", timeoutMicros);          // RTSP socket I/O timeout (formerly stimeout)
            g.setOption("allowed_media_types", "video");    // do not SETUP audio we would drop anyway
        } else if (!source.isFile()) {
            g.setOption("timeout", timeoutMicros);          // HTTP socket I/O timeout
            g.setOption("rw_timeout", timeoutMicros);
        }
        // packets are copied, not decoded; keep the decoder JavaCV opens anyway from spawning a thread per core
        g.setVideoOption("threads", "1");
    }

    private static void release(final FFmpegFrameGrabber g) {
        try {
            g.releaseUnsafe();
        } catch (final FrameGrabber.Exception | RuntimeException ignored) {
            // nothing more to free: the failure is reported by the caller
        }
    }

    private static String reason(final String exceptionMessage, final FfmpegLog.Capture log) {
        final String ffmpeg = log.last();
        final String base = CredentialRedactor.redact(exceptionMessage);
        return ffmpeg == null ? base : base + " (" + ffmpeg + ")";
    }

    /** The format context packets come from (for remuxing); valid until {@link #close()}. */
    AVFormatContext formatContext() {
        return grabber.getFormatContext();
    }

    AVStream videoStream() {
        return video;
    }

    AVCodecParameters codecParameters() {
        return video.codecpar();
    }

    int width() {
        return codecParameters().width();
    }

    int height() {
        return codecParameters().height();
    }

    /** Nominal frame rate, or 0 when the source does not say. */
    double fps() {
        final AVRational r = video.avg_frame_rate().num() > 0 ? video.avg_frame_rate() : video.r_frame_rate();
        return r.num() > 0 && r.den() > 0 ? avutil.av_q2d(r) : 0;
    }

    /** {@code h264 1280x720 15.00fps}: for health records and logs. */
    String describe() {
        return String.format(Locale.ROOT, "%s %dx%d %.2ffps", avcodec.avcodec_get_name(codecParameters().codec_id())
            .getString(), width(), height(), fps());
    }

    /**
     * The next video packet, owned by this connection until the next call (pass it on or unref it); {@code null} when
     * a file source ended or {@link StallGuard#stop()} was called.
     *
     * @throws IOException when the source stalled or failed; the message says which, without credentials
     */
    AVPacket read() throws IOException {
        while (true) {
            final AVPacket p;
            try {
                p = grabber.grabPacket();
            } catch (final FrameGrabber.Exception e) {
                throw new IOException("reading " + source.display() + " failed: " + reason(e.getMessage(), log));
            }
            final long now = System.nanoTime();
            if (guard.stopping()) {
                unref(p);
                return null;
            }
            if (guard.stalled(now)) {
                unref(p);
                throw new IOException("stalled: no video packet for " + guard.msSinceProgress(now) + " ms from "
                    + source.display());
            }
            if (p == null) {
                if (source.isFile()) {
                    return null;
                }
                // a live source never ends on its own: whatever FFmpeg said last is the reason it was lost
                throw new IOException("connection to " + source.display() + " lost: " + (log.last() == null
                    ? "the server ended the stream" : log.last()));
            }
            if (p.stream_index() == videoIndex) {
                guard.progress(now);
                return p;
            }
            avcodec.av_packet_unref(p);
        }
    }

    private static void unref(final AVPacket p) {
        if (p != null) {
            avcodec.av_packet_unref(p);
        }
    }

    /** Presentation time of a packet of this connection in microseconds, or {@code Long.MIN_VALUE} if it has none. */
    long ptsMicros(final AVPacket p) {
        return toMicros(p.pts() != avutil.AV_NOPTS_VALUE ? p.pts() : p.dts());
    }

    /** A timestamp of the video stream in microseconds, or {@code Long.MIN_VALUE} for FFmpeg's "no timestamp". */
    long toMicros(final long streamTime) {
        return streamTime == avutil.AV_NOPTS_VALUE ? Long.MIN_VALUE
            : avutil.av_rescale_q(streamTime, video.time_base(), MICROS);
    }

    static boolean isKey(final AVPacket p) {
        return (p.flags() & avcodec.AV_PKT_FLAG_KEY) != 0;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        guard.stop();   // teardown I/O (RTSP TEARDOWN) must not wait out a dead peer
        release(grabber);
        guard.close();
        FfmpegLog.end();
    }
}
