package io.mobileformer.streams.ingest;

import org.bytedeco.ffmpeg.global.avutil;

import java.nio.charset.StandardCharsets;

/** Small helpers for calling FFmpeg directly. */
final class Ffmpeg {
    private Ffmpeg() {
    }

    /** FFmpeg's text for an error code ({@code av_strerror}), with the code. */
    static String error(final int code) {
        final byte[] buf = new byte[256];
        avutil.av_strerror(code, buf, buf.length);
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8) + " (" + code + ")";
    }
}
