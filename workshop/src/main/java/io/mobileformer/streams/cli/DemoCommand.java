package io.mobileformer.streams.cli;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.eval.ClipTruth;
import io.mobileformer.streams.eval.MeanAveragePrecision;
import io.mobileformer.streams.metrics.Latencies;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.observe.MetricsEndpoint;
import io.mobileformer.streams.observe.MetricsSettings;
import io.mobileformer.streams.publish.DetectionRecords;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import io.mobileformer.streams.synthetic.SyntheticFeed;
import io.mobileformer.streams.synthetic.SyntheticScene;
import io.mobileformer.streams.topology.DetectionApp;
import io.mobileformer.streams.topology.PipelineConfig;
import io.mobileformer.streams.view.LiveView;
import io.mobileformer.streams.view.ViewSources;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./mfs demo}: the whole data path on this machine. An embedded KRaft broker, synthetic cameras publishing
 * H.264 MPEG-TS segments and JPEG stills, the detection topology under exactly-once, and a read_committed consumer
 * that scores every frame against the cameras' ground truth, draws a few, and prints a summary line; beside them a
 * real camera ({@link DemoClipCamera}) through its own pipeline with the people model, scored against checked truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "The whole pipeline on this machine: embedded broker, synthetic cameras and a real camera (recorded "
        + "pedestrians, people detector), their detection topologies and scoring consumers; ends with a SUMMARY line.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "30",
        description = "How long the cameras publish.")
    private int seconds;
    @Option(names = "--cameras", defaultValue = "2",
        description = "Synthetic cameras, one partition each.")
    private int cameras;
    @Option(names = "--fps", defaultValue = "8",
        description = "Frames per second per camera.")
    private double fps;
    @Option(names = "--width", defaultValue = "640",
        description = "Frame width.")
    private int width;
    @Option(names = "--height", defaultValue = "360",
        description = "Frame height.")
    private int height;
    @Option(names = "--model", paramLabel = "FILE",
        description = "ONNX model (default: " + Main.DEFAULT_MODEL + ").")
    private Path model;
    @Option(names = "--engine", defaultValue = "auto",
        description = "auto, cuda, cpu or java.")
    private String engine;
    @Option(names = "--threads", defaultValue = "1",
        description = "Engine intra-op threads.")
    private int threads;
    @Option(names = "--batch", defaultValue = "8",
        description = "Largest batch.")
    private int batch;
    @Option(names = "--out", defaultValue = "out/demo", paramLabel = "DIR",
        description = "Where annotated PNGs go.")
    private Path outDir;
    @Option(names = "--pngs", defaultValue = "6",
        description = "Annotated frames written per kind of camera.")
    private int pngs;
    @Option(names = "--real", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Also run the real camera: a recorded clip of pedestrians through the people detector, scored "
            + "against checked truth (real_map50).")
    private boolean real;
    @Option(names = "--real-model", defaultValue = "models/people.onnx", paramLabel = "FILE",
        description = "Model of the real camera's pipeline.")
    private Path realModel;
    @Option(names = "--real-clip", defaultValue = "samples/vtest-tail.ts", paramLabel = "FILE",
        description = "Clip the real camera plays, looping (MPEG-TS/MP4/MKV, starting with a key frame).")
    private Path realClip;
    @Option(names = "--real-truth", defaultValue = "samples/vtest-tail.truth.json", paramLabel = "FILE",
        description = "COCO truth of the clip's frames (frame_index from the clip's first frame).")
    private Path realTruth;
    @Option(names = "--metrics-port", defaultValue = "0", paramLabel = "PORT",
        description = "Serve /metrics, /health/live and /health/ready on 127.0.0.1:PORT while the demo runs (0: off).")
    private int metricsPort;
    @Option(names = "--view-port", defaultValue = "-1", paramLabel = "PORT",
        description = "Serve the live view (as ./mfs view) on this port of 127.0.0.1 while the demo runs; 0: any free "
            + "port; -1: no view.")
    private int viewPort;
    @Spec
    private CommandSpec spec;

    /** What was sent, kept until its detections come back. */
    private record Sent(long sentNanos, List<SyntheticCamera.Frame> frames, AtomicInteger remaining) {
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final Path model = this.model != null ? this.model : Main.defaultModel();
        Files.createDirectories(outDir);
        try (var old = Files.newDirectoryStream(outDir, "frame-*.png")) {
            for (final Path p : old) {
                Files.delete(p);
            }
        }
        out.printf("mobileformer-streams demo: %d camera(s) %dx%d at %.0f fps for %d s, model %s%n", cameras, width,
            height, fps, seconds, model);
        if (real) {
            for (final Path p : List.of(realModel, realClip, realTruth)) {
                if (!Files.isRegularFile(p)) {
                    out.println("ERROR: " + p + " not found (run from the repository root, or pass --no-real)");
                    return 2;
                }
            }
        }
        final long t0 = System.nanoTime();
        // before the broker: /health/ready answers 503 until the pipelines run, as a probe of ./mfs run would see
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(MetricsSettings.loopback(metricsPort));
             EmbeddedKafka kafka = EmbeddedKafka.start()) {
            if (endpoint.port() > 0) {
                out.printf("metrics on http://127.0.0.1:%d/metrics, health on /health/live and /health/ready%n",
                    endpoint.port());
            }
            out.printf("embedded Kafka (KRaft) at %s after %.1f s%n", kafka.bootstrapServers(),
                (System.nanoTime() - t0) / 1e9);
            kafka.createTopics(cameras, "frames");
            if (real) {
                // created before its pipeline subscribes, so no stream thread starts with nothing assigned
                kafka.createTopics(1, REAL_TOPIC);
            }
            final String state = Files.createTempDirectory("mfs-demo-state").toString();
            try (DetectionApp app = DetectionApp.start(pipeline("mfs-demo", kafka, model, cameras, state,
                    DemoTracking.settings()));
                 DetectionApp realApp = real ? DetectionApp.start(pipeline("mfs-demo-real", kafka, realModel, 1, state,
                     Map.of(PipelineConfig.INPUT_TOPIC, REAL_TOPIC, PipelineConfig.OUTPUT_TOPIC, REAL_TOPIC_OUT,
                         PipelineConfig.DLQ_TOPIC, REAL_TOPIC_DLQ, PipelineConfig.DROPPED_TOPIC,
                         REAL_TOPIC + ".dropped",
                         // scored as mAP, so keep the low-score tail; the drawn boxes are cut at DRAW_SCORE
                         PipelineConfig.SCORE_THRESHOLD, "0.05", PipelineConfig.TRACKING_ENABLED, "true",
                         PipelineConfig.TRACKS_TOPIC, REAL_TOPIC_TRACKS, PipelineConfig.EVENTS_TOPIC,
                         REAL_TOPIC + ".events"))) : null) {
                for (final DetectionApp a : real ? List.of(app, realApp) : List.of(app)) {
                    a.observe(endpoint);
                }
                for (final DetectionApp a : real ? List.of(app, realApp) : List.of(app)) {
                    if (!a.awaitRunning(Duration.ofSeconds(90))) {
                        out.println("ERROR: Kafka Streams did not reach RUNNING (state " + a.state() + ")");
                        return 1;
                    }
                    out.printf("pipeline RUNNING after %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, a.contract());
                }
                DemoClipCamera clipCamera = null;
                if (real) {
                    final ModelContract people = ModelContract.load(realModel);
                    clipCamera = new DemoClipCamera(kafka.bootstrapServers(), REAL_TOPIC, REAL_TOPIC_OUT,
                        REAL_TOPIC_DLQ, realClip, ClipTruth.read(realTruth, people.labels()), people.labels().size(),
                        outDir, pngs, out);
                    out.println(clipCamera.describe());
                }
                try (LiveView view = viewPort < 0 ? null : liveView(kafka, real ? List.of(app, realApp)
                    : List.of(app))) {
                    if (view != null) {
                        out.println(view.describe());
                    }
                    return new DemoRun(kafka, app, clipCamera, cameras, fps, width, height, seconds, pngs, outDir, out)
                        .run();
                }
            }
        }
    }

    /** The live view of the demo's pipelines, on loopback (credentials from MFS_VIEW_*, as for ./mfs view). */
    private LiveView liveView(final EmbeddedKafka kafka, final List<DetectionApp> apps) throws java.io.IOException {
        return LiveView.start(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            apps.stream().map(a -> ViewSources.of(a.config())).toList(),
            LiveView.Options.loopback(viewPort, DemoClipCamera.DRAW_SCORE));
    }

    /** A consumer of the demo's outputs as a downstream application sees them: committed records only, from the start. */
    static <K> KafkaConsumer<K, byte[]> committedConsumer(final String bootstrap, final String group,
                                                          final org.apache.kafka.common.serialization.Deserializer<K> kd) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 << 20), kd, new ByteArrayDeserializer());
    }

    static final String REAL_TOPIC = "frames.real";
    static final String REAL_TOPIC_OUT = "detections.real";
    static final String REAL_TOPIC_DLQ = "frames.real.dlq";
    static final String REAL_TOPIC_TRACKS = "tracks.real";

    /** The settings of one of the demo's pipelines; {@code extra} names its topics when they are not the defaults. */
    private Map<String, String> pipeline(final String applicationId, final EmbeddedKafka kafka, final Path modelFile,
                                         final int partitions, final String stateDir, final Map<String, String> extra) {
        final Map<String, String> m = new HashMap<>(Map.ofEntries(
            Map.entry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            Map.entry(StreamsConfig.APPLICATION_ID_CONFIG, applicationId),
            Map.entry(PipelineConfig.MODEL_PATH, modelFile.toString()),
            Map.entry(PipelineConfig.ENGINE, engine),
            Map.entry(PipelineConfig.ENGINE_THREADS, Integer.toString(threads)),
            Map.entry(PipelineConfig.BATCH_MAX_SIZE, Integer.toString(batch)),
            Map.entry(PipelineConfig.TOPICS_PARTITIONS, Integer.toString(partitions)),
            Map.entry(StreamsConfig.NUM_STREAM_THREADS_CONFIG,
                Integer.toString(Runtime.getRuntime().availableProcessors() + 1)),
            Map.entry(StreamsConfig.STATE_DIR_CONFIG, stateDir)));
        m.putAll(extra);
        return m;
    }

    /** One demo run: cameras, consumers, progress and summary. */
    private static final class DemoRun {
        private final EmbeddedKafka kafka;
        private final DetectionApp app;
        private final DemoClipCamera clipCamera;
        private final int cameras;
        private final double fps;
        private final int width;
        private final int height;
        private final int seconds;
        private final int pngs;
        private final Path outDir;
        private final PrintWriter out;
        private final Map<String, Sent> sent = new ConcurrentHashMap<>();
        private final AtomicLong framesSent = new AtomicLong();
        private final AtomicLong framesDone = new AtomicLong();
        private final AtomicLong detections = new AtomicLong();
        private final AtomicLong dlqRecords = new AtomicLong();
        private final AtomicLong dlqFrames = new AtomicLong();
        private final AtomicInteger pngsWritten = new AtomicInteger();
        private final Latencies latency = new Latencies();
        private final MeanAveragePrecision map = new MeanAveragePrecision(SyntheticScene.CLASSES.size());
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Map<String, String> engines = new ConcurrentHashMap<>();
        private final DemoTracking tracking;

        DemoRun(final EmbeddedKafka kafka, final DetectionApp app, final DemoClipCamera clipCamera, final int cameras,
                final double fps, final int width, final int height, final int seconds, final int pngs,
                final Path outDir, final PrintWriter out) {
            this.kafka = kafka;
            this.app = app;
            this.clipCamera = clipCamera;
            this.cameras = cameras;
            this.fps = fps;
            this.width = width;
            this.height = height;
            this.seconds = seconds;
            this.pngs = pngs;
            this.outDir = outDir;
            this.out = out;
            this.tracking = new DemoTracking(kafka.bootstrapServers());
        }

        int run() throws Exception {
            final Thread detectionsReader = new Thread(this::readDetections, "demo-detections");
            final Thread dlqReader = new Thread(this::readDeadLetters, "demo-dlq");
            final Thread tracksReader = new Thread(() -> tracking.readTracks(stop), "demo-tracks");
            final Thread eventsReader = new Thread(() -> tracking.readEvents(stop), "demo-events");
            final List<Thread> readers = new ArrayList<>(List.of(detectionsReader, dlqReader, tracksReader,
                eventsReader));
            readers.forEach(Thread::start);
            if (clipCamera != null) {
                readers.add(new Thread(() -> clipCamera.readDetections(stop), "demo-real-detections"));
                readers.add(new Thread(() -> clipCamera.readDeadLetters(stop), "demo-real-dlq"));
                readers.add(new Thread(() -> clipCamera.readTracks(REAL_TOPIC_TRACKS, stop), "demo-real-tracks"));
                readers.subList(4, 7).forEach(Thread::start);
            }
            final List<Thread> cams = new ArrayList<>();
            final long start = System.nanoTime();
            final long deadline = start + seconds * 1_000_000_000L;
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20),
                new StringSerializer(), new ByteArraySerializer())) {
                for (int c = 0; c < cameras; c++) {
                    final int cam = c;
                    final Thread t = new Thread(() -> camera(cam, producer, deadline), "demo-camera-" + c);
                    t.start();
                    cams.add(t);
                }
                if (clipCamera != null) {
                    final Thread t = new Thread(() -> clipCamera.publish(producer, deadline, stop), "demo-real-camera");
                    t.start();
                    cams.add(t);
                }
                long lastLine = 0;
                while (System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    if (System.nanoTime() - lastLine > 1_000_000_000L) {
                        lastLine = System.nanoTime();
                        progress(start);
                    }
                }
                for (final Thread t : cams) {
                    t.join();
                }
            }
            final long drainEnd = System.nanoTime() + 90_000_000_000L;
            while ((framesDone.get() + dlqFrames.get() < framesSent.get()
                || clipCamera != null && clipCamera.framesAccounted() < clipCamera.framesSent())
                && System.nanoTime() < drainEnd) {
                Thread.sleep(200);
            }
            final double elapsed = (System.nanoTime() - start) / 1e9;
            stop.set(true);
            for (final Thread t : readers) {
                t.join();
            }
            progress(start);
            out.println();
            final long lost = framesSent.get() - framesDone.get() - dlqFrames.get()
                + (clipCamera == null ? 0 : clipCamera.framesSent() - clipCamera.framesAccounted());
            if (lost != 0) {
                out.printf("WARNING: %d frame(s) sent but not accounted for after the drain timeout%n", lost);
            }
            out.printf("engines: %s; dead letters by reason: %s; annotated frames in %s%n", app.metrics()
                .framesByEngine(), app.metrics().deadLettersByReason(), outDir.toAbsolutePath());
            final double map50;
            synchronized (map) {
                map50 = map.map50();
            }
            out.println(tracking.describe());
            String realPart = "";
            if (clipCamera != null) {
                out.printf("real camera: frames=%d detections=%d dlq=%d p50_ms=%.0f p99_ms=%.0f, %d labelled frames "
                        + "scored%n", clipCamera.framesDone(), clipCamera.detections(), clipCamera.deadLetters(),
                    clipCamera.latency().percentile(50), clipCamera.latency().percentile(99),
                    clipCamera.scoredFrames());
                realPart = String.format(" real_frames=%d real_map50=%.3f", clipCamera.framesDone(),
                    clipCamera.map50());
            }
            out.printf("SUMMARY frames=%d detections=%d dlq=%d fps=%.1f p50_ms=%.0f p99_ms=%.0f map50=%.3f%s%s%n",
                framesDone.get(), detections.get(), dlqRecords.get(), framesDone.get() / elapsed,
                latency.percentile(50), latency.percentile(99), map50, tracking.summary(), realPart);
            return framesDone.get() > 0 && lost == 0 && (clipCamera == null || clipCamera.framesDone() > 0) ? 0 : 1;
        }

        private void camera(final int cam, final KafkaProducer<String, byte[]> producer, final long deadline) {
            final String id = "camera-" + cam;
            final SyntheticFeed feed = new SyntheticFeed(id, 1000L + cam, width, height, fps, (int) Math.round(fps),
                4);
            long next = System.nanoTime();
            try {
                while (next < deadline && !stop.get()) {
                    // behind real time, wait for the frames to have been "captured": times never go backwards
                    final long early = Duration.between(Instant.now(), feed.readyAt()).toNanos();
                    if (early > 0) {
                        Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
                    }
                    final SyntheticFeed.Record r = feed.next(Instant.now());
                    final String key = id + "/" + r.envelope().getSequence();
                    final byte[] value = AvroSerdes.frameEnvelope().serializer().serialize("frames", r.envelope());
                    sent.put(key, new Sent(System.nanoTime(), r.frames(), new AtomicInteger(r.frames().size())));
                    tracking.expect(id, r.envelope().getSequence(), r.frames());
                    framesSent.addAndGet(r.frames().size());
                    producer.send(new ProducerRecord<>("frames", id, value));
                    // real time: a record covers frames/fps seconds of video
                    next += (long) (r.frames().size() / fps * 1e9);
                    final long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    }
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (final Exception e) {
                out.println("camera " + id + " failed: " + e);
            }
        }

        private void readDetections() {
            try (KafkaConsumer<String, byte[]> c = consumer("demo-detections", new StringDeserializer())) {
                c.subscribe(List.of("detections"));
                while (!stop.get()) {
                    for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                        final FrameDetections fd = AvroSerdes.frameDetections().deserializer().deserialize("detections",
                            r.value());
                        onDetections(fd);
                    }
                }
            }
        }

        private void onDetections(final FrameDetections fd) {
            final String key = fd.getCameraId() + "/" + fd.getSegmentSequence();
            final Sent s = sent.get(key);
            if (s == null) {
                return;
            }
            latency.add((System.nanoTime() - s.sentNanos()) / 1e6);
            final List<Detection> dets = DetectionRecords.detections(fd);
            final SyntheticCamera.Frame frame = s.frames().get(fd.getFrameIndex());
            synchronized (map) {
                map.add(dets, frame.truth());
            }
            framesDone.incrementAndGet();
            detections.addAndGet(dets.size());
            engines.put(fd.getEngine(), fd.getEngine());
            if (fd.getFrameIndex() == 0 && fd.getSegmentSequence() % 3 == 1 && pngsWritten.get() < pngs) {
                final int n = pngsWritten.incrementAndGet();
                if (n <= pngs) {
                    try {
                        FrameAnnotator.write(frame.rgb(), frame.width(), frame.height(), dets, String.format(
                                "%s seq %d frame %d  %d detections  engine %s", fd.getCameraId(),
                                fd.getSegmentSequence(), fd.getFrameIndex(), dets.size(), fd.getEngine()),
                            outDir.resolve(String.format("frame-%s-%03d.png", fd.getCameraId(),
                                fd.getSegmentSequence())));
                    } catch (final Exception e) {
                        out.println("could not write annotated frame: " + e);
                    }
                }
            }
            if (s.remaining().decrementAndGet() == 0) {
                sent.remove(key);
            }
        }

        private void readDeadLetters() {
            try (KafkaConsumer<String, byte[]> c = consumer("demo-dlq", new StringDeserializer())) {
                c.subscribe(List.of("frames.dlq"));
                while (!stop.get()) {
                    for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                        dlqRecords.incrementAndGet();
                        try {
                            final var env = AvroSerdes.frameEnvelope().deserializer().deserialize("frames.dlq",
                                r.value());
                            final Sent s = sent.remove(env.getCameraId() + "/" + env.getSequence());
                            if (s != null) {
                                dlqFrames.addAndGet(s.remaining().get());
                            }
                        } catch (final RuntimeException e) {
                            // not one of ours
                        }
                    }
                }
            }
        }

        private <K> KafkaConsumer<K, byte[]> consumer(final String group,
                                                      final org.apache.kafka.common.serialization.Deserializer<K> kd) {
            return committedConsumer(kafka.bootstrapServers(), group, kd);
        }

        private void progress(final long start) {
            final double t = (System.nanoTime() - start) / 1e9;
            out.printf("[%5.1fs] frames in %d, out %d, detections %d, dlq %d, %.1f fps, latency p50 %.0f ms p99 %.0f "
                    + "ms%s%n", t, framesSent.get(), framesDone.get(), detections.get(), dlqRecords.get(),
                framesDone.get() / t, latency.percentile(50), latency.percentile(99), clipCamera == null ? ""
                    : String.format("; real camera in %d, out %d, p50 %.0f ms", clipCamera.framesSent(),
                    clipCamera.framesDone(), clipCamera.latency().percentile(50)));
        }
    }
}
