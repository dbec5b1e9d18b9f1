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
 * connection's first key frame cannot be decoded and are skipped (counted). A segment that reaches
 * {@code maxBytes} first is published as it is, and packets are skipped until the next key frame. Open GOPs (leading
 * pictures referencing the previous GOP) would decode with errors at the start of a segment; IP cameras use closed
 * GOPs.
 *
 * <p>The muxer writes into memory; nothing touches the disk. Owns the current segment's recorder until
 * {@link #close()}; single-threaded like its camera.
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
    private final CaptureClock clock = new CaptureClock();
    private FFmpegFrameRecorder recorder;
    private ByteArrayOutputStream buffer;
    private long startPts;
    private long captureMicros;
    private int frames;
    private long skipped;

    Segmenter(final CameraConnection connection, final Container container, final long segmentMs, final int maxBytes,
              final Consumer<MediaRecord> out) {
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
            final long capture = clock.captureMicros(pts, arrivalMicros);
            final boolean key = CameraConnection.isKey(packet);
            if (recorder != null && startPts == Long.MIN_VALUE) {
                startPts = pts;     // RTSP's first packet often has no timestamp: measure from the first that has
            }
            if (recorder != null && key && (pts == Long.MIN_VALUE || startPts == Long.MIN_VALUE
                || pts - startPts >= segmentMicros)) {
                finish();
            }
            if (recorder == null) {
                if (!key) {
                    skipped++;
                    return;
                }
                begin(pts, capture);
            }
            recorder.recordPacket(packet);
            frames++;
            if (buffer.size() >= maxBytes) {
                finish();
            }
        } catch (final FrameRecorder.Exception e) {
            discard();
            throw new IOException("remuxing a segment failed: " + Ffmpeg.message(e), e);
        } finally {
            avcodec.av_packet_unref(packet);
        }
    }

    private void begin(final long pts, final long capture) throws FrameRecorder.Exception {
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
        captureMicros = capture;
        frames = 0;
    }

    private void finish() throws FrameRecorder.Exception {
        final FFmpegFrameRecorder r = recorder;
        recorder = null;
        r.stop();
        final double fps = connection.fps();
        out.accept(new MediaRecord(container.mime, buffer.toByteArray(), captureMicros, connection.width(),
            connection.height(), fps > 0 ? fps : null, frames));
        buffer = null;
    }

    private void discard() {
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
        if (recorder != null) {
            try {
                finish();
            } catch (final FrameRecorder.Exception e) {
                discard();
                throw new IOException("closing a segment failed: " + Ffmpeg.message(e), e);
            }
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
