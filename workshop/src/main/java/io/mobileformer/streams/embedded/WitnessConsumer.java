package io.mobileformer.streams.embedded;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The consumer a fault or fuzz run checks the pipeline's outputs with: in no group, every partition from the start.
 * No group, because a group's rebalance (a broker restart moves its coordinator) would hand records out again, and a
 * record read twice would look like a duplicate the pipeline never wrote.
 */
public final class WitnessConsumer {
    private WitnessConsumer() {
    }

    /**
     * A byte-array consumer on {@code clientConfig} (connection and security) with the given isolation level, not yet
     * assigned.
     */
    public static KafkaConsumer<byte[], byte[]> create(final Map<String, Object> clientConfig,
                                                       final String isolation) {
        final Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        // a dead letter carries its whole input, a segment of up to tens of MB
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 40 << 20);
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Assigns {@code consumer} every partition of {@code topics} and seeks each to its beginning. */
    public static void assignFromStart(final KafkaConsumer<byte[], byte[]> consumer, final List<String> topics) {
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final String t : topics) {
            consumer.partitionsFor(t, Duration.ofSeconds(60)).forEach(p -> partitions.add(new TopicPartition(t,
                p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }
}
