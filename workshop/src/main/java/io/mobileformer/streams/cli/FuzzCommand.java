package io.mobileformer.streams.cli;

import io.mobileformer.streams.fuzz.FuzzRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs fuzz}: mutated video segments, images and envelopes through decode and detect in child JVMs (see
 * {@link FuzzRun}), ending with one {@code FUZZ ...} line. Exit code 1 on any crash, hang, slow case or unclassified
 * exception; the inputs that caused them are saved under {@code <work-dir>/failures} (copy small ones to
 * {@code workshop/src/test/resources/fuzz-regressions/} to keep them as regression cases).
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
    @Option(names = "--work-dir", defaultValue = "target/fuzz", description = "Seeds, worker logs and failures.")
    private Path workDir;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final FuzzRun.Result r = FuzzRun.run(new FuzzRun.Settings(cases, seed, maxDecodeMs, regressions,
            Files.createDirectories(workDir.resolve("run-" + System.currentTimeMillis())), model),
            spec.commandLine().getOut());
        spec.commandLine().getOut().println(r.line());
        return r.crashes() == 0 && r.hangs() == 0 && r.slow() == 0 && r.unexpected() == 0 ? 0 : 1;
    }
}
