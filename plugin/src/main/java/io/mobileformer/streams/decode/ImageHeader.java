package io.mobileformer.streams.decode;

/**
 * Reads the size of a JPEG or PNG from its header, and checks that the file is complete, without decoding pixels.
 * This is what makes the pixel limit safe: a 30000 x 30000 PNG is refused from its first 24 bytes.
 */
public final class ImageHeader {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private ImageHeader() {
    }

    /** Returns {width, height} from the header; does not check that the rest of the file is there. */
    public static int[] size(final ContentType type, final byte[] b) throws DecodeException {
        return switch (type) {
            case PNG -> png(b);
            case JPEG -> jpeg(b);
            default -> throw new IllegalArgumentException(type + " is not an image type");
        };
    }

    private static int[] png(final byte[] b) throws DecodeException {
        if (b.length < 24) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "PNG shorter than its header (" + b.length
                + " bytes)");
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (b[i] != PNG_SIGNATURE[i]) {
                throw new DecodeException(DecodeException.Reason.CORRUPT, "not a PNG: bad signature");
            }
        }
        if (b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "PNG without IHDR as its first chunk");
        }
        return new int[] {int32(b, 16), int32(b, 20)};
    }

    /** Throws when the file does not end the way a complete PNG (IEND) or JPEG (EOI) does. */
    public static void checkComplete(final ContentType type, final byte[] b) throws DecodeException {
        if (type == ContentType.PNG && !endsWithIend(b)) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "PNG is truncated: no IEND chunk at the end");
        }
        if (type == ContentType.JPEG && !endsWithEoi(b)) {
            throw new DecodeException(DecodeException.Reason.TRUNCATED, "JPEG is truncated: no EOI marker at the end");
        }
    }

    private static boolean endsWithIend(final byte[] b) {
        // IEND: length 0, type "IEND", CRC AE 42 60 82
        final int n = b.length;
        return n >= 12 && b[n - 8] == 'I' && b[n - 7] == 'E' && b[n - 6] == 'N' && b[n - 5] == 'D';
    }

    private static int[] jpeg(final byte[] b) throws DecodeException {
        if (b.length < 4 || (b[0] & 0xff) != 0xff || (b[1] & 0xff) != 0xd8) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "not a JPEG: no SOI marker");
        }
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xff) != 0xff) {
                throw new DecodeException(DecodeException.Reason.CORRUPT, "JPEG marker expected at byte " + i);
            }
            final int marker = b[i + 1] & 0xff;
            if (marker == 0xff) {            // fill byte
                i++;
                continue;
            }
            if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
                i += 2;
                continue;
            }
            final int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            final boolean sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (sof) {
                if (i + 9 > b.length) {
                    break;
                }
                final int h = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff);
                final int w = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
                return new int[] {w, h};
            }
            if (marker == 0xda) {            // start of scan before any frame header
                break;
            }
            i += 2 + len;
        }
        throw new DecodeException(DecodeException.Reason.TRUNCATED, "JPEG ends before its frame header (SOF)");
    }

    private static boolean endsWithEoi(final byte[] b) {
        // encoders may pad after EOI; accept a few trailing zero bytes
        int n = b.length;
        while (n > 2 && b[n - 1] == 0 && b.length - n < 16) {
            n--;
        }
        return n >= 2 && (b[n - 2] & 0xff) == 0xff && (b[n - 1] & 0xff) == 0xd9;
    }

    private static int int32(final byte[] b, final int o) {
        return ((b[o] & 0xff) << 24) | ((b[o + 1] & 0xff) << 16) | ((b[o + 2] & 0xff) << 8) | (b[o + 3] & 0xff);
    }
}
