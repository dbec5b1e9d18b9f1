package io.mobileformer.streams.ingest;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import io.mobileformer.streams.avro.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IngestConfigTest {

    private static Map<String, String> minimal() {
        final Map<String, String> m = new HashMap<>();
        m.put("bootstrap.servers", "kafka:9092");
        m.put("cameras", "front,back");
        m.put("camera.front.url", "rtsp://u:pw1234@10.0.0.5/ch1");
        m.put("camera.back.url", "rtsps://10.0.0.6/ch1");
        return m;
    }

    private static String problems(final Map<String, String> props) {
        return assertThrows(ConfigException.class, () -> IngestConfig.of(props)).getMessage();
    }

    @Test
    void defaultsAndTheEnforcedProducerSettings() {
        final IngestConfig c = IngestConfig.of(minimal());
        assertEquals(List.of("front", "back"), c.cameraIds());
        assertEquals("segments", c.cameraMode("front"));
        assertEquals("frames", c.getString(IngestConfig.TOPIC));
        assertEquals(2000L, c.getLong(IngestConfig.SEGMENT_MS));
        assertEquals(List.of("rtsp", "rtsps", "https", "file"), c.getList(IngestConfig.SOURCE_SCHEMES));
        final Map<String, Object> p = c.producerProps();
        assertEquals(true, p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals("all", p.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(16 * 1024 * 1024, p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        assertEquals("kafka:9092", p.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    @Test
    void producerSettingsPassThroughPlainOrPrefixedAndThePrefixWins() {
        final Map<String, String> m = minimal();
        m.put("security.protocol", "SASL_SSL");
        m.put("max.request.size", "1000000");
        m.put("producer.max.request.size", "33554432");
        m.put("camera.back.mode", "jpeg");
        final IngestConfig c = IngestConfig.of(m);
        assertEquals("SASL_SSL", c.producerProps().get("security.protocol"));
        assertEquals("33554432", c.producerProps().get("max.request.size"));
        assertEquals("jpeg", c.cameraMode("back"));
        assertEquals("segments", c.cameraMode("front"));
    }

    @Test
    void settingsThatWeakenDeliveryAreRefused() {
        final Map<String, String> m = minimal();
        m.put("acks", "1");
        m.put("producer.enable.idempotence", "false");
        m.put("value.serializer", "x");
        final String p = problems(m);
        assertTrue(p.contains("acks=1 is refused") && p.contains("enable.idempotence=false is refused")
            && p.contains("value.serializer is set by ingest itself"), p);
        final Map<String, String> ok = minimal();
        ok.put("acks", "-1");
        assertEquals("all", IngestConfig.of(ok).producerProps().get("acks"));
    }

    @Test
    void unknownAndMisplacedKeysAreRefusedByName() {
        final Map<String, String> m = minimal();
        m.put("segment.msec", "1000");
        m.put("camera.side.url", "rtsp://x/y");
        m.put("camera.front.fps", "5");
        m.put("camera.back.mode", "mjpeg");
        final String p = problems(m);
        assertTrue(p.contains("unknown key 'segment.msec' (did you mean 'segment.ms'?)"), p);
        assertTrue(p.contains("camera 'side', which is not listed in cameras"), p);
        assertTrue(p.contains("unknown camera key 'camera.front.fps'"), p);
        assertTrue(p.contains("camera.back.mode=mjpeg must be segments or jpeg"), p);
    }

    @Test
    void camerasNeedUrlsAndSaneIdsAndKafkaNeedsBootstrap() {
        final Map<String, String> m = minimal();
        m.remove("camera.back.url");
        m.remove("bootstrap.servers");
        final String p = problems(m);
        assertTrue(p.contains("camera 'back' has no camera.back.url (or MFS_CAMERA_BACK_URL)"), p);
        assertTrue(p.contains("bootstrap.servers is not set"), p);
        final Map<String, String> bad = minimal();
        bad.put("cameras", "front,back door");
        assertTrue(problems(bad).contains("camera id 'back door' must be"));
        final Map<String, String> backoff = minimal();
        backoff.put("source.backoff.base-ms", "5000");
        backoff.put("source.backoff.max-ms", "1000");
        assertTrue(problems(backoff).contains("source.backoff.max-ms must be at least source.backoff.base-ms"));
    }

    @Test
    void environmentOverridesFileValuesIncludingCameraUrls(@TempDir final Path dir) throws Exception {
        final Path f = dir.resolve("ingest.properties");
        Files.writeString(f, "bootstrap.servers=kafka:9092\ncameras=front\ncamera.front.url=rtsp://placeholder/x\n"
            + "segment.ms=1000\n");
        final IngestConfig c = IngestConfig.load(List.of(f), Map.of(
            "MFS_CAMERA_FRONT_URL", "rtsp://viewer:from-env-secret@10.0.0.7/ch2",
            "MFS_SEGMENT_MS", "4000",
            "MFS_PRODUCER_LINGER_MS", "20"));
        assertEquals("rtsp://viewer:from-env-secret@10.0.0.7/ch2", c.cameraUrls().get("front"));
        assertEquals(4000L, c.getLong(IngestConfig.SEGMENT_MS));
        assertEquals("20", c.producerProps().get("linger.ms"));
    }

    @Test
    void theRegistryKeysAreIngestsTooAndNeverReachTheProducer(@TempDir final Path dir) throws Exception {
        final Path f = dir.resolve("ingest.properties");
        Files.writeString(f, "bootstrap.servers=kafka:9092\ncameras=front\ncamera.front.url=rtsp://placeholder/x\n");
        try (WireFormat plain = IngestConfig.load(List.of(f), Map.of()).wireFormat()) {
            assertFalse(plain.usesRegistry());
        }
        final IngestConfig c = IngestConfig.load(List.of(f), Map.of(
            "MFS_SCHEMA_REGISTRY_URL", "http://registry:8081",
            "MFS_BASIC_AUTH_USER_INFO", "cam:from-env-secret"));
        try (WireFormat wire = c.wireFormat()) {
            assertTrue(wire.usesRegistry());
            assertEquals("http://registry:8081", wire.registryClient().urls().get(0).toString());
        }
        assertFalse(c.producerProps().keySet().stream().anyMatch(k -> k.contains("registry") || k.contains("auth")),
            "registry settings are not Kafka producer settings: " + c.producerProps().keySet());
        assertFalse(c.values().toString().contains("from-env-secret"), "the password key is hidden in dumps");
    }

    @Test
    void aSegmentMustFitInAProducerRequest() {
        final Map<String, String> m = minimal();
        m.put("segment.max-bytes", "20000000");
        final String p = problems(m);
        assertTrue(p.contains("segment.max-bytes=20000000 does not fit in the producer's max.request.size=16777216")
            && p.contains("raise producer.max.request.size"), p);
        m.put("producer.max.request.size", "33554432");
        assertEquals(20_000_000, IngestConfig.of(m).getInt(IngestConfig.SEGMENT_MAX_BYTES));
    }

    @Test
    void validatorsBoundEachSetting() {
        for (final String[] kv : new String[][] {{"mode", "mjpeg"}, {"segment.ms", "10"}, {"jpeg.quality", "1"},
            {"source.rtsp.transport", "sctp"}, {"segment.container", "avi"}, {"jpeg.fps", "0"}}) {
            final Map<String, String> m = minimal();
            m.put(kv[0], kv[1]);
            final String p = problems(m);
            assertTrue(p.contains(kv[0]), kv[0] + ": " + p);
        }
    }

    @Test
    void theReferenceIsGeneratedFromTheDefinitions() {
        final String md = io.mobileformer.streams.config.ConfigFiles.markdownReference(IngestConfig.CONFIG);
        assertTrue(md.contains("| `source.stall-timeout-ms` | long | `15000` |"), md);
        assertFalse(md.contains("bootstrap.servers"), "producer settings are Kafka's own, documented there");
        // ./mfs ingest --config-docs adds the keys whose names vary or are Kafka's, in the same table
        final String all = IngestConfig.markdownReference();
        assertTrue(all.startsWith("| key | type | default |"), all);
        for (final String row : List.of("| `bootstrap.servers` | list | required |", "| `camera.<id>.url` | string | "
            + "required |", "| `camera.<id>.mode` |", "| `source.auth-backoff.max-ms` | long | `900000` |")) {
            assertTrue(all.contains(row), row + " in\n" + all);
        }
        final List<String> keys = all.lines().skip(2).map(l -> l.substring(0, l.indexOf(" | "))).toList();
        assertEquals(keys.stream().sorted().toList(), keys, "one sorted table");
        assertTrue(all.contains("MFS_CAMERA_<ID>_URL"), "credentials from the environment are documented");
    }

    @Test
    void theShippedExampleIsValid() throws Exception {
        final IngestConfig c = IngestConfig.load(java.util.List.of(java.nio.file.Path.of(
            "config/ingest.example.properties")), java.util.Map.of());
        assertEquals("frames", c.getString(IngestConfig.TOPIC));
    }
}
