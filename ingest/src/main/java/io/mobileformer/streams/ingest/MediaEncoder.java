package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.FfmpegLog;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Encodes RGB24 frames the way cameras deliver them: JPEG/PNG stills, and H.264 segments in MPEG-TS, MP4 (index at
 * the end, or at the front with {@code faststart}) or Matroska. Used by the synthetic camera and the tests; the camera
 * side, not the analysis path (so {@code ImageIO} is acceptable here).
 */
public final class MediaEncoder {

    private MediaEncoder() {
    }

    public static byte[] jpeg(final byte[] rgb, final int w, final int h) throws IOException {
        return still(rgb, w, h, "jpg");
    }

    public static byte[] png(final byte[] rgb, final int w, final int h) throws IOException {
        return still(rgb, w, h, "png");
    }

    /** Packed RGB24 as a Java2D image (which stores BGR), for encoding or drawing on. */
    public static BufferedImage toImage(final byte[] rgb, final int w, final int h) {
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        final byte[] dst = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < w * h; i++) {
            dst[3 * i] = rgb[3 * i + 2];
            dst[3 * i + 1] = rgb[3 * i + 1];
            dst[3 * i + 2] = rgb[3 * i];
        }
        return img;
    }

    private static byte[] still(final byte[] rgb, final int w, final int h, final String format) throws IOException {
        final BufferedImage img = toImage(rgb, w, h);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("no ImageIO writer for " + format);
        }
        return out.toByteArray();
    }

    /** Container for {@link #segment}. */
    public enum Container {
        MPEG_TS("mpegts", ".ts"), MP4("mp4", ".mp4"), MP4_FASTSTART("mp4", ".mp4"), MATROSKA("matroska", ".mkv");

        final String format;
        final String suffix;

        Container(final String format, final String suffix) {
            this.format = format;
            this.suffix = suffix;
        }
    }

    /**
     * Encodes frames as one H.264 segment starting with a key frame (GOP = the whole segment unless {@code gop} is
     * smaller).
     */
    public static byte[] segment(final List<byte[]> rgbFrames, final int w, final int h, final double fps,
                                 final int gop, final Container container) throws IOException {
        FfmpegLog.install();
        final Path tmp = Files.createTempFile("mfs-seg-", container.suffix);
        try {
            try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(tmp.toFile(), w, h, 0);
                 Frame frame = new Frame(w, h, Frame.DEPTH_UBYTE, 3)) {
                rec.setFormat(container.format);
                rec.setVideoCodec(avcodec.AV_CODEC_ID_H264);
                rec.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
                rec.setFrameRate(fps);
                rec.setGopSize(gop);
                rec.setVideoBitrate(Math.max(200_000, w * h * 4));
                if (container == Container.MP4_FASTSTART) {
                    rec.setOption("movflags", "+faststart");
                }
                rec.start();
                for (final byte[] rgb : rgbFrames) {
                    final ByteBuffer buf = (ByteBuffer) frame.image[0];
                    final int stride = frame.imageStride;
                    for (int y = 0; y < h; y++) {
                        buf.position(y * stride);
                        buf.put(rgb, y * w * 3, w * 3);
                    }
                    buf.rewind();
                    rec.record(frame, avutil.AV_PIX_FMT_RGB24);
                }
                rec.stop();
            }
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
