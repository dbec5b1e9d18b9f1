package io.mobileformer.streams.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mobileformer.streams.cli.Main;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.inference.FailoverEngine;
import io.mobileformer.streams.ingest.CameraHealth;
import io.mobileformer.streams.ingest.Ingest;
import io.mobileformer.streams.ingest.IngestConfig;
import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.testing.Envelopes;
import io.mobileformer.streams.testing.FaultyEngine;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.testing.Topics;
import io.mobileformer.streams.topology.DetectionApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /metrics and the health probes as an operator meets them: real HTTP against a running demo, a running topology on
 * the shared broker with ingest beside it, and a topology whose every engine fails. The Grafana dashboard is checked
 * against what those scrapes really contain.
 */
class MetricsEndpointIT {
    static final Path DASHBOARD = Path.of("docker/grafana/mobileformer-streams.json");
    /** What the demo must have counted while it runs. */
    private static final List<String> COUNTED = List.of("mfs_records_total", "mfs_frames_total",
        "mfs_detections_total", "mfs_frames_engine_total", "mfs_batch_size_frames_count", "mfs_inference_seconds_count",
        "mfs_decode_seconds_count", "mfs_queue_wait_seconds_count", "mfs_latency_seconds_count",
        "mfs_process_time_seconds_total");

    @Test
    void theDemoIsNotReadyBeforeItsPipelineRunsThenServesNonZeroCounts() throws Exception {
        final int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        final CompletableFuture<Integer> demo = CompletableFuture.supplyAsync(() -> {
            try {
                return Main.call(new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true), "demo",
                    "--seconds", "12", "--cameras", "1", "--fps", "4", "--width", "320", "--height", "180",
                    "--no-real", "--pngs", "0", "--out", "target/tmp/metrics-it-demo", "--metrics-port",
                    Integer.toString(port));
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        });
        final List<Integer> readyAnswers = new ArrayList<>();
        Scrape during = null;
        while (!demo.isDone()) {
            final int ready = Scrape.status(port, "/health/ready");
            if (ready > 0 && (readyAnswers.isEmpty() || readyAnswers.get(readyAnswers.size() - 1) != ready)) {
                readyAnswers.add(ready);
            }
            if (ready == 200) {
                // a scrape reads meter after meter while frames flow, so wait for one where every figure has moved
                final Scrape s = Scrape.of(port);
                during = s;
                if (COUNTED.stream().allMatch(m -> s.sum(m, "application=\"mfs-demo\"") > 0)) {
                    assertEquals(200, Scrape.status(port, "/health/live"));
                    break;
                }
            }
            Thread.sleep(100);
        }
        final int exit = demo.get(5, TimeUnit.MINUTES);
        final String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        assertTrue(out.contains("metrics on http://127.0.0.1:" + port + "/metrics"), out);
        assertFalse(readyAnswers.isEmpty(), "the endpoint answered while the demo ran: " + out);
        assertEquals(503, readyAnswers.get(0), "not ready while the broker and the topology start");
        assertTrue(readyAnswers.contains(200), "ready once the pipeline ran: " + readyAnswers);
        assertTrue(during != null, "a scrape during the demo had frames and latencies: " + out);
        for (final String counted : COUNTED) {
            assertTrue(during.sum(counted, "application=\"mfs-demo\"") > 0, counted + " > 0 in\n" + during.text());
        }
        assertTrue(during.names().stream().anyMatch(n -> n.startsWith("kafka_stream_")),
            "Kafka Streams' own metrics are bound");
        assertEquals(0, during.sum("mfs_engine_failovers_total", "application=\"mfs-demo\""));
        assertEquals(-1, Scrape.status(port, "/health/live"), "the endpoint closes with the demo");
    }

    @Test
    void everyMetricTheDashboardQueriesIsInARealScrape(@TempDir final Path dir) throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String run = UUID.randomUUID().toString().substring(0, 8);
        final String in = "obs-frames-" + run;
        kafka.createTopics(1, in);
        final List<byte[][]> records = new ArrayList<>();
        final byte[] seg = TestMedia.segment(8, 160, 96, MediaEncoder.Container.MPEG_TS);
        for (int seq = 0; seq < 4; seq++) {
            records.add(new byte[][] {Topics.utf8("cam-o"), Envelopes.bytes("cam-o", seq, "video/mp2t", seg)});
        }
        records.add(new byte[][] {Topics.utf8("cam-o"), Topics.utf8("not an envelope")});
        Topics.send(kafka.bootstrapServers(), in, records);

