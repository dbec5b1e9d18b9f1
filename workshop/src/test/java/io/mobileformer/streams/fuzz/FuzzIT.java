package io.mobileformer.streams.fuzz;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short form of {@code ./mfs fuzz}: 1,500 mutated inputs (and every regression input under
 * {@code fuzz-regressions/}) through decode and detect in a child JVM. Each ends as detections or one dead letter of a
 * named reason; no crash, no hang, no decode past decode.max-decode-ms, native memory flat.
 */
class FuzzIT {

    @Test
    void mutatedInputsEndAsDetectionsOrOneDeadLetter() throws Exception {
        final long t = System.nanoTime();
        final FuzzRun.Result r = FuzzRun.run(new FuzzRun.Settings(1500, 7, 2000,
            Path.of("workshop/src/test/resources/fuzz-regressions"),
            Path.of("target/tmp/fuzz-it-" + System.currentTimeMillis()), Path.of("models/tiny-centernet.onnx")),
            new PrintWriter(System.out, true));
        System.out.printf("%s (%.0f s)%n", r.line(), (System.nanoTime() - t) / 1e9);
        assertEquals(1500, r.cases());
        assertEquals(r.cases(), r.detections() + r.deadLetters() + r.crashes() + r.hangs(), "one outcome per case");
        assertTrue(r.detections() > 0 && r.deadLetters() > 0, "the mutations reach both outcomes");
        assertEquals(0, r.crashes(), String.join("\n", r.findings()));
        assertEquals(0, r.hangs(), String.join("\n", r.findings()));
        assertEquals(0, r.slow(), String.join("\n", r.findings()));
        assertEquals(0, r.unexpected(), String.join("\n", r.findings()));
        assertTrue(r.javacppEnd() - r.javacppStart() < 1 << 20, "JavaCPP bytes " + r.javacppStart() + " -> "
            + r.javacppEnd());
        assertTrue(r.rssEnd() - r.rssStart() < 64L << 20, "RSS " + r.rssStart() + " -> " + r.rssEnd());
    }
}
