package io.mobileformer.streams.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of this process (Linux /proc), and the native memory JavaCPP tracks. */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** VmRSS in bytes, or -1 where /proc is not available. */
    public static long rssBytes() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Bytes the JVM has committed for its heap and its own non-heap pools (metaspace, code cache). A soak compares
     * {@link #rssBytes()} less this: G1 grows the committed heap under allocation pressure (up to -Xmx, and other
     * tests sharing the JVM add to the pressure), which is resident memory but not a native leak.
     */
    public static long jvmCommittedBytes() {
        final java.lang.management.MemoryMXBean m = java.lang.management.ManagementFactory.getMemoryMXBean();
        return m.getHeapMemoryUsage().getCommitted() + m.getNonHeapMemoryUsage().getCommitted();
    }

    /** Bytes JavaCPP currently holds (FFmpeg frames, packets, buffers allocated through it). */
    public static long javacppBytes() {
        return org.bytedeco.javacpp.Pointer.totalBytes();
    }
}
