package io.mobileformer.streams.observe;

import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The endpoint over real HTTP on a loopback port the system picks. */
class MetricsEndpointTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> get(final int port, final String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readyOnlyWhenEveryCheckIsAndLiveUntilShutdown() throws Exception {
        try (MetricsEndpoint e = MetricsEndpoint.start(MetricsSettings.loopback(MetricsSettings.ANY_PORT))) {
            final int port = e.port();
            assertTrue(port > 0);
            HttpResponse<String> r = get(port, "/health/ready");
            assertEquals(503, r.statusCode(), "nothing registered yet: starting, not ready");
            assertTrue(r.body().contains("starting"), r.body());
            final AtomicBoolean running = new AtomicBoolean();
            e.readiness("detector", () -> running.get() ? Readiness.Status.ready("RUNNING")
                : Readiness.Status.notReady("Kafka Streams REBALANCING"));
            e.readiness("other", () -> Readiness.Status.ready("fine"));
            r = get(port, "/health/ready");
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("detector: NOT READY, Kafka Streams REBALANCING"), r.body());
            running.set(true);
            assertEquals(200, get(port, "/health/ready").statusCode());
            e.readiness("broken", () -> {
                throw new IllegalStateException("boom");
            });
            r = get(port, "/health/ready");
            assertEquals(503, r.statusCode(), "a check that throws is not ready");
            assertTrue(r.body().contains("broken: NOT READY, check failed"), r.body());
            e.removeReadiness("broken");
            assertEquals(200, get(port, "/health/live").statusCode());
            e.shuttingDown();
            assertEquals(503, get(port, "/health/live").statusCode(), "stopping is not alive");
            assertEquals(503, get(port, "/health/ready").statusCode(), "stopping is not ready");
        }
    }

    @Test
    void metricsAreThePrometheusTextOfTheRegistry() throws Exception {
        try (MetricsEndpoint e = MetricsEndpoint.start(MetricsSettings.loopback(MetricsSettings.ANY_PORT))) {
            Counter.builder("mfs.test.things").tag("kind", "a").register(e.registry()).increment(3);
            final HttpResponse<String> r = get(e.port(), "/metrics");
            assertEquals(200, r.statusCode());
            assertEquals(MetricsEndpoint.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
            assertTrue(r.body().contains("mfs_test_things_total{kind=\"a\"} 3.0"), r.body());
            assertTrue(r.body().contains("jvm_memory_used_bytes"), "JVM meters are bound");
            assertTrue(r.body().contains("process_uptime_seconds"), "process meters are bound");
            assertEquals(404, get(e.port(), "/nothing").statusCode());
            final HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + e.port() + "/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    @Test
    void portZeroServesNothingButKeepsTheRegistry() throws Exception {
        try (MetricsEndpoint e = MetricsEndpoint.start(new MetricsSettings(0, "127.0.0.1"))) {
            assertEquals(-1, e.port());
            Counter.builder("mfs.test.off").register(e.registry()).increment();
            assertTrue(e.scrape().contains("mfs_test_off_total 1.0"));
        }
    }

    @Test
    void closingStopsServing() throws Exception {
        final int port;
        try (MetricsEndpoint e = MetricsEndpoint.start(MetricsSettings.loopback(MetricsSettings.ANY_PORT))) {
            port = e.port();
            assertEquals(200, get(port, "/health/live").statusCode());
        }
        assertThrows(ConnectException.class, () -> get(port, "/health/live"));
    }

    @Test
    void aTakenPortIsRefusedWithTheKeyToChange() throws Exception {
        try (MetricsEndpoint first = MetricsEndpoint.start(MetricsSettings.loopback(MetricsSettings.ANY_PORT))) {
            final java.io.IOException ex = assertThrows(java.io.IOException.class,
                () -> MetricsEndpoint.start(MetricsSettings.loopback(first.port())));
            assertTrue(ex.getMessage().contains("metrics.port"), ex.getMessage());
        }
    }
}
