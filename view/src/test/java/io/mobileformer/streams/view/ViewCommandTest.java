package io.mobileformer.streams.view;

import io.mobileformer.streams.topology.ConfigLoader;
import io.mobileformer.streams.topology.PipelineConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ViewCommandTest {
    @Test
    void theConsumerGetsClientKeysNotStreamsKeys() {
        final Map<String, Object> c = ViewCommand.clientSettings(Map.of("bootstrap.servers", "kafka:9092",
            "security.protocol", "SASL_SSL", "application.id", "mfs", "num.stream.threads", "3",
            "consumer.fetch.min.bytes", "1024", "batch.max-size", "16"));
        assertEquals(Map.of("bootstrap.servers", "kafka:9092", "security.protocol", "SASL_SSL", "fetch.min.bytes",
            "1024"), c);
    }

    @Test
    void theShippedFilesNameTheTopicsTheViewReads() throws Exception {
        final ConfigLoader.Settings s = ConfigLoader.load(List.of(Path.of("config/edge-cpu.properties"),
            Path.of("processors/shapes-demo.properties")), Map.of());
        final ViewSources v = ViewSources.of(s.pipeline());
        assertEquals(s.pipeline().topics().output(), v.detections());
        assertEquals(s.pipeline().topics().deadLetters(), v.deadLetters());
        assertFalse(v.all().contains(s.pipeline().topics().input()), "frames are fetched by offset, not read");
        assertEquals(PipelineConfig.defaults().topics().output(), ViewSources.of(PipelineConfig.defaults())
            .detections());
    }
}
