package io.mobileformer.streams.bench;

import io.mobileformer.engine.kernel.Simd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One core's FP32 fused-multiply-add peak, for the GFLOP/s figures of {@code ./mfs bench engines}, and the assumption
 * it rests on. From {@code /proc/cpuinfo}: the clock ({@code cpu MHz}, what the kernel reports now: a VM or a boosting
 * core may run faster, so the fraction is an upper bound in that case) and the widest FMA the flags offer (AVX-512F:
 * 16 floats, AVX2 with FMA: 8, else 4). Two FMA pipes per core are assumed: what Intel cores since Haswell (server
 * parts with AVX-512 since Skylake-SP Gold 6xxx) and AMD Zen 2-5 issue at their full width — Zen 4 splits a 512-bit
 * FMA in two, so on Zen 4 the true AVX-512 peak is half the figure printed.
 */
public record CorePeak(double gflops, String assumption) {

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
