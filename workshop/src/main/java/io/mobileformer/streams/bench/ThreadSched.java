package io.mobileformer.streams.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Linux's scheduler says about this process's threads of one name: time on a core, and time runnable but
 * waiting for one ({@code /proc/self/task/<tid>/schedstat}: run nanoseconds, run-queue nanoseconds, time slices).
 * The JVM gives every Java thread its name as the kernel's {@code comm} (cut to 15 bytes), so a Java thread name
 * finds it. Where the figures are missing (not Linux, no schedstats in the kernel) every field reads 0.
 *
 * <p>Why a benchmark needs it: the pipeline's batcher can be busy all the time and still run slower than alone,
 * either because each batch costs more CPU (the other core's work evicting its caches) or because it waits for a
 * core while woken stream, Kafka and broker threads run; thread CPU time alone cannot tell the second apart from
 * idling.
 */
public record ThreadSched(long onCpuNanos, long waitingNanos, long slices) {

    /** The sum over this process's threads whose kernel name starts with {@code prefix} (at most 15 characters). */
    public static ThreadSched of(final String prefix) {
        final String p = prefix.length() > 15 ? prefix.substring(0, 15) : prefix;
        long run = 0;
        long wait = 0;
        long slices = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (final Path t : tasks) {
                try {
                    if (!Files.readString(t.resolve("comm")).strip().startsWith(p)) {
                        continue;
                    }
                    final String[] f = Files.readString(t.resolve("schedstat")).strip().split("\\s+");
                    run += Long.parseLong(f[0]);
                    wait += Long.parseLong(f[1]);
                    slices += Long.parseLong(f[2]);
                } catch (final IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read, or the kernel has no schedstats
                }
            }
        } catch (final IOException noProc) {
            return new ThreadSched(0, 0, 0);
        }
        return new ThreadSched(run, wait, slices);
    }

    /** This reading minus an earlier one. */
    public ThreadSched since(final ThreadSched earlier) {
        return new ThreadSched(onCpuNanos - earlier.onCpuNanos, waitingNanos - earlier.waitingNanos,
            slices - earlier.slices);
    }
}
