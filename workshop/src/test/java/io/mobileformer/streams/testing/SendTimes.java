package io.mobileformer.streams.testing;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A producer interceptor for tests ({@code producer.interceptor.classes}): notes the wall-clock moment each
 * {@code FrameEnvelope} was handed to the producer, by topic, camera and sequence. That is the moment the record was
 * published, the bound a capture time must not pass; the record's own timestamp is its capture time, and the moment a
 * consumer receives it is later than publishing.
 */
public final class SendTimes implements ProducerInterceptor<String, byte[]> {
    private static final Map<String, Map<Long, Long>> SENT = new ConcurrentHashMap<>();

    /** When each record of {@code camera} on {@code topic} was sent, microseconds since the epoch, by sequence. */
    public static Map<Long, Long> of(final String topic, final String camera) {
        return SENT.getOrDefault(topic + "/" + camera, Map.of());
    }

    @Override
    public ProducerRecord<String, byte[]> onSend(final ProducerRecord<String, byte[]> record) {
        final Instant now = Instant.now();
        final FrameEnvelope e = AvroSerdes.frameEnvelope().deserializer().deserialize(record.topic(), record.value());
        SENT.computeIfAbsent(record.topic() + "/" + record.key(), k -> new ConcurrentHashMap<>())
            .put(e.getSequence(), now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
        return record;
    }

    @Override
    public void onAcknowledgement(final RecordMetadata metadata, final Exception exception) {
        // the send moment is all this records
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public void configure(final Map<String, ?> configs) {
        // no settings
    }
}
