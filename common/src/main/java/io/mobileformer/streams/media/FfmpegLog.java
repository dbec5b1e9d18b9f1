package io.mobileformer.streams.media;

import org.bytedeco.ffmpeg.avutil.LogCallback;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes FFmpeg's log to SLF4J (never raw to stderr) and counts decoder errors per thread.
 *
 * <p>Damaged frames are concealed by FFmpeg, not reported through return codes; its error log is the only signal.
 * Decoders run single-threaded on the calling (stream) thread, so a thread-local counter attributes each error to the
 * record being decoded.
 */
public final class FfmpegLog extends LogCallback {
    private static final Logger LOG = LoggerFactory.getLogger("ffmpeg");
    private static final ThreadLocal<Capture> CAPTURE = new ThreadLocal<>();
    private static volatile FfmpegLog installed;

    /** Errors seen on this thread since {@link #begin()}. */
    public static final class Capture {
        private int errors;
        private String first;
        private String last;

        public int errors() {
            return errors;
        }

        public String first() {
            return first;
        }

        /** The most recent error: what ended a long-running read (a camera connection), where first() is stale. */
        public String last() {
            return last;
        }
    }

    private FfmpegLog() {
    }

    /** Installs the bridge once per JVM. */
    public static synchronized void install() {
        if (installed == null) {
            final FfmpegLog cb = new FfmpegLog();
            cb.retainReference();
            avutil.av_log_set_level(LOG.isDebugEnabled() ? avutil.AV_LOG_INFO : avutil.AV_LOG_ERROR);
            avutil.setLogCallback(cb);
            installed = cb;
        }
    }

    public static Capture begin() {
        install();
        final Capture c = new Capture();
        CAPTURE.set(c);
        return c;
    }

    public static void end() {
        CAPTURE.remove();
    }

    @Override
    public void call(final int level, final BytePointer msg) {
        // camera URLs carry credentials, and FFmpeg prints URLs (av_dump_format, some protocol errors)
        final String text = msg == null ? "" : CredentialRedactor.redact(msg.getString().strip());
        if (level <= avutil.AV_LOG_ERROR) {
            final Capture c = CAPTURE.get();
            if (c != null) {
                if (c.errors++ == 0) {
                    c.first = text;
                }
                c.last = text;
            }
            LOG.debug("{}", text);
        } else if (level <= avutil.AV_LOG_WARNING) {
            LOG.debug("{}", text);
        } else {
            LOG.trace("{}", text);
        }
    }
}
