package io.mobileformer.streams.publish;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;

/**
 * Builds the dead-letter copy of an input record: the original key, value and headers, unmodified, plus headers that
 * say where and why it failed. Replaying a fixed record is a plain produce of key and value back to the input topic.
 *
 * <p>Headers: {@code mfs.stage} (deserialize, decode, infer, process), {@code mfs.reason} (e.g. TRUNCATED),
 * {@code mfs.error.class}, {@code mfs.error.message}, {@code mfs.source.topic}, {@code mfs.source.partition},
 * {@code mfs.source.offset}.
 */
public final class DeadLetters {
    public static final String STAGE = "mfs.stage";
    public static final String REASON = "mfs.reason";
    public static final String ERROR_CLASS = "mfs.error.class";
    public static final String ERROR_MESSAGE = "mfs.error.message";
    static final int MAX_MESSAGE = 2000;

    private DeadLetters() {
    }

    public static Record<byte[], PipelineOutput> of(final Record<byte[], byte[]> input, final RecordMetadata meta,
                                                    final String stage, final String reason, final Throwable error) {
        final Headers h = new RecordHeaders(input.headers().toArray());
        put(h, STAGE, stage);
        put(h, REASON, reason);
        put(h, ERROR_CLASS, error.getClass().getName());
        final String msg = String.valueOf(error.getMessage());
        put(h, ERROR_MESSAGE, msg.length() > MAX_MESSAGE ? msg.substring(0, MAX_MESSAGE) + "..." : msg);
        if (meta != null) {
            put(h, "mfs.source.topic", meta.topic());
            put(h, "mfs.source.partition", Integer.toString(meta.partition()));
            put(h, "mfs.source.offset", Long.toString(meta.offset()));
        }
        return new Record<>(input.key(), new PipelineOutput.DeadLetter(input.value()), input.timestamp(), h);
    }

    private static void put(final Headers h, final String key, final String value) {
        h.remove(key);
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    public static String header(final Headers h, final String key) {
        final var last = h.lastHeader(key);
        return last == null ? null : new String(last.value(), StandardCharsets.UTF_8);
    }
}
