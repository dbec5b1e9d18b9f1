package io.mobileformer.streams.testing;

import io.mobileformer.streams.ingest.MediaEncoder.Container;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Every kind of bad input the pipeline must dead-letter, by name: payload, content type and expected reason. */
public final class BadPayloads {
    public record Bad(byte[] payload, String contentType, String stage, String reason) {
    }

    private BadPayloads() {
    }

    /** @param maxPayloadBytes the pipeline's decode.max-payload-bytes (the oversized payload exceeds it) */
    public static Map<String, Bad> all(final int maxPayloadBytes) {
        final byte[] jpg = TestMedia.jpeg(96, 64);
        final byte[] ts = TestMedia.segment(6, 96, 64, Container.MPEG_TS);
        final byte[] mp4 = TestMedia.segment(6, 96, 64, Container.MP4);
        final Map<String, Bad> m = new LinkedHashMap<>();
        m.put("empty payload", new Bad(new byte[0], "image/jpeg", "decode", "EMPTY"));
        m.put("random bytes", new Bad(random(4000, 1), "image/jpeg", "decode", "CORRUPT"));
        m.put("random bytes as MPEG-TS", new Bad(random(188 * 30, 2), "video/mp2t", "decode", "CORRUPT"));
        m.put("truncated JPEG", new Bad(Arrays.copyOf(jpg, jpg.length / 2), "image/jpeg", "decode", "TRUNCATED"));
        m.put("truncated MPEG-TS", new Bad(Arrays.copyOf(ts, ts.length * 2 / 3), "video/mp2t", "decode",
            "TRUNCATED"));
        m.put("MP4 cut before its index", new Bad(Arrays.copyOf(mp4, mp4.length - 200), "video/mp4", "decode",
            "TRUNCATED"));
        m.put("unsupported content type", new Bad(jpg, "image/gif", "decode", "UNSUPPORTED_TYPE"));
        m.put("30000x30000 PNG", new Bad(hugePng(30000, 30000), "image/png", "decode", "TOO_MANY_PIXELS"));
        m.put("payload over max bytes", new Bad(random(maxPayloadBytes + 1, 3), "image/jpeg", "decode",
            "PAYLOAD_TOO_LARGE"));
        return m;
    }

    public static byte[] random(final int n, final long seed) {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A structurally valid PNG whose header declares w x h; its pixel data is a few bytes (a decompression bomb). */
    public static byte[] hugePng(final int w, final int h) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        final ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0)
            .put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        final Deflater d = new Deflater();
        d.setInput(new byte[64]);
        d.finish();
        final byte[] z = new byte[128];
        chunk(out, "IDAT", Arrays.copyOf(z, d.deflate(z)));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(final ByteArrayOutputStream out, final String type, final byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        final byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        final CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
