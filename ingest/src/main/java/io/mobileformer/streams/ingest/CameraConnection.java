package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.FfmpegLog;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avcodec.AVRTCPSenderReport;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.util.Locale;

/**
 * One open connection to a camera source, read packet by packet (no decoding) with FFmpeg's demuxer. Owns native
 * memory (format context, sockets, one packet) until {@link #close()}, which the thread that opened it must call.
 *
 * <p>FFmpeg is driven directly here rather than through JavaCV's {@code FFmpegFrameGrabber}, for two reasons found
 * while testing against hanging cameras. The grabber allocates its format context inside {@code start()}, so an
 * interrupt callback can only be attached after the open, and FFmpeg copies the callback into each protocol context
 * (the RTSP socket) when that is opened: a callback attached later is never consulted while reading RTSP over TCP,
 * and a server that keeps sending non-video data would hold the read forever. Here the {@link StallGuard} is attached
 * to a context allocated before the open, so it bounds the open, every read and the close. And {@code start()} holds
 * a JVM-wide lock on {@code avcodec.class} during the whole network open, so one hanging camera would block every
 * other camera's connect (and every decoder start in the process). The remuxer ({@link Segmenter}) still uses
 * JavaCV's recorder, fed from this context.
 */
final class CameraConnection implements AutoCloseable {
    private static final AVRational MICROS = new AVRational().num(1).den(1_000_000).retainReference();

    static {
        avformat.avformat_network_init();
    }

    private final SourceLocation source;
    private final AVFormatContext context;
    private final AVPacket packet = avcodec.av_packet_alloc();
    private final StallGuard guard;
    private final FfmpegLog.Capture log;
    private final AVStream video;
    private final int videoIndex;
    private final long openMillis;
    private double learntFps;
    private long newestPts = Long.MIN_VALUE;
    private final SenderClock senderClock = new SenderClock();
    private boolean closed;
    private boolean lostMidStream;

    private CameraConnection(final SourceLocation source, final AVFormatContext context, final int videoIndex,
                             final StallGuard guard, final FfmpegLog.Capture log, final long openMillis) {
        this.openMillis = openMillis;
        this.source = source;
        this.context = context;
        this.guard = guard;
        this.log = log;
        this.videoIndex = videoIndex;
        this.video = context.streams(videoIndex);
    }

    /**
     * Connects and reads the stream headers. Bounded by the socket timeout per network round trip, by the stall
     * timeout overall, and by {@link StallGuard#stop()}.
     *
     * @param guard watches this connection from now on; closed here if opening fails, else with the connection
     * @throws IOException with a credential-free message when the source cannot be opened or has no video
     */
    static CameraConnection open(final SourceLocation source, final SourceOptions options, final StallGuard guard)
        throws IOException {
        return open(source, options, guard, null);
    }

    /**
     * What a connection learnt about a camera's stream, for the next connection to the same camera: with it, FFmpeg's
     * probe stops once it knows the codec and the picture size instead of also timing 20 frames to estimate the
     * frame rate (most of the ~2 s a connect took on loopback RTSP), and the frame rate comes from here when the
     * stream itself does not declare it.
     */
    record Learnt(int codecId, int width, int height, double fps) {
    }

    /** What this connection knows about its stream, for the camera's next connection. */
    Learnt learnt() {
        return new Learnt(codecParameters().codec_id(), width(), height(), fps());
    }

