package io.mobileformer.streams.view;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.SourcePosition;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * One input record by its position: a consumer without a group, assigned and seeked to exactly that offset
 * (read_committed, like every reader of the view). Owns the consumer until {@link #close()}.
 */
final class RecordFetcher implements FrameSource.Fetcher, AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;

    RecordFetcher(final KafkaConsumer<byte[], byte[]> consumer) {
        this.consumer = consumer;
    }

    @Override
    public FrameEnvelope fetch(final SourcePosition p) throws IOException {
        final TopicPartition tp = new TopicPartition(p.getTopic(), p.getPartition());
        consumer.assign(List.of(tp));
        consumer.seek(tp, p.getOffset());
        final long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.offset() == p.getOffset()) {
                    final FrameEnvelope env = AvroSerdes.frameEnvelope().deserializer().deserialize(r.topic(),
                        r.value());
                    return env;
                }
                if (r.offset() > p.getOffset()) {
                    throw new IOException(p.getTopic() + "-" + p.getPartition() + "@" + p.getOffset()
                        + " is no longer on the topic (retention or compaction)");
                }
            }
        }
        throw new IOException("could not fetch " + p.getTopic() + "-" + p.getPartition() + "@" + p.getOffset()
            + " within 10 s");
    }

    @Override
    public void close() {
        consumer.close();
    }
}
