package io.mobileformer.streams.ingest;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FrameRecorder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Cuts a camera's packets into GOP-aligned segments and remuxes each into its own small container, without
 * re-encoding: packets are copied as they came from the camera ({@link FFmpegFrameRecorder#recordPacket}).
 *
 * <p>A segment starts at a key frame and ends just before the first key frame at or after {@code segmentMs} of video,
 * so every segment decodes on its own (the detection pipeline opens one demuxer per record). Packets before the
 * connection's first key frame cannot be decoded and are skipped (counted), and so is a key frame without a
 * timestamp that would start a segment. A segment that reaches
 * {@code maxBytes} first is published as it is, and packets are skipped until the next key frame. Open GOPs (leading
 * pictures referencing the previous GOP) would decode with errors at the start of a segment; IP cameras use closed
 * GOPs.
 *
 * <p>A record's capture time is its first frame's, from the camera's {@link CaptureClock}, stamped when the segment is
 * finished: by then the clock has seen every packet of the segment, so a burst at connect (FFmpeg hands over the
 * seconds of video its probe buffered all at once) is stamped when it was captured, not when it was read. For the same
 * reason a live segment is not cut while packets arrive at more than twice real time (it is still the burst): a
 * later cut would have to be stamped before the one before it; nor, after a connect, before the clock has settled
 * ({@link CaptureClock#settled()}: a reader draining the backlog slowly would stamp every cut late).
 *
 * <p>The newest packet is held back until the next one arrives (or the connection ends) before it is muxed, which
 * delays nothing that is published: a segment is finished only when a later packet or the end says so. When a camera's
 * side of the connection fails mid-stream, FFmpeg hands over the frame its parser was assembling, and the camera may
 * have been cut off in the middle of it: seen once in {@code RtspIngestIT}, where a killed camera published a frame
 * that matched none it sent (and 8.8 kB less than in the runs that passed). {@link #flushLost()} leaves that frame
 * out (counted as skipped); {@link #flush()} keeps it, since after a stall or a stop it was complete.
 *
 * <p>The muxer writes into memory; nothing touches the disk. Owns the current segment's recorder and the held packet
 * until {@link #close()}; single-threaded like its camera.
 */
final class Segmenter implements PacketSink {

    /** Segment containers and the MIME type the decoder knows them by. */
    enum Container {
        MPEGTS("mpegts", "video/mp2t"), MATROSKA("matroska", "video/x-matroska"), MP4("mp4", "video/mp4");

        final String format;
        final String mime;

        Container(final String format, final String mime) {
            this.format = format;
            this.mime = mime;
        }

        static Container of(final String setting) {
            return valueOf(setting.toUpperCase(Locale.ROOT));
        }
    }

    private final CameraConnection connection;
    private final Container container;
    private final long segmentMicros;
    private final int maxBytes;
    private final Consumer<MediaRecord> out;
    private final CaptureClock clock;
    private FFmpegFrameRecorder recorder;
    private ByteArrayOutputStream buffer;
    private long startPts;
    private long maxPts;
    private long previousPts = Long.MIN_VALUE;
    private long previousRead;
    private int frames;
    private long skipped;
    /** The newest packet of the current segment, not yet muxed (a reference of its own), or null. */
    private AVPacket held;
    private long heldPts;

    Segmenter(final CameraConnection connection, final Container container, final long segmentMs, final int maxBytes,
              final Consumer<MediaRecord> out) {
        this(connection, container, segmentMs, maxBytes, CaptureClock.media(), out);
    }

    /** @param clock the camera's capture clock, told about this connection already */
    Segmenter(final CameraConnection connection, final Container container, final long segmentMs, final int maxBytes,
              final CaptureClock clock, final Consumer<MediaRecord> out) {
        this.clock = clock;
        this.connection = connection;
        this.container = container;
        this.segmentMicros = segmentMs * 1000;
        this.maxBytes = maxBytes;
        this.out = out;
    }

    @Override
    public void accept(final AVPacket packet, final long arrivalMicros) throws IOException {
        try {
            final long pts = connection.ptsMicros(packet);
            clock.observe(pts, arrivalMicros);
            final boolean key = CameraConnection.isKey(packet);
            // the packet before this one was whole: it goes into its segment now
            writeHeld(arrivalMicros);
            if (recorder != null && key && pts != Long.MIN_VALUE && pts - startPts >= segmentMicros
                && !burst(pts, arrivalMicros) && clock.settled()) {
                finish(arrivalMicros);
            }
            if (pts != Long.MIN_VALUE) {
                // the newest presentation time so far, not the last packet's: with B-frames packets come in decode
                // order, and a key frame after a B-frame is not ahead of real time by the B-frame's reordering
                previousPts = Math.max(previousPts, pts);
                previousRead = arrivalMicros;
            }
            if (recorder == null) {
                // a segment's capture time is its first frame's: a frame without a timestamp (RTSP's first packet
                // often has none) cannot be placed on the timeline, so a segment waits for a timed key frame
                if (!key || pts == Long.MIN_VALUE) {
                    skipped++;
                    return;
                }
                begin(pts);
            }
            held = avcodec.av_packet_clone(packet);
            if (held == null) {
                throw new IOException("out of memory holding a packet of " + connection.describe());
            }
            heldPts = pts;
        } catch (final FrameRecorder.Exception e) {
            discard();
            throw new IOException("remuxing a segment failed: " + Ffmpeg.message(e), e);
        } finally {
            avcodec.av_packet_unref(packet);
        }
    }

    /** Muxes the held packet into the current segment, which it belongs to; a segment now too large is finished. */
    private void writeHeld(final long nowMicros) throws FrameRecorder.Exception {
        if (held == null) {
            return;
        }
        try {
            recorder.recordPacket(held);
        } finally {
            freeHeld();
        }
        frames++;
        if (heldPts != Long.MIN_VALUE) {
            maxPts = maxPts == Long.MIN_VALUE ? heldPts : Math.max(maxPts, heldPts);
        }
        if (buffer.size() >= maxBytes) {
            finish(nowMicros);
        }
    }

    private void freeHeld() {
        if (held != null) {
            avcodec.av_packet_free(held);
            held = null;
        }
    }

    /**
     * Whether a live packet came in faster than twice real time after the one before (in presentation time, the
     * newest so far): the burst of video FFmpeg's
     * probe buffered at connect is still being read. Cutting inside it would stamp the cut with an offset the rest of
     * the burst then lowers, so the next segment would start before this one ended.
     */
    private boolean burst(final long pts, final long arrivalMicros) {
        return clock.wallBound() && previousPts != Long.MIN_VALUE
            && arrivalMicros - previousRead < (pts - previousPts) / 2;
    }

    private void begin(final long pts) throws FrameRecorder.Exception {
        buffer = new ByteArrayOutputStream(256 * 1024);
        final FFmpegFrameRecorder r = new FFmpegFrameRecorder(buffer, connection.width(), connection.height(), 0);
        r.setFormat(container.format);
        if (container == Container.MP4) {
            // the output cannot seek back to write the index, so write a fragmented MP4 (index up front)
            r.setOption("movflags", "frag_keyframe+empty_moov+default_base_moof");
        }
        if (avcodec.avcodec_find_encoder(connection.codecParameters().codec_id()) == null) {
            // JavaCV looks up an encoder even when it only copies packets; none is opened, any name will do
            r.setVideoCodecName("rawvideo");
        }
        // JavaCV copies the input stream's parameters, codec tag included; a tag is container-specific (an MPEG-TS
        // stream type means nothing to Matroska, which then refuses the header), so let the muxer choose its own
        connection.codecParameters().codec_tag(0);
        try {
            r.start(connection.formatContext());
        } catch (final FrameRecorder.Exception e) {
            r.release();
            throw e;
        }
        recorder = r;
        startPts = pts;
        maxPts = pts;
        frames = 0;
    }

    private void finish(final long nowMicros) throws FrameRecorder.Exception {
        final FFmpegFrameRecorder r = recorder;
        recorder = null;
        r.stop();
        final long span = maxPts - startPts;
        final long captureMicros = clock.stamp(startPts, span, nowMicros);
        final double fps = connection.fps();
        out.accept(new MediaRecord(container.mime, buffer.toByteArray(), captureMicros, connection.width(),
            connection.height(), fps > 0 ? fps : null, frames));
        buffer = null;
    }

    private void discard() {
        freeHeld();
        if (recorder != null) {
            try {
                recorder.release();
            } catch (final FrameRecorder.Exception ignored) {
                // the segment is dropped either way
            }
            recorder = null;
            buffer = null;
        }
    }

    @Override
    public void flush() throws IOException {
        end(false);
    }

    @Override
    public void flushLost() throws IOException {
        end(true);
    }

    /** The connection ended: the segment is finished, with or without the held last frame. */
    private void end(final boolean dropLast) throws IOException {
        try {
            if (dropLast && held != null) {
                freeHeld();
                skipped++;
            }
            final long now = System.currentTimeMillis() * 1000;
            writeHeld(now);
            if (recorder != null) {
                clock.forgetLast();     // the connection ended: its last frame may be a parser flush (see there)
                if (frames == 0) {
                    discard();          // its only frame was the one left out
                } else {
                    finish(now);
                }
            }
        } catch (final FrameRecorder.Exception e) {
            discard();
            throw new IOException("closing a segment failed: " + Ffmpeg.message(e), e);
        }
    }

    @Override
    public long skippedPackets() {
        return skipped;
    }

    @Override
    public void close() {
        discard();
    }
}
