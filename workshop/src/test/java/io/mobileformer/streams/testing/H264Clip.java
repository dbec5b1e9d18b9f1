package io.mobileformer.streams.testing;

import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.media.FfmpegLog;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An H.264 clip as NAL units per access unit, ready for RTP packetization: made at test time by the synthetic camera
 * and {@link MediaEncoder} (openh264), then demuxed from MPEG-TS, where H.264 is in Annex B byte-stream form.
 *
 * @param units access units in decode order, each a list of NAL units without start codes
 * @param keys  whether each access unit is a key frame
 * @param sps   the sequence parameter set, for the SDP's sprop-parameter-sets
 * @param pps   the picture parameter set
 */
public record H264Clip(List<List<byte[]>> units, List<Boolean> keys, double fps, int width, int height, byte[] sps,
                       byte[] pps) {

    /** {@code frames} frames at {@code fps} with a key frame every {@code gop} frames. */
    public static H264Clip make(final int frames, final int width, final int height, final double fps, final int gop)
        throws IOException {
        final List<byte[]> rgb = TestMedia.frames(11, frames, width, height).stream()
            .map(io.mobileformer.streams.synthetic.SyntheticCamera.Frame::rgb).toList();
        final byte[] ts = MediaEncoder.segment(rgb, width, height, fps, gop, MediaEncoder.Container.MPEG_TS);
        final List<List<byte[]>> units = new ArrayList<>();
        final List<Boolean> keys = new ArrayList<>();
        byte[] sps = null;
        byte[] pps = null;
        FfmpegLog.install();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(new ByteArrayInputStream(ts))) {
            g.setFormat("mpegts");
            g.start();
            AVPacket p;
            while ((p = g.grabPacket()) != null) {
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
                avcodec.av_packet_unref(p);
            }
            g.stop();
        }
        if (sps == null || pps == null) {
            throw new IOException("the encoder wrote no SPS/PPS in-band");
        }
        return new H264Clip(units, keys, fps, width, height, sps, pps);
    }

    /** Splits an Annex B byte stream at its 3- and 4-byte start codes. */
    static List<byte[]> split(final byte[] b) {
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
