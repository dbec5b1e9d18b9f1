package io.mobileformer.streams.testing;

import io.mobileformer.streams.topology.DetectionApp;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A detection pipeline in a JVM of its own, for tests that must kill one the hard way: {@link #start} launches this
 * class's {@link #main} with the test JVM's class path and flags, and {@link Process#destroyForcibly()} then sends it
 * SIGKILL (no shutdown hook, no close, no commit: a crash).
 */
public final class PipelineProcess {
    private PipelineProcess() {
    }

    /** Runs the pipeline that {@code key=value} arguments configure until killed. */
    public static void main(final String[] args) throws Exception {
        final Map<String, String> props = new LinkedHashMap<>();
        for (final String a : args) {
            final int eq = a.indexOf('=');
            props.put(a.substring(0, eq), a.substring(eq + 1));
        }
        final DetectionApp app = DetectionApp.start(props);
        System.out.println("started, state " + app.state());
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Starts a child JVM running {@code props}; its output goes to {@code log}. */
    public static Process start(final Map<String, String> props, final Path log) throws IOException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> !a.startsWith("-Xmx") && !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PipelineProcess.class.getName());
        props.forEach((k, v) -> cmd.add(k + "=" + v));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
            log.toFile())).start();
    }
}
