package io.mobileformer.streams.cli;

import io.mobileformer.engine.Tensor;
import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.bench.ThreadSched;
import io.mobileformer.streams.bench.Throughput;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.EngineFactory;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.metrics.Latencies;
import io.mobileformer.streams.metrics.ProcessMemory;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.synthetic.SyntheticFeed;
import io.mobileformer.streams.topology.DetectionApp;
import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ./mfs bench pipeline}: how much of the detector's own throughput survives the whole path. In one process and
 * one run: (0) a start with one record waiting, timed to its committed detections, which also says which engine
 * {@code engine=auto} chose ({@code auto_engine=}); (1) that engine alone on preprocessed frames; (2) the full path
 * through the embedded broker, saturated (records produced ahead of time), with the CPU split by thread group, then
 * the engine alone again; (3) the full path at a paced rate below saturation, for latency percentiles; (4) a restart
 * on the committed state, timed to the next record's detections. Prints {@code pipeline_efficiency = e2e fps /
 * detector-alone fps}, the latter the mean of the figures before and after (2), with their drift.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "The detector alone vs the whole path through an embedded broker: prints pipeline_efficiency.")
final class BenchPipelineCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "20",
        description = "Measuring time, split over the three phases.")
    private int seconds;
    @Option(names = "--model", paramLabel = "FILE",
        description = "ONNX model (default: " + Main.DEFAULT_MODEL + ").")
    private Path model;
    @Option(names = "--engine", defaultValue = "auto",
        description = "auto (measured at start: the fastest is primary), cuda, cpu or java.")
    private String engine;
    @Option(names = "--threads", defaultValue = "1",
        description = "Engine intra-op threads.")
    private int threads;
    // the pipeline's own default (DetectionApp: cores + 1), so the benchmark measures what runs: with 2 on this
    // 2-core machine the batcher sat idle a third of the time (each stream thread waits for its record's detections,
    // so two threads keep too few frames in flight): efficiency 0.56-0.65 against 0.76 with 3, in one quiet hour
    @Option(names = "--stream-threads", defaultValue = "0",
        description = "Kafka Streams threads; 0: the pipeline's default, the number of cores + 1.")
    private int streamThreads;
    @Option(names = "--batch", defaultValue = "8",
        description = "Largest batch.")
    private int batch;
    @Option(names = "--delay-ms", defaultValue = "5",
        description = "batch.max-delay-ms.")
    private int delayMs;
    @Option(names = "--width", defaultValue = "640",
        description = "Frame width.")
    private int w;
    @Option(names = "--height", defaultValue = "360",
        description = "Frame height.")
    private int h;
    @Option(names = "--segment", defaultValue = "8",
        description = "Frames per video segment.")
    private int segment;
    @Option(names = "--commit-ms", defaultValue = "100",
        description = "Kafka Streams commit.interval.ms.")
    private int commitMs;
    @Option(names = "--tracking",
        description = "Run the analytics stage too (tracking, a zone and a counting line, as in the demo) and print "
            + "its share of the per-frame time (analytics_share).")
    private boolean tracking;
    @Option(names = "--keep-decoders", defaultValue = "true", arity = "1",
        description = "decode.keep-decoders: keep each camera's decoder across its segments (false: JavaCV per "
            + "segment, as before), to compare the two in one build.")
    private boolean keepDecoders;
    @Spec
    private CommandSpec spec;

    /** Segment sequences by phase: saturated from 0, paced, the record waiting at start, the one after restart. */
    private static final long PACED = 1_000_000L;
    private static final long START = 2 * PACED;
    private static final long RESTART = 3 * PACED;

    @Override
    public Integer call() throws Exception {
        if (streamThreads <= 0) {
            streamThreads = DetectionApp.defaultStreamThreads();
        }
        final PrintWriter out = spec.commandLine().getOut();
        final Path model = this.model != null ? this.model : Main.defaultModel();
        final ModelContract contract = ModelContract.load(model);
        out.printf("bench pipeline: model %s, engine %s, engine.threads %d, stream threads %d, batch %d, %dx%d "
            + "segments of %d frames%n", contract.name(), engine, threads, streamThreads, batch, w, h, segment);

        final List<FrameEnvelope> workload = workload(w, h, segment);
        final long rss0 = ProcessMemory.rssBytes();
        final List<DecodedFrame> frames = decodeAll(contract, workload);

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(Math.max(4, 2 * streamThreads), "bench-frames");
            final Map<String, String> props = new java.util.HashMap<>(Map.ofEntries(
                Map.entry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                Map.entry(StreamsConfig.APPLICATION_ID_CONFIG, "mfs-bench"),
                Map.entry(PipelineConfig.INPUT_TOPIC, "bench-frames"),
                Map.entry(PipelineConfig.OUTPUT_TOPIC, "bench-detections"),
                Map.entry(PipelineConfig.DLQ_TOPIC, "bench-dlq"),
                Map.entry(PipelineConfig.DROPPED_TOPIC, "bench-dropped"),
                Map.entry(PipelineConfig.MODEL_PATH, model.toString()),
                Map.entry(PipelineConfig.ENGINE, engine),
                Map.entry(PipelineConfig.DECODE_KEEP_DECODERS, Boolean.toString(keepDecoders)),
                Map.entry(PipelineConfig.ENGINE_THREADS, Integer.toString(threads)),
                Map.entry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(streamThreads)),
                Map.entry(PipelineConfig.BATCH_MAX_SIZE, Integer.toString(batch)),
                Map.entry(PipelineConfig.BATCH_MAX_DELAY_MS, Integer.toString(delayMs)),
                Map.entry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Integer.toString(commitMs)),
                Map.entry(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("mfs-bench-state").toString())));
            if (tracking) {
                props.putAll(DemoTracking.settings());
                props.put(PipelineConfig.TRACKS_TOPIC, "bench-tracks");
                props.put(PipelineConfig.EVENTS_TOPIC, "bench-events");
            }
            final Duration timeout = Duration.ofSeconds(Math.max(120, seconds * 4L));

            // 0. a fast start: one record is waiting, as a restarted ./mfs run finds it; from the start call (model
            // load, engine calibration, Kafka Streams start and rebalance) to its detections read committed
            produce(kafka, workload, 1, 0, null, START);
            final long t0 = System.nanoTime();
            DetectionApp app = DetectionApp.start(props);
            final long appStarted = System.nanoTime();
            readUntil(kafka, segment, Map.of(), new Latencies(), timeout, START);
            final long firstDetection = System.nanoTime();
            final DetectionApp.EngineChoice choice = app.engineChoice();
            out.printf("auto_engine=%s calibration=%s%n", choice.primary(), choice.calibration().isEmpty()
                ? "(pinned: not measured)" : choice.calibration());
            out.printf("start_to_first_detection_ms=%.0f (app start: model load + engine choice %.0f ms; Kafka "
                    + "Streams start, rebalance, first segment and commit %.0f ms; JVM start and broker not "
                    + "included)%n", (firstDetection - t0) / 1e6, (appStarted - t0) / 1e6,
                (firstDetection - appStarted) / 1e6);
            try (AloneDetector aloneDetector = new AloneDetector(contract, pinned(choice.primary()), threads, batch,
                frames)) {
                // 1. the detector alone, on the engine auto chose (pinned, so nothing is re-measured), on frames
                // decoded and preprocessed beforehand, while the pipeline idles; half its time now, half after the
                // full path, because this shared machine's speed drifts by tens of percent within a minute and a
                // ratio of two phases measured apart takes that drift for the pipeline's loss or gain
                final double aloneBefore = aloneDetector.measure(seconds / 6.0);
                out.printf("detector_alone engine=%s img_per_s=%.1f (batch %d, %d engine thread(s); before the full "
                    + "path)%n", choice.primary(), aloneBefore, batch, threads);

                // 2. the full path, saturated (records produced ahead of time)
                final int saturatedFrames = (int) Math.max(4 * segment, aloneBefore * seconds / 3.0);
                final int records = (saturatedFrames + segment - 1) / segment;
                final long rssStart = ProcessMemory.rssBytes();
                final Map<String, Long> sentAt = new ConcurrentHashMap<>();
                final Map<String, Long> cpu0 = threadCpu();
                final ThreadSched sched0 = ThreadSched.of("mfs-batcher");
                final long process0 = Math.round(app.metrics().processSeconds() * 1e9);
                final long wait0 = Math.round(app.metrics().detectWaitSeconds() * 1e9);
                final long batches0 = app.batchStats().batches();
                final double infer0 = batches0 * app.batchStats().meanInferenceMs() / 1e3;
                produce(kafka, workload, records, 0, null, 0);
                final double[] window = readUntil(kafka, records * segment, sentAt, new Latencies(), timeout, 0);
                final Map<String, Long> cpu1 = threadCpu();
                final ThreadSched sched = ThreadSched.of("mfs-batcher").since(sched0);
                final double e2e = window[0] / window[1];
                out.printf("e2e_saturated frames=%d seconds=%.1f fps=%.1f mean_batch=%.2f%n", (long) window[0],
                    window[1], e2e, app.batchStats().meanBatchSize());
                out.printf("time split: in processor %.1f s (waiting for detections %.1f s), batcher inference "
                        + "%.1f s, over %.1f s of wall time%n",
                    app.metrics().processSeconds() - process0 / 1e9,
                    app.metrics().detectWaitSeconds() - wait0 / 1e9,
                    app.batchStats().batches() * app.batchStats().meanInferenceMs() / 1e3 - infer0, window[1]);
                final StringBuilder cpu = new StringBuilder("cpu seconds by thread group:");
                cpu1.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - cpu0.getOrDefault(e.getKey(),
                        0L))).filter(e -> e.getValue() > 50_000_000L)
                    .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                    .forEach(e -> cpu.append(String.format(" %s=%.1f", e.getKey(), e.getValue() / 1e9)));
                out.println(cpu);
                final double aloneAfter = aloneDetector.measure(seconds / 6.0);
                final double alone = (aloneBefore + aloneAfter) / 2;
                final double drift = aloneAfter / aloneBefore;
                out.printf("detector_alone_after img_per_s=%.1f drift=%.2f (after / before; efficiency uses their "
                    + "mean, %.1f)%n", aloneAfter, drift, alone);
                if (Math.abs(drift - 1) > 0.1) {
                    out.printf("warning: the detector alone ran at %.2fx its first speed after the full path: the "
                        + "machine's speed changed during this run, so its efficiency is uncertain; repeat it%n",
                        drift);
                }
                // where the batcher's speed went, against its figure alone: waits for a core (the kernel's run-queue
                // time: woken stream, Kafka and broker threads taking its core) and extra CPU per frame (their work
                // on the other core evicting its caches); thread CPU time alone shows only the second
                if (sched.onCpuNanos() > 0) {
                    final double done = window[0];
                    final double cpuMs = sched.onCpuNanos() / 1e6 / done;
                    final double aloneMs = 1e3 / alone;
                    out.printf("batcher scheduling: on a core %.1f s, runnable but waiting for one %.1f s (%.0f %% of "
                            + "the window), %d time slices; cpu_ms_per_frame=%.2f vs %.2f alone (x%.2f)%n",
                        sched.onCpuNanos() / 1e9, sched.waitingNanos() / 1e9, 100 * sched.waitingNanos() / 1e9
                            / window[1], sched.slices(), cpuMs, aloneMs, cpuMs / aloneMs);
                }
                if (tracking) {
                    // CPU, not wall time: on a busy machine wall time mostly measures waiting for a core. The
                    // analytics run on the stream threads, inside the detection processor's time.
                    final long cpuAll = cpu1.entrySet().stream().mapToLong(e -> e.getValue()
                        - cpu0.getOrDefault(e.getKey(), 0L)).sum();
                    final double an = app.metrics().analyticsCpuSeconds();
                    final long n = Math.max(1, app.metrics().frames());
                    out.printf("analytics (tracking + zones) cpu %.3f s (wall %.3f s) of %.1f cpu s for %d frames: "
                            + "analytics_cpu_ms_per_frame=%.3f pipeline_cpu_ms_per_frame=%.1f analytics_share=%.4f%n",
                        an, app.metrics().analyticsSeconds(), cpuAll / 1e9, n, 1e3 * an / n, cpuAll / 1e6 / n,
                        an / (cpuAll / 1e9));
                }

                // 3. paced at 70 % of the saturated rate, for latency
                final int pacedRecords = (int) Math.max(8, 0.7 * e2e * seconds / 3.0 / segment);
                final long intervalNanos = (long) (segment / (0.7 * e2e) * 1e9);
                final Latencies paced = new Latencies();
                final Thread producer = new Thread(() -> produce(kafka, workload, pacedRecords, intervalNanos,
                    sentAt, PACED));
                producer.start();
                readUntil(kafka, pacedRecords * segment, sentAt, paced, timeout, PACED);
                producer.join();
                final long rssEnd = ProcessMemory.rssBytes();
                final double batchMs = app.batchStats().meanInferenceMs();
                out.printf("e2e_paced frames=%d latency_p50_ms=%.0f latency_p90_ms=%.0f latency_p99_ms=%.0f "
                        + "latency_max_ms=%.0f mean_batch=%.2f batch_inference_ms=%.1f bound_ms=%.1f%n",
                    pacedRecords * segment, paced.percentile(50), paced.percentile(90), paced.percentile(99),
                    paced.percentile(100), app.batchStats().meanBatchSize(), batchMs, delayMs + 2 * batchMs);
                out.printf("rss_mb before=%.0f pipeline_start=%.0f after=%.0f%n", rss0 / 1e6, rssStart / 1e6,
                    rssEnd / 1e6);
                out.printf("pipeline_efficiency=%.3f (engine %s: e2e %.1f fps / detector alone %.1f img/s)%n",
                    e2e / alone, choice.primary(), e2e, alone);
            } finally {
                app.close();
            }

            // 4. a restart: the same application id and state resume where they committed; one record waits
            produce(kafka, workload, 1, 0, null, RESTART);
            final long r0 = System.nanoTime();
            app = DetectionApp.start(props);
            try {
                readUntil(kafka, segment, Map.of(), new Latencies(), timeout, RESTART);
                out.printf("restart_to_resumed_ms=%.0f (a new DetectionApp on the committed offsets, to the waiting "
                    + "record's detections read committed; engine %s)%n", (System.nanoTime() - r0) / 1e6,
                    app.engineChoice().primary());
            } finally {
                app.close();
            }
        }
        return 0;
    }

    /** The engine setting that pins the engine an {@link io.mobileformer.engine.Engine#name()} names. */
    static String pinned(final String engineName) {
        return switch (engineName) {
            case "ort-cuda" -> "cuda";
            case "ort-cpu" -> "cpu";
            default -> engineName;
        };
    }

    /** CPU time of live threads, summed per name with digits and ids removed. */
    static Map<String, Long> threadCpu() {
        final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        final Map<String, Long> m = new java.util.TreeMap<>();
        for (final java.lang.management.ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (ti == null) {
                continue;
            }
            final long t = mx.getThreadCpuTime(ti.getThreadId());
            final String name = ti.getThreadName().replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "")
                .replaceAll("\\d+", "N");
            if (t > 0) {
                m.merge(name, t, Long::sum);
            }
        }
        return m;
    }

    static List<FrameEnvelope> workload(final int w, final int h, final int segment) throws Exception {
        final List<FrameEnvelope> out = new ArrayList<>();
        for (int cam = 0; cam < 2; cam++) {
            final SyntheticFeed feed = new SyntheticFeed("bench-" + cam, 500 + cam, w, h, 15, segment, 0);
            // stamped as three consecutive records that ended before now (the bench replays them at its own pace)
            final Instant start = Instant.now().minusSeconds(3L * segment);
            for (int i = 0; i < 3; i++) {
                out.add(feed.next(start.plusMillis(Math.round((i + 1) * segment * 1000 / 15.0))).envelope());
            }
        }
        return out;
    }

    private static List<DecodedFrame> decodeAll(final ModelContract c, final List<FrameEnvelope> workload)
        throws Exception {
        final List<DecodedFrame> frames = new ArrayList<>();
        try (FrameDecoder dec = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
            new Preprocessor(c))) {
            for (final FrameEnvelope e : workload) {
                final ByteBuffer b = e.getPayload().duplicate();
                final byte[] payload = new byte[b.remaining()];
                b.get(payload);
                try (FrameStream s = dec.open(payload, e.getContentType())) {
                    DecodedFrame f;
                    while ((f = s.next()) != null) {
                        frames.add(f);
                    }
                }
            }
        }
        return frames;
    }

    /** The engine auto chose, alone on one batch of the decoded frames: the figure the full path is held to. */
    private static final class AloneDetector implements AutoCloseable {
        private final Detector detector;
        private final Tensor batch;
        private final int size;

        AloneDetector(final ModelContract c, final String engine, final int threads, final int batch,
                      final List<DecodedFrame> frames) throws Exception {
            this.detector = new Detector(c, EngineFactory.create(c.path(), new EngineFactory.Settings(engine, threads,
                OrtEngine.Cuda.defaults())), 0.3f, 100);
            final int per = frames.get(0).input().length;
            final float[] data = new float[per * batch];
            for (int i = 0; i < batch; i++) {
                System.arraycopy(frames.get(i % frames.size()).input(), 0, data, i * per, per);
            }
            this.batch = new Tensor(data, batch, 3, c.inputHeight(), c.inputWidth());
            this.size = batch;
        }

        double measure(final double seconds) throws Exception {
            return Throughput.measure(() -> detector.detect(batch), size, seconds);
        }

        @Override
        public void close() {
            detector.close();
        }
    }

    /** Produces {@code records} segments with sequences from {@code base} (which names the bench phase). */
    private static void produce(final EmbeddedKafka kafka, final List<FrameEnvelope> workload, final int records,
                                final long intervalNanos, final Map<String, Long> sentAt, final long base) {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20), new StringSerializer(), new ByteArraySerializer())) {
            long next = System.nanoTime();
            for (int i = 0; i < records; i++) {
                final FrameEnvelope template = workload.get(i % workload.size());
                final long seq = base + i;
                // eight camera ids over the partitions, so every stream thread has work
                final FrameEnvelope e = FrameEnvelope.newBuilder(template).setCameraId("bench-cam-" + (i % 8))
                    .setSequence(seq).setCaptureTime(Instant.now()).build();
                if (sentAt != null) {
                    sentAt.put(e.getCameraId() + "/" + seq, System.nanoTime());
                }
                p.send(new ProducerRecord<>("bench-frames", e.getCameraId(),
                    AvroSerdes.frameEnvelope().serializer().serialize("bench-frames", e)));
                if (intervalNanos > 0) {
                    p.flush();
                    next += intervalNanos;
                    final long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    }
                }
            }
            p.flush();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Reads detections of one phase (its records have sequences from {@code base} up to the next phase's) until
     * {@code frames} arrived; returns {frames, seconds between the first and the last}.
     */
    private static double[] readUntil(final EmbeddedKafka kafka, final int frames, final Map<String, Long> sentAt,
                                      final Latencies lat, final Duration timeout, final long base) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + base, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
            c.subscribe(List.of("bench-detections"));
            final long end = System.nanoTime() + timeout.toNanos();
            long first = 0;
            long last = 0;
            int counted = 0;
            while (counted < frames && System.nanoTime() < end) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    final FrameDetections fd = AvroSerdes.frameDetections().deserializer().deserialize("x", r.value());
                    if (fd.getSegmentSequence() < base || fd.getSegmentSequence() >= base + PACED) {
                        continue;
                    }
                    final long now = System.nanoTime();
                    if (first == 0) {
                        first = now;
                    }
                    last = now;
                    counted++;
                    final Long sent = sentAt.get(fd.getCameraId() + "/" + fd.getSegmentSequence());
                    if (sent != null) {
                        lat.add((now - sent) / 1e6);
                    }
                }
            }
            return new double[] {counted, Math.max(1e-9, (last - first) / 1e9)};
        }
    }
}
