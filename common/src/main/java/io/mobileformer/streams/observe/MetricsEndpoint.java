package io.mobileformer.streams.observe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A process's metrics registry and, when {@link MetricsSettings#enabled()}, the HTTP endpoint that serves it:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter of {@link #registry()} in the Prometheus text format (0.0.4);</li>
 *   <li>{@code GET /health/live}: 200 while the process runs and is not shutting down, else 503 (a liveness probe
 *       that fails restarts the container, so it never looks at Kafka or cameras);</li>
 *   <li>{@code GET /health/ready}: 200 when every {@link Readiness} check says ready, else 503, with one line per
 *       check saying why. Ready with no checks registered is not ready: nothing has started yet.</li>
 * </ul>
 *
 * <p>Components add their meters to {@link #registry()} (a Micrometer {@link MeterRegistry}: {@code
 * Gauge.builder("mfs.engine.selected", ...).register(endpoint.registry())} is all a new figure needs) and their checks
 * with {@link #readiness}. JVM and process meters (memory, GC, threads, CPU, file descriptors, uptime) are bound here.
 *
 * <p>Owns the registry, the binders and the server's one daemon thread until {@link #close()}. The server starts before
 * anything else of the process, so a probe gets a 503 rather than a refused connection while the process starts.
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** The Prometheus text exposition format (what every Prometheus version reads). */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, Readiness> checks = new LinkedHashMap<>();
    private final HttpServer server;
    private final ExecutorService executor;
    private volatile boolean live = true;
    private boolean closed;

    private MetricsEndpoint(final MetricsSettings settings) throws IOException {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        if (!settings.enabled()) {
            server = null;
            executor = null;
            return;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(settings.bind(), Math.max(0, settings.port())), 16);
        } catch (final IOException e) {
            close();
            throw new IOException("cannot serve metrics on " + settings.bind() + ":" + settings.port() + " ("
                + e.getMessage() + "); choose another " + MetricsSettings.PORT + ", or 0 to turn the endpoint off", e);
        }
        // scrapes and probes are rare and quick: one thread, which must not keep the JVM alive
        executor = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "mfs-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> answer(ex, 200, CONTENT_TYPE, registry.scrape()));
        server.createContext("/health/live", ex -> answer(ex, live ? 200 : 503, "text/plain; charset=utf-8",
            live ? "live\n" : "shutting down\n"));
        server.createContext("/health/ready", ex -> {
            final Readiness.Status s = readiness();
            answer(ex, s.ready() ? 200 : 503, "text/plain; charset=utf-8", s.detail());
        });
        server.createContext("/", ex -> answer(ex, 404, "text/plain; charset=utf-8",
            "not found: GET /metrics, /health/live or /health/ready\n"));
        server.start();
        LOG.info("metrics and health on http://{}:{}/metrics, /health/live, /health/ready", settings.bind(), port());
    }

    /** Creates the registry and, when the settings enable it, starts serving it. */
    public static MetricsEndpoint start(final MetricsSettings settings) throws IOException {
        return new MetricsEndpoint(settings);
    }

    /** The registry every component of this process adds its meters to. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Adds (or replaces) the check called {@code name}. */
    public synchronized void readiness(final String name, final Readiness check) {
        checks.put(name, check);
    }

    /** Removes the check called {@code name} (its component stopped). */
    public synchronized void removeReadiness(final String name) {
        checks.remove(name);
    }

    /** Every check now; ready only when there is at least one and all say ready, and the process is not stopping. */
    public Readiness.Status readiness() {
        final Map<String, Readiness> now;
        synchronized (this) {
            now = new LinkedHashMap<>(checks);
        }
        final StringBuilder detail = new StringBuilder();
        boolean ready = live && !now.isEmpty();
        if (!live) {
            detail.append("process: shutting down\n");
        }
        if (now.isEmpty()) {
            detail.append("process: starting, nothing to check yet\n");
        }
        for (final Map.Entry<String, Readiness> e : now.entrySet()) {
            Readiness.Status s;
            try {
                s = e.getValue().check();
            } catch (final RuntimeException ex) {
                s = Readiness.Status.notReady("check failed: " + ex);
            }
            ready &= s.ready();
            detail.append(e.getKey()).append(": ").append(s.ready() ? "ready" : "NOT READY").append(", ")
                .append(s.detail()).append('\n');
        }
        return new Readiness.Status(ready, detail.toString());
    }

    /** The registry in the Prometheus text format, as {@code GET /metrics} serves it. */
    public String scrape() {
        return registry.scrape();
    }

    /** The port served, or -1 when the endpoint is off. */
    public int port() {
        return server == null ? -1 : server.getAddress().getPort();
    }

    /**
     * The process is stopping: from now on both probes answer 503, so an orchestrator stops routing to it and does
     * not mistake the slow, clean close (Kafka Streams commits, ingest flushes segments) for a hang that needs a kill.
     */
    public void shuttingDown() {
        live = false;
    }

    private static void answer(final HttpExchange ex, final int status, final String type, final String body)
        throws IOException {
        try (ex) {
            final String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            if (method.equals("HEAD")) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        live = false;
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
        gc.close();
        registry.close();
    }
}
