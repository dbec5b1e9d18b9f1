package io.mobileformer.streams.topology;

import io.mobileformer.engine.Engine;
import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.avro.RegistryConfig;
import io.mobileformer.streams.avro.RegistryUnavailableException;
import io.mobileformer.streams.avro.SchemaRegistryException;
import io.mobileformer.streams.avro.WireFormat;
import io.mobileformer.streams.batch.Batcher;
import io.mobileformer.streams.batch.DynamicBatcher;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.EngineCalibration;
import io.mobileformer.streams.inference.EngineFactory;
import io.mobileformer.streams.inference.FailoverEngine;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.observe.MetricsEndpoint;
import io.mobileformer.streams.observe.Readiness;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A running detection pipeline: model, engine, detector and a Kafka Streams instance, started from one validated
 * configuration and stopped together. {@code ./mfs run} and the demo both use it.
 */
public final class DetectionApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionApp.class);

    private final PipelineConfig config;
    private final ModelContract contract;
    private final Batcher batcher;
    private final KafkaStreams streams;
    private final PipelineMetrics metrics;
    private final Engine engine;
    private final KafkaStreamsMetrics streamsMetrics;
    private final EngineChoice engineChoice;
    private final AtomicInteger replacedThreads;

    /**
     * Which engine is primary and, under {@code engine=auto}, what each measured at start (fastest first; empty for a
     * pinned engine).
     */
    public record EngineChoice(String primary, List<EngineCalibration.Measurement> calibration) {
    }

    private DetectionApp(final PipelineConfig config, final ModelContract contract, final Batcher batcher,
                         final KafkaStreams streams, final PipelineMetrics metrics, final Engine engine,
                         final EngineChoice engineChoice, final AtomicInteger replacedThreads) {
        this.config = config;
        this.replacedThreads = replacedThreads;
        this.contract = contract;
        this.batcher = batcher;
        this.streams = streams;
        this.metrics = metrics;
        this.engineChoice = engineChoice;
        this.engine = engine;
        // Kafka Streams' own metrics (threads, tasks, embedded clients: process rate, commit latency, lag), next to ours
        this.streamsMetrics = new KafkaStreamsMetrics(streams, metrics.tags());
        metrics.meters().add(streamsMetrics::bindTo);
        metrics.meters().add(r -> FunctionCounter.builder("mfs.engine.failovers", engine,
                e -> e instanceof FailoverEngine f ? f.retiredCount() : 0).tags(metrics.tags())
            .description("engines retired after a failed batch (the batch was retried on the next)").register(r));
        metrics.meters().add(r -> Gauge.builder("mfs.engines.live", engine,
                e -> e instanceof FailoverEngine f ? f.liveEngines().size() : 1).tags(metrics.tags())
            .description("engines still in use; 0 means every engine failed").register(r));
        // engine=auto's start-up measurement, once per engine that ran it (the primary is the fastest)
        for (final EngineCalibration.Measurement m : engineChoice.calibration()) {
            metrics.meters().add(r -> Gauge.builder("mfs.engine.calibration", m,
                    EngineCalibration.Measurement::imagesPerSecond).tags(metrics.tags()).tag("engine", m.engine())
                .tag("primary", Boolean.toString(m.engine().equals(engineChoice.primary()))).description("images per second engine=auto measured at start, at "
                    + "batch.max-size; the fastest became primary").register(r));
        }
    }

    /** Starts with the engine the configuration names. */
    public static DetectionApp start(final Map<String, String> props) throws IOException, EngineException {
        return start(ConfigLoader.Settings.of(props), null);
    }

    /** Starts from settings {@link ConfigLoader} validated ({@code ./mfs run}). */
    public static DetectionApp start(final ConfigLoader.Settings settings) throws IOException, EngineException {
        return start(settings, null);
    }

    /**
     * @param engineWrapper applied to the engine before use (tests inject faults with it); null for none
     */
    public static DetectionApp start(final Map<String, String> props, final Function<Engine, Engine> engineWrapper)
        throws IOException, EngineException {
        return start(ConfigLoader.Settings.of(props), engineWrapper);
    }

    private static DetectionApp start(final ConfigLoader.Settings settings,
                                      final Function<Engine, Engine> engineWrapper)
        throws IOException, EngineException {
        final PipelineConfig cfg = settings.pipeline();
        prepareWireFormat(cfg);
        final ModelContract contract = ModelContract.load(cfg.modelPath());
        LOG.info("model {}", contract);
        Engine engine = EngineFactory.create(contract.path(), cfg.engineSettings());
        final EngineChoice choice = new EngineChoice(engine.name(),
            engine instanceof FailoverEngine f ? f.calibration() : List.of());
        if (engineWrapper != null) {
            engine = engineWrapper.apply(engine);
        }
        final Detector det = new Detector(contract, engine, cfg.scoreThreshold(), cfg.maxDetections());
        final Batcher batcher = new DynamicBatcher(det, cfg.batchSettings());
        final Properties sp = streamsProperties(settings);
        final PipelineMetrics metrics = new PipelineMetrics(sp.getProperty(StreamsConfig.APPLICATION_ID_CONFIG));
        ((DynamicBatcher) batcher).stats().listen(metrics::batchRan);
        try {
            TopicSetup.ensure(sp, cfg);
        } catch (final InterruptedException e) {
            batcher.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while checking topics", e);
        } catch (final RuntimeException e) {
            batcher.close();     // the engine's native session with it
            throw e;
        }
        final org.apache.kafka.streams.Topology topology = DetectionTopology.build(cfg, contract, batcher, metrics);
        final KafkaStreams streams = cfg.instanceName().map(n -> new KafkaStreams(topology, sp,
            new InstanceClientSupplier(n))).orElseGet(() -> new KafkaStreams(topology, sp));
        final AtomicInteger replaced = new AtomicInteger();
        streams.setUncaughtExceptionHandler(e -> {
            replaced.incrementAndGet();
            LOG.error("stream thread failed; replacing it (the task resumes from its last committed offsets)", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        return new DetectionApp(cfg, contract, batcher, streams, metrics, engine, choice, replaced);
    }

    /**
     * Learns the output schema ids before anything else starts, so that a registry that is down, refuses the
     * credentials or rejects the schema is one clear error here rather than failed tasks later; after this the hot path
     * never waits for the registry to write.
     */
    private static void prepareWireFormat(final PipelineConfig cfg) throws IOException {
        final WireFormat wire = cfg.wireFormat();
        if (!wire.usesRegistry()) {
            LOG.info("Avro single-object encoding (schema.registry.url not set)");
            return;
        }
        final PipelineConfig.Topics t = cfg.topics();
        try {
            wire.prepare(t.output(), FrameDetections.class);
            wire.prepare(t.dropped(), FrameDropped.class);
            final PipelineConfig.Analytics analytics = cfg.analytics();
            if (analytics.enabled()) {
                wire.prepare(analytics.tracksTopic(), FrameTracks.class);
                wire.prepare(analytics.eventsTopic(), TrackEvent.class);
            }
        } catch (final RegistryUnavailableException | SchemaRegistryException e) {
            throw new IOException("cannot start with the schema registry at " + wire.registryClient().urls() + ": "
                + e.getMessage() + ". Start or fix the registry, or unset " + RegistryConfig.URL
                + " to write Avro single-object encoding.", e);
        }
        LOG.info("schema-registry wire format via {}: {}-value id {}, {}-value id {}", wire.registryClient().urls(),
            t.output(), wire.schemaId(t.output(), FrameDetections.class), t.dropped(),
            wire.schemaId(t.dropped(), FrameDropped.class));
    }

    /**
     * Kafka Streams threads when {@code num.stream.threads} is not set: the number of cores plus one. Each stream
     * thread waits for its record's detections, so the threads, not the cores, bound the frames in flight.
     */
    public static int defaultStreamThreads() {
        return Runtime.getRuntime().availableProcessors() + 1;
    }

    static Properties streamsProperties(final ConfigLoader.Settings settings) {
        final PipelineConfig cfg = settings.pipeline();
        final int maxPayload = cfg.decodeLimits().maxPayloadBytes();
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "mfs-detector");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // stream threads mostly wait for the batcher; one more than the cores keeps a batch ready while the others
        // decode or commit (measured: 2 cores, 8-frame segments: 1 thread 0.59, 2 threads 0.67, 3 threads 0.82 of
        // the detector's own throughput; ./mfs bench pipeline --stream-threads N)
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, defaultStreamThreads());
        // a record may be a multi-frame segment: keep polls small so the poll interval is never exceeded
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 20);
        p.put("processing.exception.handler.global.enabled", true);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), maxPayload + (1 << 20));
        // dead letters carry the original payload
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxPayload + (1 << 20));
        // static membership: a restarted instance reclaims its partitions instead of waiting out the dead member's
        // session (an explicit group.instance.id in the files still wins)
        cfg.instanceName().ifPresent(n -> p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, n));
        p.putAll(settings.kafka());
        final Properties out = new Properties();
        out.putAll(p);
        return out;
    }

    /** Waits until Kafka Streams is RUNNING. */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        return awaitRunning(timeout, Duration.ZERO);
    }

    /**
     * Waits until Kafka Streams has been RUNNING for {@code stable} without a break; false on ERROR, NOT_RUNNING or
     * the timeout. RUNNING comes first when the first stream thread has its partitions, and another thread joining a
     * moment later rebalances the group once more: a caller that counts state changes from here waits for that.
     */
    public boolean awaitRunning(final Duration timeout, final Duration stable) throws InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        long runningSince = -1;
        while (System.nanoTime() < end) {
            final KafkaStreams.State s = streams.state();
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            final long now = System.nanoTime();
            if (s != KafkaStreams.State.RUNNING) {
                runningSince = -1;
            } else if (runningSince < 0) {
                runningSince = now;
            }
            if (runningSince >= 0 && now - runningSince >= stable.toNanos()) {
                return true;
            }
            Thread.sleep(stable.isZero() ? 50 : 20);
        }
        return false;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * Stream threads that died of an exception and were replaced since start. A replaced thread leaves the state
     * RUNNING once the rebalance is over, so this count is what shows that a record killed a thread (a fault no
     * dead letter caught).
     */
    public int replacedStreamThreads() {
        return replacedThreads.get();
    }

    /**
     * Ready when Kafka Streams is RUNNING and an engine is left: not before the topology runs, not during a rebalance
     * (tasks are moving; nothing is processed), not after every engine of the chain has failed.
     */
    public Readiness.Status readiness() {
        final KafkaStreams.State s = streams.state();
        final boolean engines = !(engine instanceof FailoverEngine f) || !f.liveEngines().isEmpty();
        if (!engines) {
            return Readiness.Status.notReady("every engine failed; records go to " + config.topics().deadLetters());
        }
        if (s != KafkaStreams.State.RUNNING) {
            return Readiness.Status.notReady("Kafka Streams " + s);
        }
        return Readiness.Status.ready("Kafka Streams RUNNING, engine " + engine.name());
    }

    /**
     * Exports this pipeline's meters (ours, Kafka Streams', the engines') through {@code endpoint} and adds its
     * readiness there, under its application.id.
     */
    public void observe(final MetricsEndpoint endpoint) {
        metrics.bindTo(endpoint.registry());
        endpoint.readiness(metrics.tags().stream().findFirst().map(t -> t.getValue()).orElse("detector"),
            this::readiness);
    }

    /** Batch statistics of the shared batcher. */
    public io.mobileformer.streams.batch.BatchStats batchStats() {
        return ((DynamicBatcher) batcher).stats();
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    /** The engine chosen at start and the figures it was chosen by. */
    public EngineChoice engineChoice() {
        return engineChoice;
    }

    public ModelContract contract() {
        return contract;
    }

    public PipelineConfig config() {
        return config;
    }

    @Override
    public void close() {
        // leave the group even as a static member: a stopped instance's partitions move to the others at once
        // rather than after session.timeout.ms (a crash cannot leave; a restart under the same name reclaims them)
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
            .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        streamsMetrics.close();
        batcher.close();
    }
}
