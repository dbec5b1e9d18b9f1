package io.mobileformer.streams.ingest;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * FFmpeg's interrupt callback for one camera connection: blocking FFmpeg I/O (open, read, close) gives up when no
 * video packet has arrived for the stall timeout, or when the camera is being stopped.
 *
 * <p>Why both this and FFmpeg's socket {@code timeout}: the socket timeout only fires when <i>no byte</i> arrives; a
 * camera that keeps the connection busy (RTCP, keep-alive replies, data on another channel, audio only) never trips
 * it, yet delivers no video: the "no frames received" state. This guard measures progress in video packets. It must
 * be attached to the format context before the open: FFmpeg copies the callback into each protocol context (the RTSP
 * socket) when that is opened, and consults only the copy while reading from it.
 *
 * <p>One native callback serves the whole process (JavaCPP caps how many callback thunks exist); each connection
 * registers under the address of its own one-byte native key, passed to FFmpeg as the callback's opaque pointer.
 * Owned by the connection it guards; {@link #close()} only after the format context is closed.
 */
final class StallGuard implements AutoCloseable {
    private static final Map<Long, StallGuard> ACTIVE = new ConcurrentHashMap<>();
    private static final Callback CALLBACK = new Callback();

    private volatile long limitNanos;
    private volatile String limitKey = IngestConfig.SOURCE_STALL_TIMEOUT_MS;
    private final BytePointer key = new BytePointer(1);
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile boolean stopping;

    StallGuard(final long stallTimeoutMs) {
        this.limitNanos = stallTimeoutMs * 1_000_000L;
        ACTIVE.put(key.address(), this);
    }

    /** Makes FFmpeg consult this guard during blocking I/O on {@code oc}; call before opening it. */
    void attach(final AVFormatContext oc) {
        oc.interrupt_callback().callback(CALLBACK).opaque(key);
    }

    /**
     * The connection is open and streaming: from now on, no new video for {@code ioTimeoutMs} drops it (if that is
     * shorter than the stall timeout, which then bounded only the open). Without this a frozen camera was held for
     * the whole stall timeout after its last packet, however short the I/O timeout.
     */
    void streaming(final long ioTimeoutMs) {
        lastProgressNanos = System.nanoTime();     // the open (and its probe) delivered video: the stream starts now
        final long io = ioTimeoutMs * 1_000_000L;
        if (io < limitNanos) {
            limitNanos = io;
            limitKey = IngestConfig.SOURCE_IO_TIMEOUT_MS;
        }
    }

    /** The setting whose limit applies now, to name it in errors. */
    String limitKey() {
        return limitKey;
    }

    /** New video arrived: the stall clock restarts. */
    void progress(final long nowNanos) {
        lastProgressNanos = nowNanos;
    }

    /** Asks blocking FFmpeg calls on this connection to return as soon as they check (from any thread). */
    void stop() {
        stopping = true;
    }

    boolean stopping() {
        return stopping;
    }

    boolean stalled(final long nowNanos) {
        return nowNanos - lastProgressNanos > limitNanos;
    }

    long msSinceProgress(final long nowNanos) {
        return (nowNanos - lastProgressNanos) / 1_000_000;
    }

    private boolean shouldInterrupt() {
        return stopping || stalled(System.nanoTime());
    }

    @Override
    public void close() {
        ACTIVE.remove(key.address());
        key.close();
    }

    /** The single native thunk; never throws into FFmpeg. */
    private static final class Callback extends AVIOInterruptCB.Callback_Pointer {
        Callback() {
            super();
            retainReference();
        }

        @Override
        public int call(final Pointer opaque) {
            try {
                final StallGuard g = opaque == null ? null : ACTIVE.get(opaque.address());
                return g != null && g.shouldInterrupt() ? 1 : 0;
            } catch (final Throwable t) {
                return 0;
            }
        }
    }
}
