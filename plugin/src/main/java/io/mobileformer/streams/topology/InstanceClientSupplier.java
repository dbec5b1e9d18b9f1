package io.mobileformer.streams.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaClientSupplier;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka Streams' clients, with one change for an instance that has an {@code instance.name}: its transactional ids
 * are {@code <application.id>-<instance.name>-<thread>} instead of {@code <application.id>-<process id>-<thread>}.
 *
 * <p>Why: Kafka Streams keeps its process id across restarts only for topologies with persistent state; ours has none,
 * so every start gets a random one and thus new transactional ids. A SIGKILLed instance then leaves its open
 * transaction behind, and its partitions' committed offsets stay unstable (read_committed fetches wait) until the
 * broker times the transaction out: {@code transaction.timeout.ms} (10 s under exactly-once) plus up to
 * {@code transaction.abort.timed.out.transaction.cleanup.interval.ms} (10 s), measured at 24-30 s by
 * {@code ./mfs chaos}. With the name in the id, the restarted instance's first {@code initTransactions} fences the dead
 * one and aborts its transaction at once. The name is already required to be unique among running instances (it is
 * the static group member id), so two live producers never share an id.
 */
final class InstanceClientSupplier implements KafkaClientSupplier {
    private static final Pattern STREAMS_TXN_ID = Pattern.compile("(.*)-[0-9a-fA-F-]{36}-(\\d+)");

    private final String instanceName;

    InstanceClientSupplier(final String instanceName) {
        this.instanceName = instanceName;
    }

    @Override
    public Producer<byte[], byte[]> getProducer(final Map<String, Object> config) {
        final Object id = config.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        final Map<String, Object> c = new HashMap<>(config);
        if (id != null) {
            c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(id.toString(), instanceName));
        }
        return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    // the other clients as Kafka Streams' own supplier makes them (plain clients on byte arrays), written against the
    // public interface: that supplier lives in an internals package, which an upgrade may move

    @Override
    public Admin getAdmin(final Map<String, Object> config) {
        return Admin.create(config);
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(final Map<String, Object> config) {
        return bytes(config);
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(final Map<String, Object> config) {
        return bytes(config);
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(final Map<String, Object> config) {
        return bytes(config);
    }

    private static Consumer<byte[], byte[]> bytes(final Map<String, Object> config) {
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** {@code app-<uuid>-3} becomes {@code app-<name>-3}; an id of any other form is kept. */
    static String transactionalId(final String streamsId, final String instanceName) {
        final Matcher m = STREAMS_TXN_ID.matcher(streamsId);
        return m.matches() ? m.group(1) + "-" + instanceName + "-" + m.group(2) : streamsId;
    }
}
