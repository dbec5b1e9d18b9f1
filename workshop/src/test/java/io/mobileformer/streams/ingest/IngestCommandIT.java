package io.mobileformer.streams.ingest;

import com.sun.net.httpserver.HttpServer;
import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.cli.Main;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.testing.Topics;
import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./mfs ingest} end to end: a configuration file, a file camera and an HTTP camera, the shared broker. */
class IngestCommandIT {

    @Test
    void ingestsAFileCameraAndAnHttpCameraFromAConfigFile(@TempDir final Path dir) throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String topic = "ingest-cmd-" + UUID.randomUUID();
        kafka.createTopics(1, topic);
        final Path videos = Files.createDirectories(dir.resolve("videos"));
        // 3 s at 15 fps, a key frame every second
        final byte[] clip = TestMedia.segment(45, 320, 240, MediaEncoder.Container.MPEG_TS, 15);
        Files.write(videos.resolve("clip.ts"), clip);
        final HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/live.ts", ex -> {
            ex.getResponseHeaders().add("Content-Type", "video/mp2t");
            ex.sendResponseHeaders(200, clip.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(clip);
            }
        });
        http.start();
        try {
            final Path config = dir.resolve("ingest.properties");
            Files.writeString(config, String.join("\n",
                "bootstrap.servers=" + kafka.bootstrapServers(),
                "topic=" + topic,
                "cameras=file,web",
                "camera.file.url=clip.ts",
                "camera.web.url=http://127.0.0.1:" + http.getAddress().getPort() + "/live.ts",
                "source.schemes=file,http",
                "source.file.root=" + videos,
                "source.file.realtime=false",
                "segment.ms=1000",
                "sequence.origin=zero",
                "producer.linger.ms=0"));
            final ByteArrayOutputStream buf = new ByteArrayOutputStream();
            final int exit = Main.call(new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true),
                "ingest", "--config", config.toString(), "--seconds", "6");
            final String out = buf.toString(StandardCharsets.UTF_8);
            assertEquals(0, exit, out);
            assertTrue(out.contains("ingesting 2 camera(s) to topic '" + topic + "'"), out);
            assertTrue(out.contains("camera=file state=finished"), out);
            assertTrue(out.contains("camera=web state=stopped"), out);

            final List<ConsumerRecord<byte[], byte[]>> records = Topics.readCommitted(kafka.bootstrapServers(), topic,
                l -> l.stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("file")).count() >= 3,
                Duration.ofSeconds(30), Duration.ofSeconds(1));
            final List<FrameEnvelope> file = envelopes(records, "file");
            final List<FrameEnvelope> web = envelopes(records, "web");
            assertEquals(List.of(0L, 1L, 2L), file.stream().map(FrameEnvelope::getSequence).toList(),
                "the file, read once: one segment per GOP");
            for (final FrameEnvelope e : file) {
                assertEquals(15, frames(e));
            }
            // an HTTP source is live: when the server ends the response, ingest reconnects and reads again
            assertTrue(web.size() >= 3, web.size() + " records from the HTTP camera");
            for (final FrameEnvelope e : web) {
                assertTrue(frames(e) >= 1);
            }
        } finally {
            http.stop(0);
        }
    }

    @Test
    void aRefusedSourceStopsTheCommandBeforeAnythingStartsAndNamesTheSetting(@TempDir final Path dir)
        throws Exception {
        final Path config = dir.resolve("ingest.properties");
        Files.writeString(config, "bootstrap.servers=127.0.0.1:9\ncameras=door\n"
            + "camera.door.url=http://admin:opensesame@10.0.0.9/video.mjpg\n");
        final ConfigException e = assertThrows(ConfigException.class, () -> Main.call(
            new PrintWriter(OutputStream.nullOutputStream()), "ingest", "--config", config.toString()));
        assertTrue(e.getMessage().contains("camera 'door' source http://***@10.0.0.9/video.mjpg refused: scheme "
            + "'http' is not allowed (source.schemes="), e.getMessage());
    }

    @Test
    void configDocsPrintsTheIngestReference() throws Exception {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        assertEquals(0, Main.call(new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true),
            "ingest", "--config-docs"));
        final String md = buf.toString(StandardCharsets.UTF_8);
        assertTrue(md.startsWith("| key | type | default |"), md);
        assertTrue(md.contains("`source.schemes`") && md.contains("`segment.ms`"), md);
        assertTrue(md.contains("| `bootstrap.servers` |") && md.contains("| `camera.<id>.url` |")
            && md.contains("| `source.auth-backoff.base-ms` |"), "the keys a first config needs are documented: " + md);
    }

    private static List<FrameEnvelope> envelopes(final List<ConsumerRecord<byte[], byte[]>> records,
                                                 final String camera) {
        return records.stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals(camera))
            .map(r -> AvroSerdes.frameEnvelope().deserializer().deserialize("t", r.value())).toList();
    }

    private static int frames(final FrameEnvelope env) throws Exception {
        final byte[] payload = new byte[env.getPayload().remaining()];
        env.getPayload().duplicate().get(payload);
        int n = 0;
        try (FrameDecoder d = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
                new Preprocessor(32, 32, ResizeMode.STRETCH, new float[] {0, 0, 0}, new float[] {1, 1, 1}));
             FrameStream s = d.open(payload, env.getContentType())) {
            while (s.next() != null) {
                n++;
            }
        }
        return n;
    }
}
