package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.CredentialRedactor;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one camera is doing now and has done so far: written by its worker thread and by the producer's callbacks,
 * read by the health log line, the JMX metrics and tests. Every text stored here has gone through
 * {@link CredentialRedactor}.
 */
public final class CameraHealth {

    /** Where a camera is in its life. */
    public enum State {
        /** First connection attempt under way. */
        CONNECTING,
        /** Receiving video. */
        CONNECTED,
        /** Disconnected: the connection failed or ended; waiting (backoff) or trying again. */
        RECONNECTING,
        /** Gave up after source.max-attempts failures in a row. */
        FAILED,
        /** A file source reached its end (source.file.loop=false). */
        FINISHED,
        /** Ingest was closed. */
        STOPPED,
        /**
         * Disconnected: the camera refused the credentials (401/403); retried on the long source.auth-backoff.*
         * schedule. (Last, so the JMX state numbers of the others did not change.)
         */
        AUTH_FAILED
    }

    /** A consistent-enough copy for one log line or one test assertion. */
    public record Snapshot(String cameraId, State state, long lastPacketAgeMs, long reconnects, long failedAttempts,
                           long authFailures, long lastConnectMs, long records, long bytes, long sendErrors, long skippedPackets,
                           String stream, String lastError) {

        /** {@code camera=front state=connected last_packet_age_ms=40 ...}: one line, key=value, no credentials. */
        public String logLine() {
            return String.format(Locale.ROOT, "camera=%s state=%s last_packet_age_ms=%s reconnects=%d "
                    + "failed_attempts=%d auth_failures=%d connect_ms=%s records=%d bytes=%d send_errors=%d "
                    + "skipped_packets=%d stream=\"%s\" last_error=\"%s\"", cameraId,
                state.name().toLowerCase(Locale.ROOT), lastPacketAgeMs < 0 ? "none" : Long.toString(lastPacketAgeMs),
                reconnects, failedAttempts, authFailures, lastConnectMs < 0 ? "none" : Long.toString(lastConnectMs),
                records, bytes, sendErrors, skippedPackets, stream == null ? "" : stream,
                lastError == null ? "" : lastError);
        }
    }

    private final String cameraId;
    private volatile State state = State.CONNECTING;
    private volatile long lastPacketNanos = Long.MIN_VALUE;
    private volatile String stream;
    private volatile String lastError;
    private volatile long lastConnectMs = -1;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final AtomicLong authFailures = new AtomicLong();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private final AtomicLong skippedPackets = new AtomicLong();

    public CameraHealth(final String cameraId) {
        this.cameraId = cameraId;
    }

    public String cameraId() {
        return cameraId;
    }

    public State state() {
        return state;
    }

    /** A connection is open: the camera has recovered, so the last error is history. */
    void connected(final String streamDescription, final long openMillis) {
        stream = streamDescription;
        lastConnectMs = openMillis;
        lastError = null;
        connections.incrementAndGet();
        state = State.CONNECTED;
    }

    void packet(final long nowNanos) {
        lastPacketNanos = nowNanos;
    }

    void skipped() {
        skippedPackets.incrementAndGet();
    }

    /** An open connection was lost or ended; {@code cause} is redacted here. */
    void lost(final String cause) {
        lastError = CredentialRedactor.redact(cause);
        state = State.RECONNECTING;
    }

    /** A connection attempt failed before any video (refused, timed out, no stream); {@code cause} is redacted here. */
    void attemptFailed(final String cause) {
        lastError = CredentialRedactor.redact(cause);
        failedAttempts.incrementAndGet();
        state = State.RECONNECTING;
    }

    /** The camera refused the credentials; {@code cause} is redacted here. */
    void credentialsRefused(final String cause) {
        lastError = CredentialRedactor.redact(cause);
        failedAttempts.incrementAndGet();
        authFailures.incrementAndGet();
        state = State.AUTH_FAILED;
    }

    void failed(final String cause) {
        lastError = CredentialRedactor.redact(cause);
        state = State.FAILED;
    }

    void finished() {
        state = State.FINISHED;
    }

    void stopped() {
        if (state != State.FAILED && state != State.FINISHED) {
            state = State.STOPPED;
        }
    }

    void sent(final int payloadBytes) {
        records.incrementAndGet();
        bytes.addAndGet(payloadBytes);
    }

    void sendFailed(final String cause) {
        sendErrors.incrementAndGet();
        lastError = CredentialRedactor.redact(cause);
    }

    /** Milliseconds since the last video packet, or -1 before the first. */
    public long lastPacketAgeMs(final long nowNanos) {
        final long last = lastPacketNanos;
        return last == Long.MIN_VALUE ? -1 : (nowNanos - last) / 1_000_000;
    }

    /** Connections opened after the first one: successful reconnects, however many attempts each took. */
    public long reconnects() {
        return Math.max(0, connections.get() - 1);
    }

    /** How long the last successful connection took to open (connect, handshake, probe), or -1 before the first. */
    public long lastConnectMs() {
        return lastConnectMs;
    }

    /** Connection attempts that failed, refused credentials included. */
    public long failedAttempts() {
        return failedAttempts.get();
    }

    /** Connection attempts refused for their credentials (401/403). */
    public long authFailures() {
        return authFailures.get();
    }

    public long records() {
        return records.get();
    }

    public long bytes() {
        return bytes.get();
    }

    public long sendErrors() {
        return sendErrors.get();
    }

    /** Packets skipped until the next key frame after a segment outgrew segment.max-bytes. */
    public long skippedPackets() {
        return skippedPackets.get();
    }

    public String lastError() {
        return lastError;
    }

    public Snapshot snapshot() {
        return new Snapshot(cameraId, state, lastPacketAgeMs(System.nanoTime()), reconnects(), failedAttempts.get(),
            authFailures.get(), lastConnectMs, records.get(), bytes.get(), sendErrors.get(), skippedPackets.get(), stream, lastError);
    }
}
