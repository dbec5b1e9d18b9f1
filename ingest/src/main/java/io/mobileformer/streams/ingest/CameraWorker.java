package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.CredentialRedactor;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The life of one camera, on its own thread: connect, copy packets into its sink until the connection ends or
 * stalls, then reconnect after a backoff, until stopped. Nothing here is shared with other cameras except the
 * thread-safe publisher, so a camera that is down, slow or hanging in FFmpeg affects only its own thread.
 *
 * <p>A connection counts as healthy once it delivered a video packet: that resets the backoffs and the failure count.
 * A connection that fails before that (refused, no video, stalled at once) is a failure in a row. Refused credentials
 * (401/403) wait on their own long schedule ({@code authBackoff}): retried at the network pace they would get the
 * account locked by the camera.
 */
final class CameraWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CameraWorker.class);

    private final String cameraId;
    private final SourceLocation source;
    private final SourceOptions options;
    private final PacketSink.Factory sinks;
    private final Backoff backoff;
    private final Backoff authBackoff;
    private final int maxAttempts;
    private final EnvelopePublisher publisher;
    private final CameraHealth health;
    private final CaptureClock clock;
    private long nextSequence;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile StallGuard current;
    /** What the last connection that delivered video learnt about the stream: makes reconnects faster. */
    private CameraConnection.Learnt learnt;

    /**
     * @param authBackoff   waits after refused credentials
     * @param maxAttempts   failures in a row before giving up; -1 never gives up
     * @param firstSequence sequence number of this camera's first record
     */
    CameraWorker(final String cameraId, final SourceLocation source, final SourceOptions options,
                 final PacketSink.Factory sinks, final Backoff backoff, final Backoff authBackoff,
                 final int maxAttempts, final long firstSequence, final EnvelopePublisher publisher,
                 final CameraHealth health) {
        this.cameraId = cameraId;
        this.source = source;
        this.options = options;
        this.sinks = sinks;
        this.backoff = backoff;
        this.authBackoff = authBackoff;
        this.maxAttempts = maxAttempts;
        this.nextSequence = firstSequence;
        this.publisher = publisher;
        this.health = health;
        // one timeline per camera, kept across reconnects so its times never go back; a file read as fast as
        // possible has no wall-clock meaning
        this.clock = source.isFile() && !options.fileRealtime() ? CaptureClock.media() : CaptureClock.live();
    }

    @Override
    public void run() {
        int failures = 0;
        try {
            while (!stopping) {
                final StallGuard guard = new StallGuard(options.stallTimeoutMs());
                current = guard;
                if (stopping) {
                    guard.stop();
                }
                String cause;
                boolean refused = false;
                boolean delivered = false;
                try (CameraConnection c = CameraConnection.open(source, options, guard, learnt)) {
                    health.connected(c.describe(), c.openMillis());
                    LOG.info("camera {} connected to {} ({}) in {} ms", cameraId, source.display(), c.describe(),
                        c.openMillis());
                    if (stream(c)) {
                        learnt = c.learnt();
                        failures = 0;
                        backoff.reset();
                        authBackoff.reset();
                    }
                    if (stopping) {
                        break;
                    }
                    if (!options.fileLoop()) {
                        health.finished();
                        LOG.info("camera {}: {} ended", cameraId, source.display());
                        return;
                    }
                    continue;       // a looping file starts again at once: its end is not a failure
                } catch (final StreamException e) {
                    delivered = e.delivered();
                    if (delivered) {
                        learnt = e.learnt();
                        failures = 0;
                        backoff.reset();
                        authBackoff.reset();
                    }
                    cause = e.getMessage();
                } catch (final CameraConnection.CredentialsRefused e) {
                    refused = true;
                    cause = e.getMessage();
                } catch (final IOException e) {
                    cause = e.getMessage();
                } catch (final RuntimeException e) {
                    // a bug or an FFmpeg surprise must cost this camera a reconnect, not its thread
                    cause = CredentialRedactor.describe(e);
                    final IllegalStateException redacted = new IllegalStateException(cause);
                    redacted.setStackTrace(e.getStackTrace());     // the original's trace, without its message
                    LOG.error("camera {}: unexpected failure", cameraId, redacted);
                }
                if (stopping) {
                    break;
                }
                failures++;
                if (refused) {
                    health.credentialsRefused(cause);
                } else if (delivered) {
                    health.lost(cause);     // it was up: a disconnect, not a failed attempt
                } else {
                    health.attemptFailed(cause);
                }
                if (maxAttempts >= 0 && failures > maxAttempts) {
                    health.failed(cause);
                    LOG.error("camera {}: giving up after {} failed attempts in a row ({}); last error: {}", cameraId,
                        failures, IngestConfig.SOURCE_MAX_ATTEMPTS, CredentialRedactor.redact(cause));
                    return;
                }
                final long delay;
                if (refused) {
                    // cameras lock an account after a few failed logins: retry on the long schedule only
                    delay = authBackoff.nextDelayMs();
                    LOG.warn("camera {}: the camera refused the credentials: {}; next try in {} ms ({}, refusal {} "
                            + "in a row)", cameraId, CredentialRedactor.redact(cause), delay,
                        IngestConfig.SOURCE_AUTH_BACKOFF_BASE_MS, authBackoff.attempts());
                } else {
                    delay = backoff.nextDelayMs();
                    LOG.warn("camera {}: {}; reconnecting in {} ms (failure {} in a row)", cameraId,
                        CredentialRedactor.redact(cause), delay, failures);
                }
                if (stopSignal.await(delay, TimeUnit.MILLISECONDS)) {
                    break;
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            health.stopped();
        }
    }

    /**
     * Copies packets from the connection into a new sink until the source ends (returns) or fails (throws); what the
     * sink holds is flushed either way, since a partial segment still starts with a key frame.
     *
     * @return whether any video arrived
     */
    private boolean stream(final CameraConnection c) throws IOException, InterruptedException {
        boolean delivered = false;
        clock.connected(c.deliveryDelayMicros());
        try (PacketSink sink = sinks.open(c, clock, this::publish)) {
            final RealtimePacer pacer = source.isFile() && options.fileRealtime() ? new RealtimePacer() : null;
            IOException lost = null;
            boolean senderAnchored = false;
            try {
                AVPacket p;
                while ((p = c.read()) != null) {
                    health.packet(System.nanoTime());
                    delivered = true;
                    if (pacer != null && stopSignal.await(pacer.delayNanos(c.ptsMicros(p)), TimeUnit.NANOSECONDS)) {
                        avcodec.av_packet_unref(p);
                        break;
                    }
                    final long senderClock = c.senderClockMicros(p);
                    clock.senderClock(senderClock);
                    final long before = sink.skippedPackets();
                    sink.accept(p, System.currentTimeMillis() * 1000);     // read now, for the capture clock
                    if (senderClock != Long.MIN_VALUE && clock.senderAnchored() != senderAnchored) {
                        senderAnchored = !senderAnchored;
                        if (senderAnchored) {
                            LOG.info("camera {}: capture times from the camera's clock (RTCP sender reports)",
                                cameraId);
                        } else {
                            LOG.warn("camera {}: the camera's clock (RTCP sender reports) no longer agrees with the "
                                + "arrivals; capture times from arrivals", cameraId);
                        }
                    }
                    if (sink.skippedPackets() != before) {
                        health.skipped();
                    }
                }
            } catch (final IOException e) {
                lost = e;
            }
            if (lost != null && c.lostMidStream()) {
                final long before = sink.skippedPackets();
                sink.flushLost();
                if (sink.skippedPackets() != before) {
                    health.skipped();
                    LOG.info("camera {}: the connection broke mid-stream; its last frame, which may be cut, is left "
                        + "out", cameraId);
                }
            } else {
                sink.flush();
            }
            if (lost != null) {
                throw new StreamException(lost.getMessage(), delivered, delivered ? c.learnt() : null);
            }
        }
        return delivered;
    }

    private void publish(final MediaRecord r) {
        publisher.publish(cameraId, nextSequence++, r, health);
    }

    /**
     * Stops the camera from any thread: blocking FFmpeg reads give up at their next check, waits end. The thread is
     * not interrupted: it still publishes the segment it holds, and Kafka's producer refuses interrupted threads.
     */
    void stop() {
        stopping = true;
        stopSignal.countDown();
        final StallGuard g = current;
        if (g != null) {
            g.stop();
        }
    }

    /** A connection that was open failed; says whether it had delivered video first. */
    private static final class StreamException extends IOException {
        private final boolean delivered;
        private final transient CameraConnection.Learnt learnt;

        StreamException(final String message, final boolean delivered, final CameraConnection.Learnt learnt) {
            super(message);
            this.delivered = delivered;
            this.learnt = learnt;
        }

        CameraConnection.Learnt learnt() {
            return learnt;
        }

        boolean delivered() {
            return delivered;
        }
    }
}
