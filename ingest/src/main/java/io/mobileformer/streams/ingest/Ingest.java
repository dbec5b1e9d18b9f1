package io.mobileformer.streams.ingest;

import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.RegistryConfig;
import io.mobileformer.streams.avro.RegistryUnavailableException;
import io.mobileformer.streams.avro.SchemaRegistryException;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.observe.MetricsEndpoint;
import io.mobileformer.streams.observe.Readiness;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Camera ingestion: every configured camera on its own thread, publishing {@code FrameEnvelope} records to Kafka
 * through one idempotent producer, with per-camera health as a log line and JMX metrics.
 *
 * <p>Everything that can be checked is checked in {@link #start} before any thread starts: camera URLs against the
 * {@link SourcePolicy}, the producer settings (in {@link IngestConfig}). After that a camera's trouble stays that
 * camera's: it reconnects with backoff, and the others keep flowing. {@link #close()} stops the cameras (each
 * publishes the segment it holds), waits for Kafka to acknowledge what is in flight, and frees everything.
 */
public final class Ingest implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

    private final Map<String, CameraHealth> health = new LinkedHashMap<>();
    private final Map<String, CameraWorker> workers = new LinkedHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final WireFormat wire;
    private final EnvelopePublisher publisher;
    private final IngestMetrics metrics = new IngestMetrics();
    private final ScheduledExecutorService healthLog;
    private KafkaClientMetrics producerMetrics;
    private final long joinMillis;
    private boolean closed;

    private Ingest(final IngestConfig config, final Map<String, SourceLocation> sources, final WireFormat wire) {
        final SourceOptions options = SourceOptions.of(config);
        this.joinMillis = options.ioTimeoutMs() + 5_000;
        this.wire = wire;
        this.publisher = new EnvelopePublisher(config.producerProps(), config.getString(IngestConfig.TOPIC),
            wire.serializer(FrameEnvelope.class));
        final long firstSequence = config.getString(IngestConfig.SEQUENCE_ORIGIN).equals("zero") ? 0
            : System.currentTimeMillis() * 1000;
        final SplittableRandom seeds = new SplittableRandom(new SecureRandom().nextLong());
        sources.forEach((id, source) -> {
            final CameraHealth h = new CameraHealth(id);
            health.put(id, h);
            metrics.register(h);
            final Backoff backoff = new Backoff(config.getLong(IngestConfig.SOURCE_BACKOFF_BASE_MS),
                config.getLong(IngestConfig.SOURCE_BACKOFF_MAX_MS), seeds.split());
            final Backoff authBackoff = Backoff.atLeastHalf(config.getLong(IngestConfig.SOURCE_AUTH_BACKOFF_BASE_MS),
                config.getLong(IngestConfig.SOURCE_AUTH_BACKOFF_MAX_MS), seeds.split());
            workers.put(id, new CameraWorker(id, source, options, sinkFactory(config, id), backoff, authBackoff,
                config.getInt(IngestConfig.SOURCE_MAX_ATTEMPTS), firstSequence, publisher, h));
        });
        final long interval = config.getLong(IngestConfig.HEALTH_LOG_INTERVAL_MS);
        if (interval > 0) {
            healthLog = Executors.newSingleThreadScheduledExecutor(r -> {
                final Thread t = new Thread(r, "mfs-ingest-health");
                t.setDaemon(true);
                return t;
            });
            healthLog.scheduleAtFixedRate(this::logHealth, interval, interval, TimeUnit.MILLISECONDS);
        } else {
            healthLog = null;
        }
    }

    /**
     * Checks every camera source, then starts one thread per camera.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the camera and the setting when a source is
     *                                                        refused (nothing has been started then)
     */
    public static Ingest start(final IngestConfig config) {
        final SourcePolicy policy = config.sourcePolicy();
        final Map<String, SourceLocation> sources = new LinkedHashMap<>();
        config.cameraUrls().forEach((id, url) -> sources.put(id, policy.resolve(id, url)));
        final WireFormat wire = preparedWireFormat(config);
        final Ingest ingest;
        try {
            ingest = new Ingest(config, sources, wire);
        } catch (final RuntimeException e) {
            wire.close();
            throw e;
        }
        ingest.workers.forEach((id, worker) -> {
            final Thread t = new Thread(worker, "mfs-ingest-" + id);
            ingest.threads.add(t);
            t.start();
            LOG.info("camera {}: {} ({})", id, sources.get(id).display(), config.cameraMode(id));
        });
        return ingest;
    }

    /**
     * The framing, with the frames topic's schema id learnt before any camera starts: a registry that is down, refuses
     * the credentials or rejects the schema is one clear error here, and a camera thread never waits for the network
     * to publish.
     *
     * @throws IllegalStateException saying what to fix when the registry cannot give the id
     */
    private static WireFormat preparedWireFormat(final IngestConfig config) {
        final WireFormat wire = config.wireFormat();
        if (!wire.usesRegistry()) {
            LOG.info("Avro single-object encoding ({} not set)", RegistryConfig.URL);
            return wire;
        }
        final String topic = config.getString(IngestConfig.TOPIC);
        try {
            wire.prepare(topic, FrameEnvelope.class);
            LOG.info("schema-registry wire format via {}: {}-value id {}", wire.registryClient().urls(), topic,
                wire.schemaId(topic, FrameEnvelope.class));
            return wire;
        } catch (final RegistryUnavailableException | SchemaRegistryException e) {
            wire.close();
            throw new IllegalStateException("cannot start with the schema registry at " + wire.registryClient().urls()
                + ": " + e.getMessage() + ". Start or fix the registry, or unset " + RegistryConfig.URL
                + " to write Avro single-object encoding.", e);
        }
    }

    private static PacketSink.Factory sinkFactory(final IngestConfig config, final String cameraId) {
        if (config.cameraMode(cameraId).equals("jpeg")) {
            final double fps = config.getDouble(IngestConfig.JPEG_FPS);
            final int quality = config.getInt(IngestConfig.JPEG_QUALITY);
            return (connection, clock, out) -> new JpegSampler(connection, fps, quality, clock, out);
        }
        final Segmenter.Container container = Segmenter.Container.of(config.getString(
            IngestConfig.SEGMENT_CONTAINER));
        final long segmentMs = config.getLong(IngestConfig.SEGMENT_MS);
        final int maxBytes = config.getInt(IngestConfig.SEGMENT_MAX_BYTES);
        return (connection, clock, out) -> new Segmenter(connection, container, segmentMs, maxBytes, clock, out);
    }

    /** Health of one camera, live. */
    public CameraHealth health(final String cameraId) {
        return health.get(cameraId);
    }

    /** Every camera's health now, in configuration order. */
    public List<CameraHealth.Snapshot> snapshots() {
        return health.values().stream().map(CameraHealth::snapshot).toList();
    }

    public IngestMetrics metrics() {
        return metrics;
    }

    /**
     * Ready when the producer is connected to the cluster and at least one camera is configured. A camera that is
     * down does not make ingest unready (restarting ingest would not bring it back); its state is on /metrics.
     */
    public Readiness.Status readiness() {
        final int connections = publisher.connections();
        final Map<CameraHealth.State, Integer> states = new java.util.TreeMap<>();
        health.values().forEach(h -> states.merge(h.state(), 1, Integer::sum));
        final String cameras = health.size() + " camera(s) " + states;
        if (health.isEmpty()) {
            return Readiness.Status.notReady("no camera configured");
        }
        if (connections == 0) {
            return Readiness.Status.notReady("producer not connected to Kafka; " + cameras);
        }
        return Readiness.Status.ready("producer connected (" + connections + " connection(s)); " + cameras);
    }

    /** Exports camera health and the producer's metrics through {@code endpoint}, and adds ingest's readiness. */
    public synchronized void observe(final MetricsEndpoint endpoint) {
        metrics.bindTo(endpoint.registry());
        if (producerMetrics == null) {
            producerMetrics = publisher.metrics();
            metrics.meters().add(producerMetrics::bindTo);
        }
        endpoint.readiness("ingest", this::readiness);
    }

    private void logHealth() {
        for (final CameraHealth.Snapshot s : snapshots()) {
            LOG.info("health {}", s.logLine());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        workers.values().forEach(CameraWorker::stop);
        for (final Thread t : threads) {
            try {
                t.join(joinMillis);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (t.isAlive()) {
                // stuck in native I/O past every timeout: leave the thread, do not block shutdown on it
                LOG.warn("{} did not stop within {} ms; abandoning it", t.getName(), joinMillis);
            }
        }
        if (healthLog != null) {
            healthLog.shutdownNow();
        }
        logHealth();
        if (producerMetrics != null) {
            producerMetrics.close();
        }
        publisher.close();
        wire.close();
        metrics.close();
    }
}
