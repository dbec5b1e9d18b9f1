package io.mobileformer.streams.bench;

import io.mobileformer.engine.kernel.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One core's FP32 fused-multiply-add peak, for the GFLOP/s figures of {@code ./mfs bench engines}, and the assumption
 * it rests on: {@link #measure()}, what this JVM's vector FMAs reach on one core now, or {@link #detect()}, the figure
 * cpuinfo implies.
 *
 * <p>The cpuinfo figure is a guess twice over, as measured on this project's machine: its {@code cpu MHz} said 2096
 * (134 GFLOP/s with two 512-bit FMA pipes), while twelve independent 512-bit FMA chains ran at 218 GFLOP/s, in C and
 * from Java alike: the core boosts to about 3.4 GHz. A fraction of an assumed peak below the real one flatters the
 * engine by 1.6x, so the benchmark measures the peak beside the engines and divides by that. From {@code /proc/cpuinfo}: the clock ({@code cpu MHz}, what the kernel reports now: a VM or a boosting
 * core may run faster, so the fraction is an upper bound in that case) and the widest FMA the flags offer (AVX-512F:
 * 16 floats, AVX2 with FMA: 8, else 4). Two FMA pipes per core are assumed: what Intel cores since Haswell (server
 * parts with AVX-512 since Skylake-SP Gold 6xxx) and AMD Zen 2-5 issue at their full width — Zen 4 splits a 512-bit
 * FMA in two, so on Zen 4 the true AVX-512 peak is half the figure printed.
 */
public record CorePeak(double gflops, String assumption) {

    /**
     * Twelve independent FMA chains of the widest vector the JIT offers, on the calling thread, for about
     * {@code 3 x 200 ms}; the best of three runs. Twelve chains cover FMA latency (4 cycles on current cores) times two
     * pipes with room to spare, and the operands stay in registers, so this is the arithmetic peak, not a memory one.
     */
    /**
     * {@link #measure()} in a JVM of its own, so that its loop cannot change how the JIT compiles the engine's kernels
     * in this one. Measured: after {@link #measure()} had run in the same JVM, C2 compiled the 4-row depthwise kernel
     * with its vector stores left as calls (JDK 17 printed "missing constant: vclass" for them), and that kernel ran
     * 2.5-3x slower than in a JVM that never ran this loop, while the rest of the engine was unchanged. The child has
     * this JVM's executable, class path and vector module; when it cannot run, the peak is measured here and the
     * assumption says so.
     */
    public static CorePeak measureApart() {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = List.of(java, "--add-modules=jdk.incubator.vector", "-Xmx64m", "-cp",
            System.getProperty("java.class.path"), CorePeak.class.getName());
        String failure;
        try {
            final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            final int rc = child.waitFor();
            final String line = output.lines().filter(l -> l.startsWith(CHILD_PREFIX)).findFirst().orElse(null);
            if (rc == 0 && line != null) {
                final String[] parts = line.substring(CHILD_PREFIX.length()).split("\t", 2);
                return new CorePeak(Double.parseDouble(parts[0]), parts[1] + "; in a JVM of its own");
            }
            failure = "exit " + rc + ": " + output.strip();
        } catch (final IOException e) {
            failure = e.getMessage();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        final CorePeak here = measure();
        return new CorePeak(here.gflops(), here.assumption() + "; in this JVM, as a JVM of its own failed ("
            + failure + ")");
    }

    private static final String CHILD_PREFIX = "core-peak\t";

    /** The child JVM of {@link #measureApart()}: prints {@code core-peak<TAB>gflops<TAB>assumption}. */
    public static void main(final String[] args) {
        final CorePeak peak = measure();
        System.out.println(CHILD_PREFIX + peak.gflops() + "\t" + peak.assumption());
    }

    public static CorePeak measure() {
        final CorePeak nominal = detect();
        // compile first, by many short calls: a loop only ever entered through on-stack replacement keeps its vectors
        // boxed (measured: 6.4 GFLOP/s after one long warm-up call, against the 218 of the same loop in C)
        for (int i = 0; i < 20_000; i++) {
            chains(100);
        }
        double best = 0;
        for (int run = 0; run < 3; run++) {
            long iterations = 1_000_000;
            long took;
            long t0;
            do {
                t0 = System.nanoTime();
                chains(iterations);
                took = System.nanoTime() - t0;
                iterations *= 2;
            } while (took < 200_000_000L);
            best = Math.max(best, (iterations / 2) * 12.0 * SP.length() * 2 / took);
        }
        return new CorePeak(best, String.format(Locale.ROOT, "measured: 12 FMA chains of %d fp32 lanes on one core, "
            + "best of 3; cpuinfo alone would say %.1f (%s)", SP.length(), nominal.gflops(), nominal.assumption()));
    }

    /** The FMA loop; its result feeds {@link #sink} so the JIT cannot drop it. */
    private static void chains(final long iterations) {
        final VectorSpecies<Float> sp = SP;
        final FloatVector m = FloatVector.broadcast(sp, 0.999f);
        final FloatVector c = FloatVector.broadcast(sp, 0.001f);
        // twelve named locals, not an array: an array of vectors is an array of heap objects, each FMA a load and a store
        FloatVector a0 = FloatVector.broadcast(sp, 0f);
        FloatVector a1 = FloatVector.broadcast(sp, 1f);
        FloatVector a2 = FloatVector.broadcast(sp, 2f);
        FloatVector a3 = FloatVector.broadcast(sp, 3f);
        FloatVector a4 = FloatVector.broadcast(sp, 4f);
        FloatVector a5 = FloatVector.broadcast(sp, 5f);
        FloatVector a6 = FloatVector.broadcast(sp, 6f);
        FloatVector a7 = FloatVector.broadcast(sp, 7f);
        FloatVector a8 = FloatVector.broadcast(sp, 8f);
        FloatVector a9 = FloatVector.broadcast(sp, 9f);
        FloatVector a10 = FloatVector.broadcast(sp, 10f);
        FloatVector a11 = FloatVector.broadcast(sp, 11f);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        sink += a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
            .reduceLanes(VectorOperators.ADD);
    }

    @SuppressWarnings("unused")
    private static volatile float sink;
    /** A constant, as the JIT needs it to turn vector operations into instructions (a parameter stays boxed). */
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    public static CorePeak detect() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (final IOException e) {
            lines = List.of();
        }
        final String flagsLine = lines.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        final Set<String> flags = Set.of(flagsLine.substring(flagsLine.indexOf(':') + 1).trim().split("\\s+"));
        final double mhz = lines.stream().filter(l -> l.startsWith("cpu MHz")).findFirst()
            .map(l -> Double.parseDouble(l.substring(l.indexOf(':') + 1).trim())).orElse(0.0);
        final String model = lines.stream().filter(l -> l.startsWith("model name")).findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown cpu");
        return of(flags, mhz, model);
    }

    /** The peak for these cpuinfo flags and clock (the rule itself, for tests). */
    public static CorePeak of(final Set<String> flags, final double mhz, final String model) {
        final int lanes;
        final String isa;
        if (flags.contains("avx512f")) {
            lanes = 16;
            isa = "AVX-512F";
        } else if (flags.contains("avx2") && flags.contains("fma")) {
            lanes = 8;
            isa = "AVX2+FMA";
        } else {
            lanes = 4;
            isa = "SSE (no FMA: multiply and add counted as one)";
        }
        final double gflops = 2.0 * lanes * 2 * mhz / 1000;
        return new CorePeak(gflops, String.format(Locale.ROOT, "%s, %s: 2 FMA pipes x %d fp32 lanes x 2 FLOP x %.0f "
                + "MHz (cpuinfo); the Java engine's Vector API uses %d lanes", model, isa, lanes, mhz,
            Simd.available() ? Simd.lanes() : 1));
    }
}
