package io.mobileformer.streams.ingest;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.mobileformer.streams.observe.MeterSet;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.utils.Time;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Per-camera health as Kafka metrics, exported over JMX as {@code mobileformer.ingest:type=camera-health,camera=<id>}
 * (the same registry and reporter Kafka's own clients use, so any Kafka monitoring setup already scrapes it), and as
 * Micrometer meters ({@code mfs_ingest_camera_*} on {@code /metrics}) through {@link #bindTo}.
 *
 * <p>Both read {@link CameraHealth} when scraped, as the health log line does: one source, so the three always report
 * the same figures, and nothing is copied on the hot path. Owns the registry and its JMX beans until {@link #close()}.
 */
public final class IngestMetrics implements AutoCloseable {
    public static final String JMX_DOMAIN = "mobileformer.ingest";
    public static final String GROUP = "camera-health";

    private final Metrics metrics;
    private final MeterSet meters = new MeterSet();

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
        counter("skipped-packets-total", "packets skipped until the next key frame after an oversized segment", tags,
            h, CameraHealth::skippedPackets);
        registerMeters(h);
    }

    /*
     * The same figures for /metrics, in Prometheus' conventions: seconds, not milliseconds; NaN, not -1, for "none
     * yet"; the state as one 0/1 series per state, so a dashboard or an alert selects state="auth_failed" by name.
     */
    private void registerMeters(final CameraHealth h) {
        final Tags tags = Tags.of("camera", h.cameraId());
        for (final CameraHealth.State st : CameraHealth.State.values()) {
            gauge("mfs.ingest.camera.state", "1 for the camera's current state, 0 for the others",
                tags.and("state", st.name().toLowerCase(Locale.ROOT)), null, h, c -> c.state() == st ? 1 : 0);
        }
        gauge("mfs.ingest.camera.connected", "1 while video is being received, else 0", tags, null, h,
            c -> c.state() == CameraHealth.State.CONNECTED ? 1 : 0);
        gauge("mfs.ingest.camera.last.packet.age", "time since the last video packet (NaN: none yet)", tags, "seconds",
            h, c -> millisToSeconds(c.lastPacketAgeMs(System.nanoTime())));
        gauge("mfs.ingest.camera.connect.time", "how long the last successful connection took to open: connect, "
            + "handshake, probe (NaN: none yet)", tags, "seconds", h, c -> millisToSeconds(c.lastConnectMs()));
        meterCounter("mfs.ingest.camera.reconnects", "successful reconnects: connections opened after the first",
            tags, h, CameraHealth::reconnects);
        meterCounter("mfs.ingest.camera.failed.attempts", "connection attempts that failed, refused credentials "
            + "included", tags, h, CameraHealth::failedAttempts);
        meterCounter("mfs.ingest.camera.auth.failures", "connection attempts refused for their credentials (401/403)",
            tags, h, CameraHealth::authFailures);
        meterCounter("mfs.ingest.camera.records", "records acknowledged by Kafka", tags, h, CameraHealth::records);
        meters.add(r -> FunctionCounter.builder("mfs.ingest.camera.sent", h, CameraHealth::bytes).tags(tags)
            .baseUnit("bytes").description("payload bytes acknowledged by Kafka").register(r));
        meterCounter("mfs.ingest.camera.send.errors", "records Kafka did not accept", tags, h,
            CameraHealth::sendErrors);
        meterCounter("mfs.ingest.camera.skipped.packets", "packets skipped until the next key frame after an "
            + "oversized segment", tags, h, CameraHealth::skippedPackets);
    }

    private void gauge(final String name, final String doc, final Tags tags, final String unit, final CameraHealth h,
                       final ToDoubleFunction<CameraHealth> value) {
        meters.add(r -> io.micrometer.core.instrument.Gauge.builder(name, h, value).tags(tags).baseUnit(unit)
            .description(doc).register(r));
    }

    private void meterCounter(final String name, final String doc, final Tags tags, final CameraHealth h,
                              final ToLongFunction<CameraHealth> value) {
        meters.add(r -> FunctionCounter.builder(name, h, c -> value.applyAsLong(c)).tags(tags).description(doc)
            .register(r));
    }

    private static double millisToSeconds(final long ms) {
        return ms < 0 ? Double.NaN : ms / 1000.0;
    }

    /** Exports every camera's meters, registered before or after, to {@code registry} (the process's /metrics). */
    public void bindTo(final MeterRegistry registry) {
        meters.bindTo(registry);
    }

    /** The set the camera meters are in (add ingest-wide meters here). */
    public MeterSet meters() {
        return meters;
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