    /**
     * @param learnt what the camera's previous connection learnt about its stream, or {@code null}
     */
    static CameraConnection open(final SourceLocation source, final SourceOptions options, final StallGuard guard,
                                 final Learnt learnt) throws IOException {
        final FfmpegLog.Capture log = FfmpegLog.begin();
        final long start = System.nanoTime();
        final AVFormatContext ctx = avformat.avformat_alloc_context();
        guard.attach(ctx);
        guard.progress(start);
        final AVDictionary opts = options(source, options);
        if (learnt != null && learnt.fps() > 0 && !source.isFile()) {
            avutil.av_dict_set(opts, "fpsprobesize", "0", 0);   // the frame rate is known: do not time frames for it
        }
        int ret = avformat.avformat_open_input(ctx, source.input(), null, opts);
        avutil.av_dict_free(opts);
        if (ret >= 0) {
            ret = avformat.avformat_find_stream_info(ctx, (PointerPointer<?>) null);
            if (ret < 0) {
                avformat.avformat_close_input(ctx);   // after a successful open, closing is ours to do
            }
        }
        // (a failed avformat_open_input frees the context itself)
        if (ret < 0) {
            final boolean refused = refusedCredentials(ret, log.last());
            final String message = "cannot open " + source.display() + " (gave up after "
                + (System.nanoTime() - start) / 1_000_000 + " ms): " + reason(ret, guard, log);
            guard.close();
            FfmpegLog.end();
            throw refused ? new CredentialsRefused(message) : new IOException(message);
        }
        final int video = avformat.av_find_best_stream(ctx, avutil.AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
        final AVCodecParameters par = video < 0 ? null : ctx.streams(video).codecpar();
        if (par == null || par.width() <= 0 || par.height() <= 0) {
            avformat.avformat_close_input(ctx);
            guard.close();
            FfmpegLog.end();
            // a camera that answers RTSP but sends no frame leaves the stream without a size; a muxer needs one
            throw new IOException(source.display() + (video < 0 ? " has no video stream"
                : " sent no video frame to read its size from within " + (System.nanoTime() - start) / 1_000_000
                + " ms"));
        }
        guard.streaming(options.ioTimeoutMs());
        final CameraConnection c = new CameraConnection(source, ctx, video, guard, log,
            (System.nanoTime() - start) / 1_000_000);
        if (learnt != null && c.fps() <= 0 && learnt.codecId() == par.codec_id() && learnt.width() == par.width()
            && learnt.height() == par.height()) {
            c.learntFps = learnt.fps();     // the same stream as before: its frame rate has not changed
        }
        return c;
    }

    /**
     * Whether the source refused the credentials: RTSP and HTTP 401 or 403. FFmpeg maps both status codes to their own
     * error codes; its last log line is checked too, for demuxers that report the status only in words.
     */
    static boolean refusedCredentials(final int code, final String lastLog) {
        if (code == avutil.AVERROR_HTTP_UNAUTHORIZED || code == avutil.AVERROR_HTTP_FORBIDDEN) {
            return true;
        }
        return lastLog != null && (lastLog.contains("401 Unauthorized") || lastLog.contains("403 Forbidden"));
    }

    /** The source refused the credentials (401/403): retrying at the network pace would lock the account. */
    static final class CredentialsRefused extends IOException {
        CredentialsRefused(final String message) {
            super(message);
        }
    }

    private static AVDictionary options(final SourceLocation source, final SourceOptions options) {
        final String timeoutMicros = Long.toString(options.ioTimeoutMs() * 1000);
        final AVDictionary d = new AVDictionary(null);
        avutil.av_dict_set(d, "protocol_whitelist", source.protocolWhitelist(), 0);
        if (source.isRtsp()) {
            avutil.av_dict_set(d, "rtsp_transport", options.rtspTransport(), 0);
            avutil.av_dict_set(d, "timeout", timeoutMicros, 0);          // RTSP socket I/O timeout (was stimeout)
            avutil.av_dict_set(d, "allowed_media_types", "video", 0);    // do not SETUP audio we would drop
        } else if (!source.isFile()) {
            avutil.av_dict_set(d, "timeout", timeoutMicros, 0);          // HTTP socket I/O timeout
            avutil.av_dict_set(d, "rw_timeout", timeoutMicros, 0);
        }
        return d;
    }

    /** Why FFmpeg failed, in words: the stall guard's verdict first, then FFmpeg's own last error, then the code. */
    private static String reason(final int code, final StallGuard guard, final FfmpegLog.Capture log) {
        final StringBuilder sb = new StringBuilder();
        if (guard.stopping()) {
            sb.append("stopped; ");
        } else if (code == avutil.AVERROR_EXIT()) {
            sb.append("no new video for ").append(guard.msSinceProgress(System.nanoTime()))
                .append(" ms (").append(guard.limitKey()).append("); ");
        }
        if (log.last() != null) {
            sb.append("FFmpeg: ").append(log.last()).append("; ");
        }
        return sb.append(Ffmpeg.error(code)).toString();
    }

    /**
     * Whether the last {@link #read()} failed because the camera's side of a live connection ended or broke (not a
     * stall our guard interrupted, not a stop): the frame FFmpeg's parser handed over just before may be cut.
     */
    boolean lostMidStream() {
        return lostMidStream;
    }

    /** How long opening took: connecting, the handshake and FFmpeg's probe of the stream, milliseconds. */
    long openMillis() {
        return openMillis;
    }

    /** The format context packets come from (for remuxing); valid until {@link #close()}. */
    AVFormatContext formatContext() {
        return context;
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
        return r.num() > 0 && r.den() > 0 ? avutil.av_q2d(r) : learntFps;
    }

    /**
     * How long after a live frame arrives FFmpeg hands it over at the least: one frame interval, because the H.264 and
     * H.265 parsers that split RTSP and HTTP streams into frames close an access unit only when the next begins
     * (measured on loopback RTSP: every frame read 66 ms after it was sent, at 15 fps). 0 for files, for codecs sent
     * as whole frames (MJPEG), and when the frame rate is unknown.
     */
    long deliveryDelayMicros() {
        final int codec = codecParameters().codec_id();
        final double fps = fps();
        if (source.isFile() || fps <= 0 || codec != avcodec.AV_CODEC_ID_H264 && codec != avcodec.AV_CODEC_ID_HEVC) {
            return 0;
        }
        return Math.round(1e6 / fps);
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
     * @throws IOException when the source stalled, failed or (for a live source) ended; the message says which,
     *                     without credentials
     */
    AVPacket read() throws IOException {
        if (closed) {
            throw new IllegalStateException("Trying to read a closed camera connection to " + source.display());
        }
        while (true) {
            final int ret = avformat.av_read_frame(context, packet);
            final long now = System.nanoTime();
            if (guard.stopping()) {
                avcodec.av_packet_unref(packet);
                return null;
            }
            if (ret < 0) {
                if (ret == avutil.AVERROR_EOF() && source.isFile()) {
                    return null;
                }
                // a live source never ends on its own: an end is a lost connection. Unless our guard interrupted a
                // silent one, the camera's side failed and may have stopped in the middle of a frame
                lostMidStream = ret != avutil.AVERROR_EXIT() && !guard.stopping();
                throw new IOException("connection to " + source.display() + " lost " + guard.msSinceProgress(now)
                    + " ms after the last video packet: " + reason(ret, guard, log));
            }
            if (packet.stream_index() == videoIndex) {
                // only video newer than any before, and arriving within the limit, is progress. When the guard
                // interrupts a silent connection FFmpeg flushes its parser and hands over the last frame it held: that
                // frame is passed on (no data lost) but must not restart the silence clock, else a frozen camera is
                // held for twice the timeout; nor may a late or repeated packet trickling in
                final long pts = ptsMicros(packet);
                if (!guard.stalled(now) && (pts == Long.MIN_VALUE || pts > newestPts)) {
                    newestPts = pts == Long.MIN_VALUE ? newestPts : pts;
                    guard.progress(now);
                }
                return packet;
            }
            avcodec.av_packet_unref(packet);
            if (guard.stalled(now)) {
                throw new IOException("stalled: packets but no new video for " + guard.msSinceProgress(now) + " ms ("
                    + guard.limitKey() + ") from " + source.display());
            }
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

    /**
     * The camera's clock from its RTCP sender reports, as of this packet: the wall-clock time, on the camera's clock,
     * of PTS 0 on this connection, microseconds since the epoch; {@code Long.MIN_VALUE} until a report came (or for
     * sources without RTCP). FFmpeg's RTSP demuxer sets {@code start_time_realtime} from the first sender report it
     * reads and never updates it, and on a single-stream session it does not fold reports into packet timestamps (it
     * does so only to sync several streams), so PTS stay the RTP timestamps; every later report comes as side data on
     * a packet ({@code AV_PKT_DATA_RTCP_SR}) and keeps the anchor on the camera's newest word ({@link SenderClock}).
     * Call for every packet, in reading order, before it is passed on.
     */
    long senderClockMicros(final AVPacket p) {
        if (!source.isRtsp()) {
            return Long.MIN_VALUE;
        }
        final long start = context.start_time_realtime() == avutil.AV_NOPTS_VALUE ? Long.MIN_VALUE
            : context.start_time_realtime();
        final BytePointer side = avcodec.av_packet_get_side_data(p, avcodec.AV_PKT_DATA_RTCP_SR, (SizeTPointer) null);
        if (side != null && !side.isNull()) {
            final AVRTCPSenderReport r = new AVRTCPSenderReport(side);
            senderClock.report(start, r.ntp_timestamp(), r.rtp_timestamp(), this::toMicros);
        }
        return senderClock.ptsZeroMicros(start);
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
        avformat.avformat_close_input(context);
        avcodec.av_packet_free(packet);
        guard.close();
        FfmpegLog.end();
    }
}
