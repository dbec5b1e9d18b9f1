package io.mobileformer.engine;

/**
 * An engine failed. The {@link Kind} says what the caller can do: an {@code UNAVAILABLE} or {@code LOAD} failure
 * means try the next engine; a {@code RUN} failure on one batch means retry that batch on the next engine and retire
 * this one; {@code UNSUPPORTED} means the model uses something this engine cannot run (no retry will help).
 */
public class EngineException extends Exception {
    public enum Kind { UNAVAILABLE, LOAD, UNSUPPORTED, RUN }

    private final Kind kind;
    private final String engine;

    public EngineException(final Kind kind, final String engine, final String message, final Throwable cause) {
        super(engine + ": " + message, cause);
        this.kind = kind;
        this.engine = engine;
    }

    public EngineException(final Kind kind, final String engine, final String message) {
        this(kind, engine, message, null);
    }

    public Kind kind() {
        return kind;
    }

    public String engine() {
        return engine;
    }
}
