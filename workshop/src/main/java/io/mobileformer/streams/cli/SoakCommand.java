package io.mobileformer.streams.cli;

import io.mobileformer.streams.chaos.ChaosWorkload;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.metrics.ProcessMemory;
import io.mobileformer.streams.topology.DetectionApp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs soak}: the detection pipeline under a steady stream of good and bad records (those of
 * {@link ChaosWorkload}) for a number of minutes, measuring this process's resident set, Java heap in use after a full
 * GC, and the native memory JavaCPP tracks (FFmpeg), after a warm-up and at the end. The embedded broker runs in the
 * same JVM, so its memory is in the RSS and heap figures too (it is as steady as the pipeline or it shows).
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Run the pipeline for a while and report RSS, heap and JavaCPP bytes at start and end, and the drift.")
public final class SoakCommand implements Callable<Integer> {
    @Option(names = "--minutes", defaultValue = "30", description = "How long input flows after the warm-up.")
    private double minutes;
    // 3 minutes: with a fixed, pre-touched heap (-Xms = -Xmx, -XX:+AlwaysPreTouch) RSS still rose 1408 -> 1490 MB in
    // the first two minutes after a 60 s warm-up (JIT code, the broker's and clients' buffers, malloc arenas filling),
    // then stayed within 1490-1512 MB for the next 17 minutes: the warm-up should end where the steady state begins
    @Option(names = "--warmup-seconds", defaultValue = "180", description = "Running time before the first sample.")
    private int warmupSeconds;
    @Option(names = "--rate", defaultValue = "4", description = "Input records per second.")
    private double rate;
    @Option(names = "--model", defaultValue = "models/tiny-centernet.onnx", description = "Detector model.")
    private Path model;
    @Option(names = "--engine", defaultValue = "cpu", description = "auto, cuda, cpu or java.")
    private String engine;
    @Spec
    private CommandSpec spec;

    /**
     * One reading: RSS, heap in use after a full GC, the JVM's own committed memory (heap and non-heap pools: what
     * G1's sizing, metaspace and the code cache account for) and JavaCPP's bytes. RSS minus the committed figure is
     * the part only native allocations move; NativeMemorySoakIT judges the same difference.
     */
    private record Sample(long rss, long heap, long committed, long javacpp) {
        static Sample now() {
            System.gc();
            final Runtime rt = Runtime.getRuntime();
            return new Sample(ProcessMemory.rssBytes(), rt.totalMemory() - rt.freeMemory(),
                ProcessMemory.jvmCommittedBytes(), ProcessMemory.javacppBytes());
        }

        long outsideJvm() {
            return rss - committed;
        }
    }

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final ChaosWorkload workload = new ChaosWorkload(4);
        final Path work = Files.createDirectories(Path.of("target/soak"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory(work.toAbsolutePath(), "kafka-"),
            true)) {
            kafka.createTopics(4, "soak-frames", "soak-detections", "soak-dlq", "soak-dropped");
            try (DetectionApp app = DetectionApp.start(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "application.id", "soak", "input.topic", "soak-frames", "output.topic", "soak-detections",
                "dlq.topic", "soak-dlq", "dropped.topic", "soak-dropped", "model.path", model.toString(),
                "engine", engine, "num.stream.threads", "2", "state.dir", work.resolve("state").toString()));
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20), new ByteArraySerializer(),
                     new ByteArraySerializer())) {
                final long start = System.nanoTime();
                final long warm = start + Duration.ofSeconds(warmupSeconds).toNanos();
                final long end = warm + (long) (minutes * 60e9);
                final long period = (long) (1e9 / rate);
                long next = start;
                long seq = 0;
                long nextReport = warm;
                Sample first = null;
                while (System.nanoTime() < end) {
                    producer.send(workload.record("soak-frames", seq++));
                    next += period;
                    if (System.nanoTime() >= nextReport) {
                        final Sample s = Sample.now();
                        first = first == null ? s : first;
                        out.printf(Locale.ROOT, "soak %5.1f min: records %d, frames %d, dead letters %d; rss %.1f MB, "
                                + "heap %.1f MB (jvm committed %.1f MB), javacpp %d bytes%n",
                            (System.nanoTime() - warm) / 60e9, app.metrics().records(), app.metrics().frames(),
                            app.metrics().deadLetters(), s.rss() / 1e6, s.heap() / 1e6, s.committed() / 1e6,
                            s.javacpp());
                        out.flush();
                        nextReport += Duration.ofMinutes(1).toNanos();
                    }
                    final long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                final Sample last = Sample.now();
                first = first == null ? last : first;
                // G1 grows the committed heap with the load and RSS follows it without any leak, so the line also
                // gives RSS outside the JVM's committed memory (outside_jvm_mb), which only native growth moves
                out.printf(Locale.ROOT, "SOAK minutes=%.1f records=%d frames=%d dlq=%d rss_mb=%.1f->%.1f (%+.1f%%) "
                        + "outside_jvm_mb=%.1f->%.1f (%+.1f) heap_mb=%.1f->%.1f (%+.1f%%) javacpp_bytes=%d->%d "
                        + "(%+.1f%%)%n", minutes,
                    app.metrics().records(), app.metrics().frames(), app.metrics().deadLetters(),
                    first.rss() / 1e6, last.rss() / 1e6, drift(first.rss(), last.rss()), first.outsideJvm() / 1e6,
                    last.outsideJvm() / 1e6, (last.outsideJvm() - first.outsideJvm()) / 1e6, first.heap() / 1e6,
                    last.heap() / 1e6, drift(first.heap(), last.heap()), first.javacpp(), last.javacpp(),
                    drift(first.javacpp(), last.javacpp()));
                out.printf(Locale.ROOT, "soak: the JVM's committed heap and pools %.1f -> %.1f MB%n",
                    first.committed() / 1e6, last.committed() / 1e6);
            }
        }
        return 0;
    }

    private static double drift(final long a, final long b) {
        return a <= 0 ? 0 : 100.0 * (b - a) / a;
    }
}
