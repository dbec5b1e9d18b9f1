package io.mobileformer.streams.topology;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class InstanceClientSupplierTest {

    @Test
    void theProcessIdInAStreamsTransactionalIdIsReplacedByTheInstanceName() {
        assertEquals("mfs-detector-edge-1-2", InstanceClientSupplier.transactionalId(
            "mfs-detector-4f1c2a9e-0b7d-4e55-9a51-1c2d3e4f5a6b-2", "edge-1"));
        // an id Kafka Streams did not make in this form is left alone
        assertEquals("my-own-id", InstanceClientSupplier.transactionalId("my-own-id", "edge-1"));
    }

    @Test
    void anInstanceNameMakesAStaticMemberAndAnExplicitGroupInstanceIdWins() {
        assertEquals("edge-1", DetectionApp.streamsProperties(ConfigLoader.Settings.of(Map.of("instance.name",
            "edge-1"))).get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
        assertEquals("x", DetectionApp.streamsProperties(ConfigLoader.Settings.of(Map.of("instance.name", "edge-1",
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "x"))).get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
        assertFalse(DetectionApp.streamsProperties(ConfigLoader.Settings.of(Map.of()))
            .containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
    }
}
