package io.mobileformer.streams.ingest;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.utils.Time;

import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Per-camera health as Kafka metrics, exported over JMX as {@code mobileformer.ingest:type=camera-health,camera=<id>}
 * (the same registry and reporter Kafka's own clients use, so any Kafka monitoring setup already scrapes it).
 *
 * <p>Gauges read {@link CameraHealth} when scraped; nothing is copied on the hot path. Owns the registry and its JMX
 * beans until {@link #close()}.
 */
public final class IngestMetrics implements AutoCloseable {
    public static final String JMX_DOMAIN = "mobileformer.ingest";
    public static final String GROUP = "camera-health";

    private final Metrics metrics;

    public IngestMetrics() {
        final JmxReporter jmx = new JmxReporter();
        this.metrics = new Metrics(new MetricConfig(), List.of(jmx), Time.SYSTEM,
            new KafkaMetricsContext(JMX_DOMAIN));
    }

    /** Registers the gauges of one camera. */
    public void register(final CameraHealth h) {
        final Map<String, String> tags = Map.of("camera", h.cameraId());
        metrics.addMetric(name("state", "0 connecting, 1 connected, 2 reconnecting, 3 failed, 4 finished, 5 stopped, 6 auth_failed",
            tags), (Gauge<Integer>) (config, now) -> h.state().ordinal());
        metrics.addMetric(name("connected", "1 while video is being received, else 0", tags),
            (Gauge<Integer>) (config, now) -> h.state() == CameraHealth.State.CONNECTED ? 1 : 0);
        metrics.addMetric(name("last-packet-age-ms", "milliseconds since the last video packet (-1: none yet)", tags),
            (Gauge<Long>) (config, now) -> h.lastPacketAgeMs(System.nanoTime()));
        counter("reconnect-total", "successful reconnects: connections opened after the first", tags, h,
            CameraHealth::reconnects);
        counter("failed-attempts-total", "connection attempts that failed, refused credentials included", tags, h,
            CameraHealth::failedAttempts);
        counter("auth-failures-total", "connection attempts refused for their credentials (401/403)", tags, h,
            CameraHealth::authFailures);
        counter("last-connect-ms", "how long the last successful connection took to open: connect, handshake, "
            + "probe (-1: none yet)", tags, h, CameraHealth::lastConnectMs);
        counter("records-sent-total", "records acknowledged by Kafka", tags, h, CameraHealth::records);
        counter("bytes-sent-total", "payload bytes acknowledged by Kafka", tags, h, CameraHealth::bytes);
        counter("send-errors-total", "records Kafka did not accept", tags, h, CameraHealth::sendErrors);
    }

    private void counter(final String metric, final String doc, final Map<String, String> tags, final CameraHealth h,
                         final ToLongFunction<CameraHealth> value) {
        metrics.addMetric(name(metric, doc, tags), (Gauge<Long>) (config, now) -> value.applyAsLong(h));
    }

    private MetricName name(final String metric, final String doc, final Map<String, String> tags) {
        return metrics.metricName(metric, GROUP, doc, tags);
    }

    /** The current value of one camera's metric, as JMX would report it. */
    public Object value(final String cameraId, final String metric) {
        final MetricName n = metrics.metricName(metric, GROUP, Map.of("camera", cameraId));
        final var m = metrics.metric(n);
        return m == null ? null : m.metricValue();
    }

    @Override
    public void close() {
        metrics.close();
    }
}
