package io.mobileformer.streams.chaos;

import io.mobileformer.streams.embedded.EmbeddedKafka;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short form of {@code ./mfs chaos}: detector instances as child JVMs on a broker of their own (it is restarted,
 * so not the shared one); two SIGKILLs mid-stream with restarts, an instance added, the broker restarted, an instance
 * removed, a clean finish. An independent read_committed consumer finds every frame exactly once and every bad record
 * exactly once on the dead-letter topic. The failing-engine case is {@code FailoverIT}.
 */
class ChaosIT {

    @Test
    void killsRebalancesAndABrokerRestartLoseAndDuplicateNothing() throws Exception {
        final ChaosRun.Result r;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            r = ChaosRun.run(new ChaosRun.Settings(Duration.ofSeconds(50), 2, true, "classic", 3,
                Path.of("target/tmp/chaos-it-" + System.currentTimeMillis())), kafka, new PrintWriter(System.out, true));
        }
        System.out.println(r.line());
        assertTrue(r.tally().records() > 50 && r.tally().deadLetters() > 0, "the run had good and bad input");
        System.out.println("input records whose send failed (neither expected nor counted): " + r.unsent());
        assertEquals(0, r.tally().lost(), "no frame without its detection record, no bad record without a dead letter");
        assertEquals(0, r.tally().duplicates(), "nothing twice");
        for (final ChaosRun.Fault f : r.faults()) {
            // how fast depends on the machine (a restarted JVM's start dominates; ./mfs chaos reports it); that it
            // resumes at all, with nothing lost or doubled, does not
            assertTrue(!Double.isNaN(f.recoverySeconds()), "output resumed after " + f.kind());
        }
    }
}
