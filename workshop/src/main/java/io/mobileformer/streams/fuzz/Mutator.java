package io.mobileformer.streams.fuzz;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Case {@code i} of a fuzz run, the same on every call for the same seeds and run seed (so a worker that died can be
 * restarted after the case that killed it, and that case saved as it was): a record value for the frames topic made
 * from one seed by one mutation. Mutations: bit flips, random bytes, a truncation, a splice of two seeds, a range cut
 * out or repeated, a container length field broken (MP4/ISO BMFF box sizes, PNG chunk lengths, JPEG segment lengths,
 * MPEG-TS sync bytes), and Avro envelopes with a broken payload or string length. A replayed regression input
 * ({@code .envelope}: a whole record value) is used as it is.
 */
public final class Mutator {
    /** One input and how it was made. */
    public record Case(int index, String seed, String mutation, byte[] value) {
    }

    static final String ENVELOPE = "envelope";
    private static final String[] MUTATIONS = {"bitflip", "bytes", "truncate", "splice", "cut", "repeat",
        "length", "avro-length"};

    private final List<FuzzCorpus.Seed> seeds;
    private final long runSeed;

    public Mutator(final List<FuzzCorpus.Seed> seeds, final long runSeed) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no fuzz seeds");
        }
        this.seeds = seeds;
        this.runSeed = runSeed;
    }

    public Case make(final int index) {
        // java.util.Random's first draws from neighbouring seeds are alike: mix the seed first
        final Random r = new Random(new java.util.SplittableRandom(runSeed * 1_000_003L + index).nextLong());
        final FuzzCorpus.Seed seed = seeds.get(index % seeds.size());
        if (seed.contentType().equals(ENVELOPE)) {
            return new Case(index, seed.name(), "replay", seed.bytes());
        }
        final String m = MUTATIONS[r.nextInt(MUTATIONS.length)];
        final byte[] b = seed.bytes().clone();
        final byte[] payload = switch (m) {
            case "bitflip" -> bitflips(b, r);
            case "bytes" -> randomBytes(b, r);
            case "truncate" -> Arrays.copyOf(b, r.nextInt(b.length));
            case "splice" -> splice(b, seeds.get(r.nextInt(seeds.size())).bytes(), r);
            case "cut" -> cut(b, r);
            case "repeat" -> repeat(b, r);
            case "length" -> brokenLength(b, r);
            default -> b;
        };
        // a case in eight also lies about its content type
        final String type = r.nextInt(8) == 0 ? seeds.get(r.nextInt(seeds.size())).contentType() : seed.contentType();
        final byte[] value = m.equals("avro-length") ? brokenEnvelope(index, type, payload, r)
            : envelope(index, type, payload);
        return new Case(index, seed.name(), m + (type.equals(seed.contentType()) ? "" : " as " + type), value);
    }

    static byte[] envelope(final long seq, final String type, final byte[] payload) {
        return AvroSerdes.frameEnvelope().serializer().serialize("frames", FrameEnvelope.newBuilder()
            .setCameraId("fuzz").setSequence(seq).setCaptureTime(Instant.ofEpochSecond(1_700_000_000L))
            .setContentType(type).setPayload(ByteBuffer.wrap(payload)).build());
    }

    private static byte[] bitflips(final byte[] b, final Random r) {
        final int n = 1 + r.nextInt(16);
        for (int k = 0; k < n && b.length > 0; k++) {
            final int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
    }

    private static byte[] randomBytes(final byte[] b, final Random r) {
        final int n = 1 + r.nextInt(64);
        for (int k = 0; k < n && b.length > 0; k++) {
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static byte[] splice(final byte[] a, final byte[] other, final Random r) {
        final int cut = r.nextInt(a.length + 1);
        final int from = r.nextInt(other.length + 1);
        final byte[] out = Arrays.copyOf(a, cut + other.length - from);
        System.arraycopy(other, from, out, cut, other.length - from);
        return out;
    }

    private static byte[] cut(final byte[] b, final Random r) {
        final int from = r.nextInt(b.length);
        final int len = 1 + r.nextInt(Math.max(1, Math.min(b.length - from, 4096)));
        final byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + len, out, from, b.length - from - len);
        return out;
    }

    private static byte[] repeat(final byte[] b, final Random r) {
        final int from = r.nextInt(b.length);
        final int len = 1 + r.nextInt(Math.max(1, Math.min(b.length - from, 4096)));
        final byte[] out = new byte[b.length + len];
        System.arraycopy(b, 0, out, 0, from + len);
        System.arraycopy(b, from, out, from + len, b.length - from);
        return out;
    }

    /**
     * Breaks one length or sync field the container's parser trusts: an ISO BMFF box size (4 bytes before a known
     * box type), a PNG chunk length, a JPEG marker segment length, or an MPEG-TS sync byte.
     */
    static byte[] brokenLength(final byte[] b, final Random r) {
        final List<String> boxes = List.of("ftyp", "moov", "mvhd", "trak", "tkhd", "mdia", "minf", "stbl", "stsd",
            "stsz", "stco", "stts", "mdat", "moof", "traf", "trun", "IHDR", "IDAT", "IEND");
        final List<Integer> at = new java.util.ArrayList<>();
        for (int i = 4; i + 4 <= b.length; i++) {
            final String tag = new String(b, i, 4, StandardCharsets.ISO_8859_1);
            if (boxes.contains(tag)) {
                at.add(i - 4);
            }
        }
        for (int i = 0; i + 3 < b.length && at.size() < 4096; i++) {
            if ((b[i] & 0xff) == 0xff && (b[i + 1] & 0xff) >= 0xc0 && (b[i + 1] & 0xff) != 0xff
                && (b[i + 1] & 0xff) != 0xd8 && (b[i + 1] & 0xff) != 0xd9) {
                at.add(-(i + 2) - 1);    // a JPEG segment's 2-byte length (negative: 2 bytes, not 4)
            }
        }
        if (at.isEmpty()) {
            for (int i = 0; i < b.length; i += 188) {
                if (b[i] == 0x47 && r.nextInt(4) == 0) {
                    b[i] = (byte) r.nextInt(256);
                }
            }
            return b;
        }
        final int pos = at.get(r.nextInt(at.size()));
        final int[] sizes = {0, 1, 7, 8, 0x7fffffff, 0xffffffff, 0x10000, r.nextInt(), b.length * 2};
        final int size = sizes[r.nextInt(sizes.length)];
        if (pos < 0) {
            final int p = -pos - 1;
            b[p] = (byte) (size >>> 8);
            b[p + 1] = (byte) size;
        } else {
            ByteBuffer.wrap(b).putInt(pos, size);
        }
        return b;
    }

    /**
     * An envelope whose Avro datum lies about a length: the camera id's, the content type's or the payload's varint
     * says more or fewer bytes than follow (or a negative count), or the record ends early.
     */
    static byte[] brokenEnvelope(final long seq, final String type, final byte[] payload, final Random r) {
        final byte[] valid = envelope(seq, type, payload);
        final byte[] header = Arrays.copyOf(valid, 10);      // C3 01 + 8-byte schema fingerprint
        final long[] lies = {-1, -1000, Integer.MAX_VALUE, Long.MAX_VALUE / 2, payload.length + 1,
            Math.max(0, payload.length - 1), 1L << 31, r.nextInt(1 << 20)};
        final long lie = lies[r.nextInt(lies.length)];
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        final BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            final int field = r.nextInt(3);
            final byte[] camera = "fuzz".getBytes(StandardCharsets.UTF_8);
            if (field == 0) {
                e.writeLong(lie);
                e.writeFixed(camera);
            } else {
                e.writeString("fuzz");
            }
            e.writeLong(seq);
            e.writeLong(1_700_000_000_000_000L);
            if (field == 1) {
                e.writeLong(lie);
                e.writeFixed(type.getBytes(StandardCharsets.UTF_8));
            } else {
                e.writeString(type);
            }
            if (field == 2) {
                e.writeLong(lie);
                e.writeFixed(payload);
            } else {
                e.writeBytes(payload);
            }
            e.flush();
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
        // the optional fields after the payload, as the valid envelope has them
        final ByteArrayOutputStream prefix = new ByteArrayOutputStream();
        prefix.writeBytes(header);
        final BinaryEncoder pe = EncoderFactory.get().directBinaryEncoder(prefix, null);
        try {
            pe.writeString("fuzz");
            pe.writeLong(seq);
            pe.writeLong(1_700_000_000_000_000L);
            pe.writeString(type);
            pe.writeBytes(payload);
            pe.flush();
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        }
        out.write(valid, prefix.size(), valid.length - prefix.size());
        final byte[] b = out.toByteArray();
        // sometimes the record also ends early
        return r.nextInt(4) == 0 ? Arrays.copyOf(b, 10 + r.nextInt(Math.max(1, b.length - 10))) : b;
    }
}
