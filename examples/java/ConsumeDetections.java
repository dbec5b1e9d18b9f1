import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.WireFormat;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads FrameDetections (the generated class from schemas/) from the detections topic through the schema registry and
 * prints one line per record. Run it with the plugin's classpath, straight from source:
 *
 * <pre>
 *   java -cp "$(cat workshop/target/runtime.classpath):common/target/classes" examples/java/ConsumeDetections.java \
 *        localhost:9092 http://localhost:8081 detections [maxRecords] [idleSeconds]
 * </pre>
 *
 * The value deserializer comes from {@link WireFormat#of}: given schema.registry.url it reads the registry wire
 * format (and single-object records too), looking each writer schema up by id once. Any other key of
 * {@code RegistryConfig} (basic.auth.user.info, schema.registry.ssl.*) goes in the same map.
 */
public final class ConsumeDetections {
    public static void main(final String[] args) {
        final String bootstrap = args[0];
        final String registry = args[1];
        final String topic = args.length > 2 ? args[2] : "detections";
        final int max = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        final long idleMs = (long) (1000 * (args.length > 4 ? Double.parseDouble(args[4]) : 10.0));
        final WireFormat wire = WireFormat.of(Map.of("schema.registry.url", registry));
        int count = 0;
        try (KafkaConsumer<String, FrameDetections> consumer = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "detections-reader-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
            new StringDeserializer(), wire.deserializer(FrameDetections.class))) {
            final long start = System.currentTimeMillis();
            final long[] last = {Long.MAX_VALUE / 2};
            // the idle clock starts once partitions are assigned: joining a group can take seconds
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
                    last[0] = System.currentTimeMillis();
                }
            });
            while (System.currentTimeMillis() - Math.min(last[0], start + 60_000) < idleMs
                && (max <= 0 || count < max)) {
                for (final ConsumerRecord<String, FrameDetections> r : consumer.poll(Duration.ofMillis(500))) {
                    final FrameDetections d = r.value();
                    System.out.printf("%s segment=%d frame=%d time=%s engine=%s detections=%d%n", d.getCameraId(),
                        d.getSegmentSequence(), d.getFrameIndex(), d.getFrameTimestamp(), d.getEngine(),
                        d.getDetections().size());
                    count++;
                    last[0] = System.currentTimeMillis();
                }
            }
        }
        System.err.printf("read %d records from %s%n", count, topic);
    }
}
