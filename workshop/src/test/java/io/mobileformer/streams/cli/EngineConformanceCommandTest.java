package io.mobileformer.streams.cli;

import io.mobileformer.engine.conformance.Conformance;
import io.mobileformer.engine.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code ./mfs engine conformance} on a copy of two of ONNX's node tests: the line, and a wrong value named. */
class EngineConformanceCommandTest {

    private static void copyTest(final String name, final Path to) throws IOException {
        final Path from = Conformance.DEFAULT_NODE_DIR.resolve(name);
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path f : files.toList()) {
                final Path target = to.resolve(name).resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    @Test
    void printsTheLineAndNamesEveryFailure(@TempDir final Path dir) throws IOException {
        assumeTrue(Files.isDirectory(Conformance.DEFAULT_NODE_DIR.resolve("test_relu")),
            "ONNX's node tests are not installed (scripts/install-test-data.sh)");
        copyTest("test_relu", dir);
        copyTest("test_sigmoid", dir);
        StringWriter buf = new StringWriter();
        assertEquals(0, Main.run(new String[] {"engine", "conformance", "--dir", dir.toString()},
            new PrintWriter(buf, true)), buf::toString);
        assertTrue(buf.toString().startsWith("CONFORMANCE ops=" + Ops.supported().size() + " tests=2 passed=2 "),
            buf::toString);

        // sigmoid's expected output swapped for relu's: same shape, other values
        Files.copy(dir.resolve("test_relu/test_data_set_0/output_0.pb"),
            dir.resolve("test_sigmoid/test_data_set_0/output_0.pb"), StandardCopyOption.REPLACE_EXISTING);
        buf = new StringWriter();
        assertEquals(1, Main.run(new String[] {"engine", "conformance", "--dir", dir.toString()},
            new PrintWriter(buf, true)), buf::toString);
        assertTrue(buf.toString().contains("tests=2 passed=1 failed=1"), buf::toString);
        assertTrue(buf.toString().contains("FAILED test_sigmoid: test_data_set_0"), buf::toString);
    }

    @Test
    void aMissingDirectoryIsAUsageErrorThatNamesTheFix(@TempDir final Path dir) {
        final StringWriter err = new StringWriter();
        final picocli.CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("engine", "conformance", "--dir", dir.resolve("absent").toString()));
        assertTrue(err.toString().contains("install-test-data.sh"), err::toString);
    }
}
