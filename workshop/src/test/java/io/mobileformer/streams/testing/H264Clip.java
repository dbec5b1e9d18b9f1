package io.mobileformer.streams.testing;

import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.media.FfmpegLog;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An H.264 clip as NAL units per access unit, ready for RTP packetization: real footage read from an MPEG-TS file
 * ({@link #read}), or made at test time by the synthetic camera and {@link MediaEncoder} (openh264, {@link #make});
 * either way demuxed from MPEG-TS, where H.264 is in Annex B byte-stream form.
 *
 * @param units access units in decode order, each a list of NAL units without start codes
 * @param keys  whether each access unit is a key frame
 * @param pts   each access unit's presentation time, 90 kHz, from 0 at the earliest (a clip with B-frames has them out
 *              of order)
 * @param dts   each access unit's decoding time, 90 kHz, on the same origin (increasing; negative before the first
 *              presentation when frames are reordered)
 * @param sps   the sequence parameter set, for the SDP's sprop-parameter-sets
 * @param pps   the picture parameter set
 */
public record H264Clip(List<List<byte[]>> units, List<Boolean> keys, List<Long> pts, List<Long> dts, double fps,
                       int width, int height, byte[] sps, byte[] pps) {

    /** {@code frames} frames at {@code fps} with a key frame every {@code gop} frames. */
    public static H264Clip make(final int frames, final int width, final int height, final double fps, final int gop)
        throws IOException {
        final List<byte[]> rgb = TestMedia.frames(11, frames, width, height).stream()
            .map(io.mobileformer.streams.synthetic.SyntheticCamera.Frame::rgb).toList();
        final byte[] ts = MediaEncoder.segment(rgb, width, height, fps, gop, MediaEncoder.Container.MPEG_TS);
        return demux(ts, fps);
    }

    /**
     * Real footage: an H.264 MPEG-TS file such as {@code samples/vtest-tail.ts}, every access unit with its own
     * timestamps. Its frame rate is the one its stream declares.
     */
    public static H264Clip read(final Path ts) throws IOException {
        return demux(Files.readAllBytes(ts), 0);
    }

    private static H264Clip demux(final byte[] ts, final double declaredFps) throws IOException {
        final List<List<byte[]>> units = new ArrayList<>();
        final List<Boolean> keys = new ArrayList<>();
        final List<Long> pts = new ArrayList<>();
        final List<Long> dts = new ArrayList<>();
        byte[] sps = null;
        byte[] pps = null;
        double fps = declaredFps;
        int width;
        int height;
        FfmpegLog.install();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(new ByteArrayInputStream(ts))) {
            g.setFormat("mpegts");
            g.start();
            width = g.getImageWidth();
            height = g.getImageHeight();
            if (fps <= 0) {
                fps = g.getFrameRate();
            }
            final AVRational tb = g.getFormatContext().streams(g.getVideoStream()).time_base();
            final AVRational ticks = new AVRational().num(1).den(90_000);
            AVPacket p;
            while ((p = g.grabPacket()) != null) {
                if (p.stream_index() != g.getVideoStream()) {
                    avcodec.av_packet_unref(p);
                    continue;
                }
                final byte[] data = new byte[p.size()];
                p.data().get(data);
                final List<byte[]> nals = new ArrayList<>();
                for (final byte[] nal : split(data)) {
                    final int type = nal[0] & 0x1f;
                    if (type == 7) {
                        sps = nal;
                    } else if (type == 8) {
                        pps = nal;
                    }
                    if (type != 9) {    // access unit delimiters carry nothing RTP needs
                        nals.add(nal);
                    }
                }
                units.add(nals);
                keys.add((p.flags() & avcodec.AV_PKT_FLAG_KEY) != 0);
                pts.add(avutil.av_rescale_q(p.pts(), tb, ticks));
                dts.add(avutil.av_rescale_q(p.dts() == avutil.AV_NOPTS_VALUE ? p.pts() : p.dts(), tb, ticks));
                avcodec.av_packet_unref(p);
            }
            g.stop();
        }
        if (sps == null || pps == null) {
            throw new IOException("the stream carries no SPS/PPS in-band");
        }
        final long origin = pts.stream().mapToLong(Long::longValue).min().orElse(0);
        return new H264Clip(units, keys, pts.stream().map(t -> t - origin).toList(),
            dts.stream().map(t -> t - origin).toList(), fps, width, height, sps, pps);
    }

    /** One frame interval, 90 kHz. */
    public long frameTicks() {
        return Math.round(90_000 / fps);
    }

    /** The clip's length as a loop: its frames, one frame interval each, 90 kHz. */
    public long loopTicks() {
        return units.size() * frameTicks();
    }

    /**
     * How long after its capture (its presentation time) an encoder with this clip's reordering can send an access unit
     * at the earliest, if it sends one per frame interval in decode order: the largest presentation-minus-decoding
     * time, 90 kHz (0 without B-frames).
     */
    public long reorderTicks() {
        long worst = 0;
        for (int i = 0; i < pts.size(); i++) {
            worst = Math.max(worst, pts.get(i) - dts.get(i));
        }
        return worst;
    }

    /**
     * A picture's identity: a digest of its coded slices (NAL types 1-5), which a remuxer copies byte for byte, so a
     * frame found in a published segment can be traced to the clip's frame it came from.
     */
    public static String picture(final List<byte[]> nals) {
        try {
            final java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (final byte[] nal : nals) {
                final int type = nal[0] & 0x1f;
                if (type >= 1 && type <= 5) {
                    md.update(nal);
                }
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (final java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The clip's frames by {@link #picture}: the index of each access unit (decode order). */
    public java.util.Map<String, Integer> pictures() {
        final java.util.Map<String, Integer> m = new java.util.HashMap<>();
        for (int i = 0; i < units.size(); i++) {
            if (m.put(picture(units.get(i)), i) != null) {
                throw new IllegalStateException("two frames of the clip have the same coded slices: " + i);
            }
        }
        return m;
    }

    /** Splits an Annex B byte stream at its 3- and 4-byte start codes. */
    public static List<byte[]> split(final byte[] b) {
        final List<Integer> starts = new ArrayList<>();
        for (int i = 0; i + 2 < b.length; i++) {
            if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
                starts.add(i + 3);
                i += 2;
            }
        }
        final List<byte[]> nals = new ArrayList<>();
        for (int k = 0; k < starts.size(); k++) {
            int end = k + 1 < starts.size() ? starts.get(k + 1) - 3 : b.length;
            while (end > starts.get(k) && b[end - 1] == 0) {
                end--;      // trailing zeros belong to the next 4-byte start code
            }
            if (end > starts.get(k)) {
                final byte[] nal = new byte[end - starts.get(k)];
                System.arraycopy(b, starts.get(k), nal, 0, nal.length);
                nals.add(nal);
            }
        }
        return nals;
    }
}
