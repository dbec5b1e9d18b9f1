package io.mobileformer.streams.ingest;

import io.mobileformer.streams.observe.MetricsEndpoint;
import io.mobileformer.streams.observe.MetricsSettings;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CameraHealthTest {

    @Test
    void logLineSaysStateAgeCountsAndTheLastErrorWithoutCredentials() {
        final CameraHealth h = new CameraHealth("gate");
        assertTrue(h.snapshot().logLine().startsWith("camera=gate state=connecting last_packet_age_ms=none "
            + "reconnects=0 failed_attempts=0 auth_failures=0 connect_ms=none records=0 bytes=0"), h.snapshot().logLine());
        h.connected("h264 1920x1080 25.00fps", 350);
        h.packet(System.nanoTime());
        h.sent(1000);
        h.sent(500);
        h.credentialsRefused("cannot open rtsp://admin:gate-pass-77@10.0.0.3/ch1: 401");
        final String line = h.snapshot().logLine();
        assertTrue(line.contains("state=auth_failed") && line.contains("reconnects=0") && line.contains("records=2")
            && line.contains("failed_attempts=1 auth_failures=1")
            && line.contains("bytes=1500") && line.contains("stream=\"h264 1920x1080 25.00fps\""), line);
        assertTrue(line.contains("last_error=\"cannot open rtsp://***@10.0.0.3/ch1: 401\""), line);
        assertFalse(line.contains("gate-pass-77"));
        h.connected("h264 1920x1080 25.00fps", 350);
        assertTrue(h.snapshot().logLine().contains("reconnects=1 failed_attempts=1 auth_failures=1"));
        assertTrue(h.snapshot().logLine().endsWith("last_error=\"\""), "recovery clears the last error");
        h.failed("gave up");
        h.stopped();
        assertEquals(CameraHealth.State.FAILED, h.state(), "stopping does not hide that a camera had failed");
    }

    @Test
    void metricsExposeTheHealthOverJmx() throws Exception {
        final CameraHealth h = new CameraHealth("metrics-cam");
        try (IngestMetrics m = new IngestMetrics()) {
            m.register(h);
            h.connected("h264", 350);
            h.sent(42);
            h.lost("x");
            assertEquals(2, m.value("metrics-cam", "state"));
            assertEquals(0, m.value("metrics-cam", "connected"));
            // one outage: three refused attempts, then back
            h.attemptFailed("refused");
            h.attemptFailed("refused");
            h.credentialsRefused("401");
            assertEquals(6, m.value("metrics-cam", "state"), "auth_failed");
            h.connected("h264", 350);
            assertEquals(1L, m.value("metrics-cam", "reconnect-total"), "one successful reconnect");
            assertEquals(3L, m.value("metrics-cam", "failed-attempts-total"));
            assertEquals(1L, m.value("metrics-cam", "auth-failures-total"));
            final String line = h.snapshot().logLine();
            assertTrue(line.contains("reconnects=1 failed_attempts=3 auth_failures=1 connect_ms=350"),
                "same figures: " + line);
            assertEquals(350L, m.value("metrics-cam", "last-connect-ms"));
            assertEquals(42L, m.value("metrics-cam", "bytes-sent-total"));
            assertEquals(-1L, m.value("metrics-cam", "last-packet-age-ms"));
            final Object jmx = ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName("mobileformer.ingest:type=camera-health,camera=metrics-cam"), "records-sent-total");
            assertEquals(1L, ((Number) jmx).longValue());
            // and /metrics reports the same figures, read from the same CameraHealth
            try (MetricsEndpoint endpoint = MetricsEndpoint.start(new MetricsSettings(0, "127.0.0.1"))) {
                m.bindTo(endpoint.registry());
                final String scrape = endpoint.scrape();
                for (final String sample : List.of(
                    "mfs_ingest_camera_reconnects_total{camera=\"metrics-cam\"} 1.0",
                    "mfs_ingest_camera_failed_attempts_total{camera=\"metrics-cam\"} 3.0",
                    "mfs_ingest_camera_auth_failures_total{camera=\"metrics-cam\"} 1.0",
                    "mfs_ingest_camera_connect_time_seconds{camera=\"metrics-cam\"} 0.35",
                    "mfs_ingest_camera_sent_bytes_total{camera=\"metrics-cam\"} 42.0",
                    "mfs_ingest_camera_records_total{camera=\"metrics-cam\"} 1.0",
                    "mfs_ingest_camera_connected{camera=\"metrics-cam\"} 1.0",
                    "mfs_ingest_camera_last_packet_age_seconds{camera=\"metrics-cam\"} NaN",
                    "mfs_ingest_camera_state{camera=\"metrics-cam\",state=\"connected\"} 1.0",
                    "mfs_ingest_camera_state{camera=\"metrics-cam\",state=\"auth_failed\"} 0.0")) {
                    assertTrue(scrape.contains(sample), sample + " in\n" + scrape);
                }
                h.credentialsRefused("401 again");
                assertTrue(endpoint.scrape().contains(
                    "mfs_ingest_camera_state{camera=\"metrics-cam\",state=\"auth_failed\"} 1.0"));
                assertEquals(6, m.value("metrics-cam", "state"), "JMX agrees");
            }
        }
        assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(
            new ObjectName("mobileformer.ingest:type=camera-health,camera=metrics-cam")), "closing unregisters");
    }
}
