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

    /** Bytes JavaCPP currently holds (FFmpeg frames, packets, buffers allocated through it). */
    public static long javacppBytes() {
        return org.bytedeco.javacpp.Pointer.totalBytes();
    }
}
