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
        assertEquals(0, r.unsent(), "every input record was acknowledged by the broker");
        assertEquals(0, r.tally().lost(), "no frame without its detection record, no bad record without a dead letter");
        assertEquals(0, r.tally().duplicates(), "nothing twice");
        for (final ChaosRun.Fault f : r.faults()) {
            assertTrue(!Double.isNaN(f.recoverySeconds()), "output resumed after " + f.kind());
            if (f.kind().equals("sigkill")) {
                // a restarted static member with named transactional ids needs no session (45 s) or transaction
                // (10-20 s) to time out; what is left is the JVM's start on a loaded machine
                assertTrue(f.recoverySeconds() < 30, "recovery after SIGKILL took " + f.recoverySeconds() + " s");
            }
        }
    }
}
