package io.mobileformer.streams.chaos;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running one of this project's entry points with the classpath of this one, its standard output and
 * error going to a log file. Faults are real: {@link #kill()} is SIGKILL (no shutdown hook, no flush, no commit),
 * {@link #stop()} is SIGTERM (the entry point's shutdown hook closes cleanly).
 *
 * <p>The caller owns the process and must {@link #close()} it; close kills what is still running, so a failed test
 * leaves no JVM behind.
 */
public final class ChildJvm implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private ChildJvm(final String name, final Process process, final Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * @param heap     the child's -Xmx, e.g. {@code 512m}
     * @param jvmFlags further JVM flags (system properties)
     */
    public static ChildJvm start(final String name, final Class<?> main, final List<String> args, final Path log,
                                 final String heap, final List<String> jvmFlags) throws IOException {
        return start(name, main, args, log, heap, jvmFlags, java.util.Map.of());
    }

    /** @param env variables added to this process's environment (secrets, {@code MFS_} overrides) */
    public static ChildJvm start(final String name, final Class<?> main, final List<String> args, final Path log,
                                 final String heap, final List<String> jvmFlags, final java.util.Map<String, String> env)
        throws IOException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("-XX:+UseSerialGC");      // a small child on a shared machine: no parallel GC threads
        for (final String p : List.of("org.bytedeco.javacpp.cachedir", "java.io.tmpdir")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        final Process p = pb.start();
        // a parent stopped by Ctrl-C or SIGTERM leaves no detector or worker behind
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "child-jvm-" + name + "-stop"));
        return new ChildJvm(name, p, log);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL, and waits until the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM; waits up to {@code seconds} for a clean exit, then kills. Returns the exit code. */
    public int stop(final int seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            kill();
        }
        return process.exitValue();
    }

    /** Waits for the process to end on its own; returns its exit code, or -1 when it is still running. */
    public int await(final long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
