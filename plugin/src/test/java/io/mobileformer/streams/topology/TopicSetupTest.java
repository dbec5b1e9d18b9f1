package io.mobileformer.streams.topology;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicSetupTest {

    private static Map<String, Map<String, String>> configs(final Map<String, String> props) {
        final List<NewTopic> topics = TopicSetup.required(new PipelineConfig(props));
        return topics.stream().collect(Collectors.toMap(NewTopic::name,
            n -> n.configs() == null ? Map.of() : n.configs()));
    }

    @Test
    void outputRetentionAppliesToEveryOutputAndNotToTheInput() {
        final Map<String, Map<String, String>> c = configs(Map.of(PipelineConfig.TOPICS_OUTPUT_RETENTION, "-1",
            PipelineConfig.TRACKING_ENABLED, "true"));
        assertEquals(6, c.size(), c.toString());
        for (final String out : List.of("detections", "frames.dlq", "frames.dropped", "tracks", "events")) {
            assertEquals("-1", c.get(out).get("retention.ms"), out);
        }
        assertFalse(c.get("frames").containsKey("retention.ms"), "the input keeps the broker's retention");
        // the dead-letter topic still takes whole segments
        assertTrue(Long.parseLong(c.get("frames.dlq").get("max.message.bytes")) > 1 << 20);
    }

    @Test
    void unsetLeavesTheBrokersRetention() {
        configs(Map.of()).forEach((name, cfg) -> assertFalse(cfg.containsKey("retention.ms"), name));
    }

    @Test
    void theCreateCommandCarriesTheRetention() {
        final String how = TopicSetup.howToCreate(TopicSetup.required(new PipelineConfig(
            Map.of(PipelineConfig.TOPICS_OUTPUT_RETENTION, "604800000"))));
        assertTrue(how.contains("--topic detections --partitions 4 --replication-factor 1 --config "
            + "retention.ms=604800000"), how);
    }
}
