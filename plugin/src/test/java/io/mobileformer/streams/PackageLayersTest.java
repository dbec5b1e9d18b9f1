package io.mobileformer.streams;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Modules make an upward dependency between modules a compile error; inside the plugin and the engine, the packages
 * are layered too, and this test holds them to it: each package may import only the packages listed for it (its own
 * module's lower layers and the modules below). A new arrow belongs here, reviewed, not in a stray import.
 */
class PackageLayersTest {
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.mobileformer\\.[a-z.]+)\\.[A-Z]",
        Pattern.MULTILINE);

    /** The data path, in the order a frame travels; topology wires everything and may import any of them. */
    private static final Map<String, Set<String>> PLUGIN = Map.of(
        "model", Set.of("engine"),
        "metrics", Set.of("observe"),
        "decode", Set.of("model", "media"),
        "inference", Set.of("model", "engine"),
        "batch", Set.of("decode", "inference", "model", "engine"),
        "publish", Set.of("avro", "batch", "decode", "model"),
        "analytics", Set.of("avro", "model", "publish"));

    /** The engine: kernels and the graph at the bottom, then planning, operators, optimizer passes. */
    private static final Map<String, Set<String>> ENGINE = Map.of(
        "kernel", Set.of(),
        "graph", Set.of("engine"),
        "plan", Set.of("engine", "graph", "kernel"),
        "ops", Set.of("engine", "graph", "kernel", "plan"),
        "optimize", Set.of("engine", "graph", "kernel", "plan", "ops"),
        "conformance", Set.of("engine", "graph", "kernel", "ops"));

    /**
     * The live view, a module above the plugin: it reads the plugin's records and configuration and decodes with its
     * guarded decoder, and nothing below it may know it exists.
     */
    private static final Map<String, Set<String>> VIEW = Map.of(
        "view", Set.of("avro", "decode", "media", "model", "topology"));

    private static List<String> violations(final Path root, final String prefix, final Map<String, Set<String>> rules)
        throws IOException {
        final List<String> out = new ArrayList<>();
        for (final Map.Entry<String, Set<String>> rule : rules.entrySet()) {
            final Path dir = root.resolve(rule.getKey());
            assertTrue(Files.isDirectory(dir), dir + " is gone: update the layers");
            try (Stream<Path> files = Files.list(dir)) {
                for (final Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    final Matcher m = IMPORT.matcher(Files.readString(f));
                    while (m.find()) {
                        final String pkg = m.group(1);
                        final String last = pkg.substring(pkg.lastIndexOf('.') + 1);
                        final boolean own = pkg.equals(prefix + rule.getKey());
                        if (!own && !rule.getValue().contains(last)) {
                            out.add(f.getFileName() + " imports " + pkg);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void pluginPackagesFollowTheDataPath() throws IOException {
        final List<String> v = violations(Path.of("plugin/src/main/java/io/mobileformer/streams"),
            "io.mobileformer.streams.", PLUGIN);
        assertTrue(v.isEmpty(), String.join("\n", v));
    }

    @Test
    void theViewSitsAboveThePluginAndNothingImportsIt() throws IOException {
        final List<String> v = violations(Path.of("view/src/main/java/io/mobileformer/streams"),
            "io.mobileformer.streams.", VIEW);
        for (final String module : List.of("engine", "common", "plugin", "ingest")) {
            try (Stream<Path> files = Files.walk(Path.of(module, "src/main/java"))) {
                for (final Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    if (Files.readString(f).contains("import io.mobileformer.streams.view.")) {
                        v.add(f + " imports the view");
                    }
                }
            }
        }
        assertTrue(v.isEmpty(), String.join("\n", v));
    }

    @Test
    void enginePackagesPointDown() throws IOException {
        final List<String> v = violations(Path.of("engine/src/main/java/io/mobileformer/engine"),
            "io.mobileformer.engine.", ENGINE);
        assertTrue(v.isEmpty(), String.join("\n", v));
    }
}
