package io.mobileformer.streams.clip;

import io.mobileformer.streams.media.FfmpegLog;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A recorded clip played as a camera would publish it: cut into GOP-aligned MPEG-TS segments by copying its packets
 * (no re-encoding, so the pixels the pipeline decodes are the clip's own and frame {@code k} of the clip is frame
 * {@code k - firstFrame} of its segment). A segment starts at a key frame and ends before the first key frame at or
 * after {@code minFrames} frames, like the ingest's segmenter does for a live camera.
 *
 * <p>Everything native (demuxer, muxers, packets) is opened and released inside each call.
 */
public final class ClipSegments {

    /** One segment: the clip's frames {@code firstFrame .. firstFrame + frames - 1}, as an MPEG-TS payload. */
    public record Segment(int firstFrame, int frames, byte[] payload) {
    }

    /** The cut clip: its segments in order and its geometry. */
    public record Clip(int width, int height, double fps, List<Segment> segments) {
        public int frames() {
            return segments.stream().mapToInt(Segment::frames).sum();
        }
    }

    private ClipSegments() {
    }

    public static Clip cut(final Path file, final int minFrames) throws IOException {
        FfmpegLog.install();    // FFmpeg's own log goes to the JVM's logger, not to the console
        final List<Segment> segments = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.start();
            final int video = g.getVideoStream();
            final int width = g.getImageWidth();
            final int height = g.getImageHeight();
            final double fps = g.getFrameRate();
            FFmpegFrameRecorder rec = null;
            ByteArrayOutputStream buf = null;
            int first = 0;
            int n = 0;
            int index = 0;
            try {
                AVPacket p;
                while ((p = g.grabPacket()) != null) {
                    try {
                        if (p.stream_index() != video) {
                            continue;
                        }
                        final boolean key = (p.flags() & avcodec.AV_PKT_FLAG_KEY) != 0;
                        if (rec != null && key && n >= minFrames) {
                            rec.stop();
                            rec.release();
                            rec = null;
                            segments.add(new Segment(first, n, buf.toByteArray()));
                        }
                        if (rec == null) {
                            if (!key) {
                                throw new IOException(file + ": frame " + index + " starts a segment but is not a key "
                                    + "frame (the clip must start with one)");
                            }
                            buf = new ByteArrayOutputStream(512 * 1024);
                            rec = new FFmpegFrameRecorder(buf, width, height, 0);
                            rec.setFormat("mpegts");
                            rec.start(g.getFormatContext());
                            first = index;
                            n = 0;
                        }
                        rec.recordPacket(p);
                        n++;
                        index++;
                    } finally {
                        avcodec.av_packet_unref(p);
                    }
                }
                if (rec != null) {
                    rec.stop();
                    segments.add(new Segment(first, n, buf.toByteArray()));
                }
            } finally {
                if (rec != null) {
                    rec.release();
                }
            }
            if (segments.isEmpty()) {
                throw new IOException(file + ": no video frames");
            }
            return new Clip(width, height, fps, List.copyOf(segments));
        }
    }

    /** Packed RGB24 pixels of the given frames of a clip (for drawing what the pipeline found). */
    public static Map<Integer, byte[]> rgb(final Path file, final Set<Integer> frames) throws IOException {
        FfmpegLog.install();
        final Map<Integer, byte[]> out = new HashMap<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            // the grabber's default output is packed BGR24 (asking for RGB24 also offers the demuxer a pixel_format
            // option it rejects, noisily); B and R are swapped while copying
            g.start();
            Frame f;
            int index = 0;
            while ((f = g.grabImage()) != null && out.size() < frames.size()) {
                if (frames.contains(index)) {
                    final int w = f.imageWidth;
                    final int h = f.imageHeight;
                    final ByteBuffer b = (ByteBuffer) f.image[0];
                    final byte[] rgb = new byte[w * h * 3];
                    for (int y = 0; y < h; y++) {
                        b.position(y * f.imageStride);
                        b.get(rgb, y * w * 3, w * 3);
                    }
                    for (int i = 0; i < rgb.length; i += 3) {
                        final byte blue = rgb[i];
                        rgb[i] = rgb[i + 2];
                        rgb[i + 2] = blue;
                    }
                    out.put(index, rgb);
                }
                index++;
            }
        }
        return out;
    }
}