        // the detector, as ./mfs run starts it: the endpoint first, then the pipeline
        try (MetricsEndpoint detector = MetricsEndpoint.start(MetricsSettings.loopback(MetricsSettings.ANY_PORT))) {
            assertEquals(503, Scrape.status(detector.port(), "/health/ready"), "before the topology runs");
            try (DetectionApp app = DetectionApp.start(pipeline(kafka, "obs-it-" + run, in))) {
                app.observe(detector);
                await(() -> app.metrics().frames() >= 32 && app.metrics().deadLetters() >= 1, "frames and a dead letter");
                assertEquals(200, Scrape.status(detector.port(), "/health/ready"),
                    Scrape.get(detector.port(), "/health/ready").body());
                final Scrape s = Scrape.of(detector.port());
                final String appTag = "application=\"obs-it-" + run + "\"";
                // the progress line and /metrics read the same counters
                assertEquals(app.metrics().frames(), s.sum("mfs_frames_total", appTag));
                assertEquals(app.metrics().records(), s.sum("mfs_records_total", appTag));
                assertEquals(app.metrics().detections(), s.sum("mfs_detections_total", appTag));
                assertEquals(1.0, s.sum("mfs_dead_letters_total", appTag, "stage=\"deserialize\"",
                    "reason=\"NOT_AVRO\""));
                assertEquals(32.0, s.sum("mfs_decode_seconds_count", appTag));
                assertEquals(1.0, s.sum("mfs_engines_live", appTag));

                // ingest beside it, with its own endpoint as in its own container
                try (MetricsEndpoint ingestEndpoint = MetricsEndpoint.start(
                    MetricsSettings.loopback(MetricsSettings.ANY_PORT));
                     Ingest ingest = Ingest.start(ingestConfig(kafka, dir, "obs-ingest-" + run))) {
                    ingest.observe(ingestEndpoint);
                    // the clip read once: three 1 s segments, then the camera is finished and its figures still
                    await(() -> ingest.health("clip").state() == CameraHealth.State.FINISHED
                        && ingest.health("clip").records() == 3, "ingest published the clip");
                    await(() -> statusOf(ingestEndpoint.port()) == 200, "ingest ready");
                    final Scrape i = Scrape.of(ingestEndpoint.port());
                    assertEquals((double) ingest.health("clip").records(),
                        i.sum("mfs_ingest_camera_records_total", "camera=\"clip\""));
                    assertEquals(0.0, i.sum("mfs_ingest_camera_failed_attempts_total", "camera=\"clip\""));
                    assertEquals(1.0, i.sum("mfs_ingest_camera_state", "camera=\"clip\"", "state=\"finished\""));
                    assertTrue(i.names().stream().anyMatch(n -> n.startsWith("kafka_producer_")),
                        "the producer's own metrics are bound");

                    // kept for whoever edits the dashboard: what a real scrape of each process holds
                    Files.createDirectories(Path.of("target/tmp"));
                    Files.writeString(Path.of("target/tmp/metrics-it-detector.prom"), s.text());
                    Files.writeString(Path.of("target/tmp/metrics-it-ingest.prom"), i.text());
                    final Set<String> present = new TreeSet<>(s.names());
                    present.addAll(i.names());
                    final Set<String> queried = dashboardMetrics();
                    assertTrue(queried.size() >= 15, "the dashboard queries " + queried);
                    final Set<String> missing = new TreeSet<>(queried);
                    missing.removeAll(present);
                    assertEquals(Set.of(), missing, "metrics the dashboard queries but no scrape has");
                }
            }
        }
    }

    @Test
    void notReadyOnceEveryEngineHasFailed() throws Exception {
        final EmbeddedKafka kafka = SharedKafka.get();
        final String run = UUID.randomUUID().toString().substring(0, 8);
        final String in = "obs-fail-frames-" + run;
        kafka.createTopics(1, in);
        Topics.send(kafka.bootstrapServers(), in, List.<byte[][]>of(new byte[][] {Topics.utf8("cam-x"),
            Envelopes.bytes("cam-x", 0, "video/mp2t", TestMedia.segment(4, 160, 96, MediaEncoder.Container.MPEG_TS))}));
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(MetricsSettings.loopback(MetricsSettings.ANY_PORT));
             DetectionApp app = DetectionApp.start(pipeline(kafka, "obs-fail-" + run, in),
                 primary -> new FailoverEngine(List.of(new FaultyEngine(primary, 1))))) {
            app.observe(endpoint);
            await(() -> app.metrics().deadLetters() >= 1, "the record dead-lettered");
            final var ready = Scrape.get(endpoint.port(), "/health/ready");
            assertEquals(503, ready.statusCode());
            assertTrue(ready.body().contains("every engine failed"), ready.body());
            assertEquals(200, Scrape.status(endpoint.port(), "/health/live"), "alive: a restart is the remedy, "
                + "but the orchestrator decides that from readiness");
            final Scrape s = Scrape.of(endpoint.port());
            assertEquals(1.0, s.sum("mfs_engine_failovers_total"));
            assertEquals(0.0, s.sum("mfs_engines_live"));
            assertEquals(1.0, s.sum("mfs_dead_letters_total", "stage=\"infer\"", "reason=\"ENGINE_RUN\""));
        }
    }

    private static int statusOf(final int port) {
        try {
            return Scrape.status(port, "/health/ready");
        } catch (final Exception e) {
            return -1;
        }
    }

    private static Map<String, String> pipeline(final EmbeddedKafka kafka, final String appId, final String in) {
        final Map<String, String> m = new HashMap<>();
        m.put("bootstrap.servers", kafka.bootstrapServers());
        m.put("application.id", appId);
        m.put("input.topic", in);
        m.put("output.topic", appId + "-detections");
        m.put("dlq.topic", appId + "-dlq");
        m.put("dropped.topic", appId + "-dropped");
        m.put("model.path", "models/tiny-centernet.onnx");
        m.put("engine", "cpu");
        m.put("state.dir", "target/tmp/streams-" + appId);
        m.put("num.stream.threads", "1");
        return m;
    }

    private static IngestConfig ingestConfig(final EmbeddedKafka kafka, final Path dir, final String topic)
        throws Exception {
        kafka.createTopics(1, topic);
        Files.write(dir.resolve("clip.ts"), TestMedia.segment(45, 320, 240, MediaEncoder.Container.MPEG_TS, 15));
        return IngestConfig.of(Map.of("bootstrap.servers", kafka.bootstrapServers(), "topic", topic,
            "cameras", "clip", "camera.clip.url", "clip.ts", "source.schemes", "file", "source.file.root",
            dir.toString(), "source.file.realtime", "false", "segment.ms", "1000",
            "producer.linger.ms", "0"));
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException {
        final long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    /** PromQL functions, aggregations and keywords: words in an expression that are not metric names. */
    private static final Set<String> PROMQL_WORDS = Set.of("sum", "rate", "irate", "increase", "histogram_quantile",
        "by", "without", "max", "min", "avg", "count", "le", "on", "ignoring", "group_left", "group_right", "and",
        "or", "unless", "time", "clamp_min", "clamp_max", "abs", "topk", "bottomk", "delta", "deriv", "offset",
        "max_over_time", "min_over_time", "avg_over_time", "label_replace", "vector", "scalar", "bool");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /**
     * Metric names in every {@code expr} of the dashboard: identifiers outside label matchers, braces, quotes and range
     * selectors that are not PromQL words or Grafana variables.
     */
    static Set<String> dashboardMetrics() throws Exception {
        final JsonNode root = new ObjectMapper().readTree(DASHBOARD.toFile());
        final Set<String> names = new TreeSet<>();
        for (final JsonNode expr : root.findValues("expr")) {
            // drop label matchers {...}, ranges [...], strings and $variables before picking out names
            final String bare = expr.asText().replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ")
                .replaceAll("\"[^\"]*\"", " ").replaceAll("\\$\\w+", " ").replaceAll("\\b(by|without)\\s*\\([^)]*\\)",
                    " ");
            final Matcher m = NAME.matcher(bare);
            while (m.find()) {
                final String w = m.group();
                final char before = m.start() > 0 ? bare.charAt(m.start() - 1) : ' ';
                final boolean partOfNumber = before == '.' || Character.isDigit(before);
                if (!PROMQL_WORDS.contains(w) && !partOfNumber) {
                    names.add(w);
                }
            }
        }
        // the template variables' label_values(metric, label) queries
        for (final JsonNode def : root.findValues("definition")) {
            final Matcher m = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher(def.asText());
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
