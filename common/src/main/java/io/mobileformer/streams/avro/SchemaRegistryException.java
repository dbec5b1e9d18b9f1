package io.mobileformer.streams.avro;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The schema registry answered and refused: an unknown schema id or subject (404), a schema its compatibility rule
 * rejects (409), a bad request or missing rights (4xx). Retrying does not help; the message says what the registry
 * said.
 */
public final class SchemaRegistryException extends SerializationException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final int errorCode;

    public SchemaRegistryException(final int status, final int errorCode, final String message) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The registry's own {@code error_code} (40401 subject not found, 40403 schema not found, ...), or 0. */
    public int errorCode() {
        return errorCode;
    }
}
