package io.mobileformer.streams.ingest;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.media.CredentialRedactor;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Publishes camera records as {@code FrameEnvelope} (Avro single-object encoding, or the registry wire format when a
 * schema registry is configured) keyed by camera id, with the capture
 * time as the Kafka record timestamp (so Streams' event time is capture time). One idempotent producer serves every
 * camera; sends are asynchronous and their outcome lands in the camera's {@link CameraHealth}. Owns the producer until
 * {@link #close()}, which waits for what is in flight.
 */
final class EnvelopePublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnvelopePublisher.class);

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final Serializer<FrameEnvelope> serializer;

    /** @param serializer the configured framing's ({@link IngestConfig#wireFormat()}), already prepared for topic */
    EnvelopePublisher(final Map<String, Object> producerProps, final String topic,
                      final Serializer<FrameEnvelope> serializer) {
        this(new KafkaProducer<>(producerProps), topic, serializer);
    }

    /** Avro single-object encoding. */
    EnvelopePublisher(final Producer<String, byte[]> producer, final String topic) {
        this(producer, topic, AvroSerdes.frameEnvelope().serializer());
    }

    EnvelopePublisher(final Producer<String, byte[]> producer, final String topic,
                      final Serializer<FrameEnvelope> serializer) {
        this.producer = producer;
        this.topic = topic;
        this.serializer = serializer;
    }

    /** Sends one record; never throws: a failure is counted and logged against the camera. */
    void publish(final String cameraId, final long sequence, final MediaRecord r, final CameraHealth health) {
        final Instant capture = Instant.ofEpochSecond(Math.floorDiv(r.captureMicros(), 1_000_000),
            Math.floorMod(r.captureMicros(), 1_000_000) * 1000L);
        final FrameEnvelope env = FrameEnvelope.newBuilder()
            .setCameraId(cameraId)
            .setSequence(sequence)
            .setCaptureTime(capture)
            .setContentType(r.contentType())
            .setPayload(ByteBuffer.wrap(r.payload()))
            .setWidth(r.width())
            .setHeight(r.height())
            .setFps(r.fps())
            .build();
        try {
            final byte[] value = serializer.serialize(topic, env);
            producer.send(new ProducerRecord<>(topic, null, capture.toEpochMilli(), cameraId, value), (md, e) -> {
                if (e == null) {
                    health.sent(r.payload().length);
                } else {
                    failed(cameraId, sequence, r, health, e);
                }
            });
        } catch (final KafkaException e) {
            failed(cameraId, sequence, r, health, e);
        }
    }

    private static void failed(final String cameraId, final long sequence, final MediaRecord r,
                               final CameraHealth health, final Exception e) {
        final String why = CredentialRedactor.describe(e) + (e instanceof RecordTooLargeException
            ? " (raise producer.max.request.size and the topic's max.message.bytes, or lower segment.ms / "
            + "segment.max-bytes)" : "");
        health.sendFailed(why);
        LOG.warn("camera {}: record {} ({} bytes, {}) was not published: {}", cameraId, sequence,
            r.payload().length, r.contentType(), why);
    }

    /**
     * Open connections to brokers, from the producer's own {@code connection-count} metric: an idempotent producer
     * connects at start (to get its producer id) and stays connected while records flow.
     */
    int connections() {
        for (final Map.Entry<MetricName, ? extends Metric> m : producer.metrics().entrySet()) {
            if (m.getKey().name().equals("connection-count") && m.getKey().group().equals("producer-metrics")
                && m.getValue().metricValue() instanceof Number n) {
                return n.intValue();
            }
        }
        return 0;
    }

    /** The producer's own metrics (request rates, errors, batch sizes, buffer use), to bind; the caller closes it. */
    KafkaClientMetrics metrics() {
        return new KafkaClientMetrics(producer);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
