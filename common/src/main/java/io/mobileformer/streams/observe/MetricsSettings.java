package io.mobileformer.streams.observe;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

import static org.apache.kafka.common.config.ConfigDef.Range.between;

/**
 * Where a process serves {@code /metrics}, {@code /health/live} and {@code /health/ready}: the same two keys for the
 * detector ({@code ./mfs run}) and ingest ({@code ./mfs ingest}), declared once here and added to each
 * {@link ConfigDef} by {@link #define}.
 *
 * @param port TCP port; 0 serves nothing (the registry still exists, so the health line and JMX are unchanged);
 *             {@link #ANY_PORT} lets the system pick a free one (tests and the demo only: it cannot be configured)
 * @param bind address to listen on
 */
public record MetricsSettings(int port, String bind) {
    public static final String PORT = "metrics.port";
    public static final String BIND = "metrics.bind";
    /** A port chosen by the system; not a configurable value (tests read the port back). */
    public static final int ANY_PORT = -1;

    private static final String PORT_DOC = "Port of the HTTP endpoint serving GET /metrics (Prometheus text), "
        + "/health/live and /health/ready; 0 turns it off (the default outside containers: nothing listens unless "
        + "asked). The container images set MFS_METRICS_PORT=9404.";
    private static final String BIND_DOC = "Address the metrics endpoint listens on. 0.0.0.0 by default because "
        + "the endpoint only exists once metrics.port is set, and then its readers are elsewhere: the kubelet probes "
        + "the pod IP and Prometheus scrapes it from another host. It serves read-only counters (no credentials, no "
        + "payloads); set 127.0.0.1 to keep it on the machine.";

    public MetricsSettings {
        if (port < ANY_PORT || port > 65_535) {
            throw new IllegalArgumentException("metrics port " + port + " is not 0-65535");
        }
    }

    /** Adds {@link #PORT} and {@link #BIND} to {@code def}; returns it. */
    public static ConfigDef define(final ConfigDef def) {
        return def
            .define(PORT, Type.INT, 0, between(0, 65_535), Importance.MEDIUM, PORT_DOC)
            .define(BIND, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.LOW, BIND_DOC);
    }

    /** The settings of a configuration whose definition went through {@link #define}. */
    public static MetricsSettings of(final AbstractConfig config) {
        return new MetricsSettings(config.getInt(PORT), config.getString(BIND));
    }

    /** On the loopback interface only, at {@code port} ({@link #ANY_PORT}: any free one); for the demo and tests. */
    public static MetricsSettings loopback(final int port) {
        return new MetricsSettings(port, "127.0.0.1");
    }

    public boolean enabled() {
        return port != 0;
    }
}
