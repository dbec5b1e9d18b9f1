package io.mobileformer.streams.bench;

import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the kernel benchmarks briefly (one fork, short iterations): enough to compare vector, scalar and naive forms
 * on a shared machine, not a publication-grade measurement. An argument narrows the run to benchmarks matching that
 * regular expression, e.g. {@code Gemm}.
 *
 * <pre>java --add-modules=jdk.incubator.vector -cp workshop/target/classes:$(cat workshop/target/runtime.classpath) \
 *     io.mobileformer.streams.bench.KernelBenchmarks [regex]</pre>
 */
public final class KernelBenchmarks {
    private KernelBenchmarks() {
    }

    public static void main(final String[] args) throws RunnerException {
        final Options options = new OptionsBuilder()
            .include(args.length > 0 ? args[0] : KernelBenchmarks.class.getPackageName() + ".*Benchmark")
            .forks(1)
            .jvmArgsAppend("--add-modules=jdk.incubator.vector")
            .warmupIterations(2)
            .warmupTime(TimeValue.milliseconds(500))
            .measurementIterations(3)
            .measurementTime(TimeValue.milliseconds(500))
            .build();
        new Runner(options).run();
    }
}
