package io.mobileformer.streams.decode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sequence parameter sets (H.264 NAL type 7, H.265 type 33) of an MPEG-TS segment, as one key: segments whose
 * keys are equal declare the same coded picture size, so the size probed for one holds for the others.
 *
 * <p>Why: FFmpeg learns a TS segment's picture size only by probing it ({@code avformat_find_stream_info} decodes
 * frames), which costs as much as decoding an 8-frame segment (measured at 360p and 720p). A camera's segments repeat
 * the same SPS, so {@link FrameDecoder} remembers the size per key and opens later segments without probing.
 *
 * <p>Conservative by construction: each PID's payload is reassembled from its packets (so a NAL split across packets
 * is seen whole), every SPS-like NAL of every PID goes into the key (so a second SPS with another size changes the
 * key), and anything unexpected (not 188-byte packets, no SPS, an SPS over {@link #MAX_NAL} bytes) returns
 * {@code null}, which means: probe as before.
 */
final class TsParameterSets {
    static final int MAX_NAL = 512;

    private TsParameterSets() {
    }

    /** The key of {@code ts}, or {@code null} when the segment must be probed. */
    static ByteBuffer key(final byte[] ts) {
        if (ts.length == 0 || ts.length % FrameDecoder.TS_PACKET != 0) {
            return null;
        }
        final Map<Integer, ByteArrayOutputStream> pids = new TreeMap<>();
        for (int off = 0; off < ts.length; off += FrameDecoder.TS_PACKET) {
            if (ts[off] != 0x47) {
                return null;
            }
            final int pid = ((ts[off + 1] & 0x1f) << 8) | (ts[off + 2] & 0xff);
            final int afc = (ts[off + 3] >> 4) & 3;
            int pos = off + 4;
            if ((afc & 2) != 0) {
                pos += 1 + (ts[pos] & 0xff);
            }
            if ((afc & 1) != 0 && pos < off + FrameDecoder.TS_PACKET && pid != 0x1fff) {
                pids.computeIfAbsent(pid, p -> new ByteArrayOutputStream())
                    .write(ts, pos, off + FrameDecoder.TS_PACKET - pos);
            }
        }
        final ByteArrayOutputStream key = new ByteArrayOutputStream();
        for (final ByteArrayOutputStream s : pids.values()) {
            if (!parameterSets(s.toByteArray(), key)) {
                return null;
            }
        }
        return key.size() == 0 ? null : ByteBuffer.wrap(key.toByteArray());
    }

    /** Appends every SPS-like NAL of one elementary stream to {@code key}; false when one is too long. */
    private static boolean parameterSets(final byte[] es, final ByteArrayOutputStream key) {
        for (int i = 0; i + 3 < es.length; i++) {
            if (es[i] != 0 || es[i + 1] != 0 || es[i + 2] != 1) {
                continue;
            }
            final int header = es[i + 3] & 0xff;
            final boolean sps = (header & 0x1f) == 7 || ((header >> 1) & 0x3f) == 33;
            if (!sps) {
                continue;
            }
            int end = i + 3;
            while (end + 2 < es.length && !(es[end] == 0 && es[end + 1] == 0 && (es[end + 2] & 0xff) <= 1)) {
                end++;
            }
            if (end + 2 >= es.length) {
                end = es.length;
            }
            if (end - i > MAX_NAL) {
                return false;
            }
            key.write(end - i);
            key.write(es, i + 3, end - i - 3);
            i = end - 1;
        }
        return true;
    }
}
