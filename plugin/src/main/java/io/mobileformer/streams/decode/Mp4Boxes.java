package io.mobileformer.streams.decode;

/**
 * Checks the top-level box structure of an MP4 before FFmpeg opens it. A camera segment cut in transit usually loses
 * the index ({@code moov}), which for a file written with the index at the end is the last box; FFmpeg then only says
 * "error reading header". Walking the box sizes tells truncation apart from garbage, cheaply and precisely.
 */
final class Mp4Boxes {
    private Mp4Boxes() {
    }

    static void check(final byte[] b) throws DecodeException {
        if (b.length < 8 || !(b[4] == 'f' && b[5] == 't' && b[6] == 'y' && b[7] == 'p')) {
            throw new DecodeException(DecodeException.Reason.CORRUPT, "not an MP4: no 'ftyp' box at the start");
        }
        long pos = 0;
        boolean moov = false;
        while (pos < b.length) {
            if (pos + 8 > b.length) {
                throw truncated("box header at byte " + pos + " is cut");
            }
            long size = u32(b, (int) pos);
            final String type = new String(b, (int) pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (size == 1) {
                if (pos + 16 > b.length) {
                    throw truncated("box '" + type + "' is cut");
                }
                size = (u32(b, (int) pos + 8) << 32) | u32(b, (int) pos + 12);
            } else if (size == 0) {
                size = b.length - pos;
            }
            if (size < 8) {
                throw new DecodeException(DecodeException.Reason.CORRUPT, "MP4 box '" + type + "' at byte " + pos
                    + " declares an impossible size " + size);
            }
            if (pos + size > b.length) {
                throw truncated("box '" + type + "' at byte " + pos + " declares " + size + " bytes but only "
                    + (b.length - pos) + " remain");
            }
            moov |= type.equals("moov");
            pos += size;
        }
        if (!moov) {
            throw truncated("no index ('moov' box)");
        }
    }

    private static DecodeException truncated(final String detail) {
        return new DecodeException(DecodeException.Reason.TRUNCATED, "MP4 is truncated: " + detail);
    }

    private static long u32(final byte[] b, final int o) {
        return ((long) (b[o] & 0xff) << 24) | ((b[o + 1] & 0xff) << 16) | ((b[o + 2] & 0xff) << 8) | (b[o + 3] & 0xff);
    }
}
