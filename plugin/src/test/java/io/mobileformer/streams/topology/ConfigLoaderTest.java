package io.mobileformer.streams.topology;

import io.mobileformer.streams.config.ConfigFiles;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    @Test
    void everyShippedConfigurationIsValid() throws IOException {
        try (Stream<Path> configs = Files.list(Path.of("config")); Stream<Path> pipelines =
            Files.list(Path.of("processors"))) {
            // config/ingest*.properties configure ./mfs ingest, not a pipeline (IngestConfigTest covers them)
            final List<Path> cs = configs.filter(p -> p.toString().endsWith(".properties"))
                .filter(p -> !p.getFileName().toString().startsWith("ingest")).toList();
            final List<Path> ps = pipelines.filter(p -> p.toString().endsWith(".properties")).toList();
            assertTrue(cs.size() >= 3 && ps.size() >= 2);
            for (final Path c : cs) {
                for (final Path p : ps) {
                    final Map<String, String> m = ConfigLoader.load(List.of(c, p), Map.of()).properties();
                    assertTrue(m.containsKey("bootstrap.servers"), c + " + " + p);
                }
            }
        }
    }

    @Test
    void unknownKeysAreNamedWithTheNearestKnownKey(@TempDir final Path dir) throws IOException {
        final Path f = dir.resolve("bad.properties");
        Files.writeString(f, "bootstrap.servers=x:1\nbatch.max-szie=4\nfoo.bar=1\n");
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(f), Map.of()));
        assertTrue(e.getMessage().contains("unknown key 'batch.max-szie' (did you mean 'batch.max-size'?)"),
            e.getMessage());
        assertTrue(e.getMessage().contains("unknown key 'foo.bar'"), e.getMessage());
    }

    @Test
    void badValuesAreRejectedWithTheKey(@TempDir final Path dir) throws IOException {
        final Path f = dir.resolve("bad.properties");
        Files.writeString(f, "engine=tpu\n");
        final ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(List.of(f), Map.of()));
        assertTrue(e.getMessage().contains("engine"), e.getMessage());
    }

    @Test
    void environmentOverridesFiles(@TempDir final Path dir) throws IOException {
        final Path f = dir.resolve("c.properties");
        Files.writeString(f, "bootstrap.servers=a:1\nbatch.max-size=4\n");
        final ConfigLoader.Settings s = ConfigLoader.load(List.of(f), Map.of("MFS_BATCH_MAX_SIZE", "16",
            "MFS_BOOTSTRAP_SERVERS", "b:2", "UNRELATED", "x"));
        final Map<String, String> m = s.properties();
        assertEquals("16", m.get("batch.max-size"));
        assertEquals(16, s.pipeline().batchSettings().maxSize());
        assertEquals("b:2", m.get("bootstrap.servers"));
        assertEquals("MFS_DECODE_MAX_PIXELS", ConfigFiles.envName("decode.max-pixels"));
    }

    @Test
    void kafkaClientPrefixesPassThrough(@TempDir final Path dir) throws IOException {
        final Path f = dir.resolve("c.properties");
        Files.writeString(f, "producer.linger.ms=5\nconsumer.fetch.min.bytes=1\n");
        final ConfigLoader.Settings s = ConfigLoader.load(List.of(f), Map.of());
        assertEquals(Map.of("producer.linger.ms", "5", "consumer.fetch.min.bytes", "1"), Map.copyOf(
            s.kafka()).entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().toString())));
    }
}
