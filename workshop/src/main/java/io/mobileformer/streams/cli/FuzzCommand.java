package io.mobileformer.streams.cli;

import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.fuzz.FuzzKafkaRun;
import io.mobileformer.streams.fuzz.FuzzRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code ./mfs fuzz}: mutated video segments, images and envelopes through decode and detect in child JVMs (see
 * {@link FuzzRun}), ending with one {@code FUZZ ...} line. Exit code 1 on any crash, hang, slow case or unclassified
 * exception; the inputs that caused them are saved under {@code <work-dir>/failures} (copy small ones to
 * {@code workshop/src/test/resources/fuzz-regressions/} to keep them as regression cases).
 *
 * <p>With {@code --kafka-sample N}: the first N cases of the same seed through the real pipeline instead (an embedded
 * broker and a {@code DetectionApp}, see {@link FuzzKafkaRun}), ending with one {@code FUZZ-KAFKA ...} line; exit code
 * 1 on any lost or duplicated outcome, or a stream thread that died.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "Fuzz decode and detect with mutated H.264/H.265/MJPEG segments, JPEG/PNG, MP4/MKV boxes and Avro "
        + "envelopes; ends with a FUZZ line.")
public final class FuzzCommand implements Callable<Integer> {
    @Option(names = "--cases", defaultValue = "10000", description = "Mutated inputs to run.")
    private int cases;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the mutations (same seed, same cases).")
    private long seed;
    @Option(names = "--max-decode-ms", defaultValue = "2000", description = "decode.max-decode-ms of the workers.")
    private long maxDecodeMs;
    @Option(names = "--model", defaultValue = "models/tiny-centernet.onnx", description = "Detector model.")
    private Path model;
    @Option(names = "--regressions", defaultValue = "workshop/src/test/resources/fuzz-regressions",
        description = "Inputs that once failed, replayed first.")
    private Path regressions;
    @Option(names = "--kafka-sample", defaultValue = "0", description = "Instead: run this many of the cases "
        + "through an embedded broker and the real topology (exactly-once), checked by a read_committed consumer.")
    private int kafkaSample;
    @Option(names = "--kafka-rate", defaultValue = "0", description = "With --kafka-sample: input records per second "
        + "(0: all at once, a backlog).")
    private double kafkaRate;
    @Option(names = "--work-dir", defaultValue = "target/fuzz", description = "Seeds, worker logs and failures.")
    private Path workDir;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (kafkaSample > 0) {
            return kafka();
        }
        final FuzzRun.Result r = FuzzRun.run(new FuzzRun.Settings(cases, seed, maxDecodeMs, regressions,
            Files.createDirectories(workDir.resolve("run-" + System.currentTimeMillis())), model),
            spec.commandLine().getOut());
        spec.commandLine().getOut().println(r.line());
        return r.crashes() == 0 && r.hangs() == 0 && r.slow() == 0 && r.unexpected() == 0 ? 0 : 1;
    }

    private int kafka() throws Exception {
        final Path run = Files.createDirectories(workDir.resolve("kafka-" + System.currentTimeMillis()))
            .toAbsolutePath();
        final PrintWriter out = spec.commandLine().getOut();
        final FuzzKafkaRun.Result r;
        // the broker's log directory stays after a failed run: the outputs, the transaction markers and the input
        // are evidence (kafka.tools.DumpLogSegments --print-data-log reads the segments)
        try (EmbeddedKafka kafka = EmbeddedKafka.start(run.resolve("broker"), false)) {
            r = FuzzKafkaRun.run(new FuzzKafkaRun.Settings(kafkaSample, seed, maxDecodeMs, regressions, run, model, 4,
                kafkaRate), kafka, out);
        }
        if (r.passed()) {
            try (Stream<Path> files = Files.walk(run.resolve("broker"))) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        } else {
            out.println("fuzz-kafka: the broker's data is kept in " + run.resolve("broker"));
        }
        out.printf(Locale.ROOT, "%s (%.0f s)%n", r.line(), r.seconds());
        return r.passed() ? 0 : 1;
    }
}
