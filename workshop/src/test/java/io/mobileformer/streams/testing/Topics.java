package io.mobileformer.streams.testing;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/** Produce to and read (read_committed) from the shared broker. */
public final class Topics {
    private Topics() {
    }

    /**
     * An idempotent producer with one request in flight. With five (the default), a topic that had a leader in the
     * metadata but not yet in the broker's replica manager answered the first batches NOT_LEADER_OR_FOLLOWER, and the
     * retries then met OUT_OF_ORDER_SEQUENCE ("0 incoming, 4 current end") until the delivery timeout dropped the
     * records (ExactlyOnceIT, once in a clean-clone run); one batch at a time has no later batch to overtake it.
     */
    public static KafkaProducer<byte[], byte[]> producer(final String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 << 20), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Sends every record and waits for each acknowledgement: a record the broker refused fails the test here, loudly,
     * instead of showing up minutes later as a "missing detection" (an AccuracyIT run once ended with 74 of 82
     * records and no error anywhere, because these futures were never read).
     */
    public static void send(final String bootstrap, final String topic, final List<byte[][]> keyValues) {
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            final List<Future<RecordMetadata>> acks = new ArrayList<>(keyValues.size());
            for (final byte[][] kv : keyValues) {
                acks.add(p.send(new ProducerRecord<>(topic, kv[0], kv[1])));
            }
            p.flush();
            for (int i = 0; i < acks.size(); i++) {
                try {
                    acks.get(i).get();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while sending to " + topic, e);
                } catch (final ExecutionException e) {
                    throw new IllegalStateException("record " + i + " of " + keyValues.size() + " to " + topic
                        + " was not written: " + e.getCause(), e.getCause());
                }
            }
        }
    }

    public static byte[] utf8(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads committed records until {@code done} holds for the list read so far, or the timeout passes; then keeps
     * reading for {@code settle} to catch any extra (duplicate) record.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(final String bootstrap, final String topic,
                                                                      final Predicate<List<ConsumerRecord<byte[], byte[]>>> done,
                                                                      final Duration timeout, final Duration settle) {
        final List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 << 20), new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            final long end = System.nanoTime() + timeout.toNanos();
            long settleEnd = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(end, settleEnd)) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
                if (settleEnd == Long.MAX_VALUE && done.test(out)) {
                    settleEnd = System.nanoTime() + settle.toNanos();
                }
            }
        }
        return out;
    }
}
