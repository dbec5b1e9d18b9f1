package io.mobileformer.streams.avro;

import org.apache.kafka.common.errors.RetriableException;

/**
 * The schema registry could not be reached, or answered with a server error, for longer than
 * {@code schema.registry.retry.max-ms}. Transient by nature: the record that needed the registry is not bad and must
 * not be dead-lettered; the caller fails and tries again later.
 */
public final class RegistryUnavailableException extends RetriableException {
    private static final long serialVersionUID = 1L;

    public RegistryUnavailableException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
