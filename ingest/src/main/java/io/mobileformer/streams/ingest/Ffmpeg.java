package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.CredentialRedactor;
import org.bytedeco.ffmpeg.global.avutil;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** Small helpers for calling FFmpeg directly. */
final class Ffmpeg {
    // JavaCV appends advice meant for its own users to every exception; ours log FFmpeg's text instead
    private static final Pattern JAVACV_HINTS = Pattern.compile("\\s*\\((Has setFormat\\(\\) been called\\?|For more "
        + "details, make sure FFmpegLogCallback\\.set\\(\\) has been called\\.)\\)");

    private Ffmpeg() {
    }

    /** A JavaCV exception's message without JavaCV's advice, credentials masked. */
    static String message(final Exception javacv) {
        return CredentialRedactor.redact(JAVACV_HINTS.matcher(String.valueOf(javacv.getMessage())).replaceAll(""));
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
