package io.mobileformer.streams.decode;

/**
 * A payload could not be turned into frames. The {@link Reason} becomes the dead-letter record's {@code mfs.reason}
 * header, so operators can count and alert on each kind separately.
 */
public final class DecodeException extends Exception {
    public enum Reason {
        EMPTY, PAYLOAD_TOO_LARGE, UNSUPPORTED_TYPE, TOO_MANY_PIXELS, TRUNCATED, CORRUPT, NO_FRAMES, TOO_MANY_FRAMES,
        TIMEOUT
    }

    private final Reason reason;

    public DecodeException(final Reason reason, final String message) {
        super(message);
        this.reason = reason;
    }

    public DecodeException(final Reason reason, final String message, final Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
