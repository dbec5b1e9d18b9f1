package io.mobileformer.engine;

import io.mobileformer.engine.conformance.Conformance;
import io.mobileformer.engine.ops.Ops;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ONNX's own backend node tests as the engine's conformance suite, run by {@link Conformance} (the runner
 * {@code ./mfs engine conformance} uses too): every node test of a claimed operator must pass, and the README quotes
 * the line the run prints.
 *
 * <p>The package is installed by {@code scripts/install-test-data.sh} (run by the engine's build); this test installs
 * nothing and is skipped when the directory is absent. {@code -Dmfs.onnx.testdata=DIR} points it elsewhere.
 */
class OnnxConformanceTest {
    static final Path DEFAULT_DIR = Conformance.DEFAULT_NODE_DIR;

    @Test
    void nodeTestsOfClaimedOperatorsPass() throws IOException {
        final Path dir = Path.of(System.getProperty("mfs.onnx.testdata", DEFAULT_DIR.toString()));
        assumeTrue(Files.isDirectory(dir), "ONNX's node tests are not installed at " + dir + " (apt-get install "
            + "libonnx-testdata, or run scripts/install-test-data.sh); conformance not checked");
        final Conformance.Report report = Conformance.run(dir);
        System.out.println(report.summary());
        final List<Conformance.Result> failed = report.failures();
        assertTrue(failed.isEmpty(), () -> failed.size() + " node tests of claimed operators fail:\n"
            + String.join("\n", failed.stream().map(r -> "  " + r.test() + ": " + r.detail()).toList()));
        assertTrue(report.tests() > 0, "no node test ran: is " + dir + " the node/ directory of libonnx-testdata?");
        assertEquals(report.tests(), report.count(Conformance.Outcome.PASSED));
        // the README quotes the summary line; only for the suite it was made from (another copy gives other numbers)
        if (dir.equals(DEFAULT_DIR)) {
            assertEquals(report.line(), readmeSection("conformance").lines().filter(l -> l.startsWith("CONFORMANCE"))
                .findFirst().orElse("(none)"), "engine/README.md quotes another conformance line: update it");
        }
    }

    /**
     * The package's other model suites, same layout and tolerances: small networks exported from PyTorch
     * ({@code pytorch-converted}), PyTorch operators ({@code pytorch-operator}) and {@code simple} graphs. Held to the
     * same rule (no wrong value among what runs), each summarized on a line the README quotes.
     */
    @Test
    void otherModelSuitesPass() throws IOException {
        final Path node = Path.of(System.getProperty("mfs.onnx.testdata", DEFAULT_DIR.toString()));
        assumeTrue(Files.isDirectory(node.getParent().resolve("simple")), "ONNX's model suites are not installed "
            + "next to " + node + "; not checked");
        final List<String> failures = new ArrayList<>();
        final List<String> lines = new ArrayList<>();
        for (final String suite : List.of("pytorch-converted", "pytorch-operator", "simple")) {
            final Conformance.Report report = Conformance.run(node.getParent().resolve(suite));
            lines.add(report.line().replace("CONFORMANCE ", "CONFORMANCE[" + suite + "] "));
            report.failures().forEach(r -> failures.add(suite + "/" + r.test() + ": " + r.detail()));
        }
        lines.forEach(System.out::println);
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
        if (node.equals(DEFAULT_DIR)) {
            for (final String line : lines) {
                assertTrue(readmeSection("conformance").contains(line), "engine/README.md does not quote " + line);
            }
        }
    }

    /** The text between {@code <!-- name ... -->} and {@code <!-- /name -->} in engine/README.md. */
    static String readmeSection(final String name) throws IOException {
        final String readme = Files.readString(Path.of("engine/README.md"));
        final int from = readme.indexOf("<!-- " + name);
        final int to = readme.indexOf("<!-- /" + name + " -->");
        assertTrue(from >= 0 && to > from, "engine/README.md has no " + name + " section");
        return readme.substring(from, to);
    }

    @Test
    void readmeListsExactlyTheClaimedOperators() throws IOException {
        final String table = readmeSection("operators");
        final java.util.Set<String> listed = new TreeSet<>();
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("`([A-Z][A-Za-z0-9]*)`").matcher(table);
        while (m.find()) {
            listed.add(m.group(1));
        }
        assertEquals(new TreeSet<>(Ops.supported()), listed, "engine/README.md's operator table vs Ops.supported()");
    }

    /** The comparison the runner uses, for the tests of the tolerances themselves. */
    static String compare(final Map<String, Tensor> expected, final Map<String, Tensor> actual) {
        return Conformance.compare(expected, actual);
    }
}
