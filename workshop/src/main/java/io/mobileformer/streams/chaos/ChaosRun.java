package io.mobileformer.streams.chaos;

import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.topology.RunCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault run: detector instances as child JVMs ({@code ./mfs run}'s entry point) against a real broker, with a steady
 * stream of good and bad records, and faults on a fixed timeline:
 * <ol>
 *   <li>instance {@code a} is SIGKILLed in the middle of its batches {@code kills} times and restarted at once under
 *       the same {@code instance.name};</li>
 *   <li>instance {@code b} is added (a rebalance moves work to it);</li>
 *   <li>the broker is restarted (controlled shutdown, same ports and log directory);</li>
 *   <li>instance {@code a} is stopped with SIGTERM (it leaves the group; {@code b} takes over);</li>
 *   <li>the input ends; the run waits until every record is accounted for, then stops {@code b} cleanly.</li>
 * </ol>
 * An independent {@code read_committed} consumer ({@link ChaosVerifier}) then checks that every input frame has exactly
 * one detection record and every bad record exactly one dead letter. Recovery of a fault is the time from the fault
 * (for the broker: from its return) to the first output the broker appends after it.
 */
public final class ChaosRun {

    /**
     * @param length           how long input flows
     * @param kills            SIGKILLs of instance a in the first half of the run
     * @param staticMembership whether instances get an {@code instance.name} (static membership)
     * @param groupProtocol    {@code classic} or {@code streams} (the Streams rebalance protocol, KIP-1071)
     * @param recordsPerSecond input rate (one in ten records is bad, one in four good ones a JPEG, the rest 8 frames)
     */
    public record Settings(Duration length, int kills, boolean staticMembership, String groupProtocol,
                           double recordsPerSecond, Path workDir) {
    }

    /** One fault and how long the output took to resume after it. */
    public record Fault(String kind, double atSeconds, double recoverySeconds) {
    }

    public record Result(ChaosVerifier.Tally tally, List<Fault> faults, double longestGapSeconds, long unsent) {
        /** Over every fault of the run (NaN when output never resumed after one). */
        public double recoveryMax() {
            return faults.stream().mapToDouble(Fault::recoverySeconds)
                .reduce(0, (a, b) -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b));
        }

        public String line() {
            return String.format(Locale.ROOT, "CHAOS records=%d frames=%d lost=%d duplicates=%d dlq=%d "
                    + "recovery_s_max=%.1f", tally.records(), tally.frames(), tally.lost(), tally.duplicates(),
                tally.deadLetters(), recoveryMax());
        }
    }

    private final Settings settings;
    private final EmbeddedKafka kafka;
    private final PrintWriter out;
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private final String input = "chaos-frames-" + run;
    private final String output = "chaos-detections-" + run;
    private final String dlq = "chaos-dlq-" + run;
    private final long t0 = System.currentTimeMillis();
    private final Map<String, Integer> starts = new java.util.HashMap<>();

    private ChaosRun(final Settings settings, final EmbeddedKafka kafka, final PrintWriter out) {
        this.settings = settings;
        this.kafka = kafka;
        this.out = out;
    }

    /** Runs the timeline against {@code kafka} (which it restarts once); progress lines go to {@code out}. */
    public static Result run(final Settings settings, final EmbeddedKafka kafka, final PrintWriter out)
        throws Exception {
        return new ChaosRun(settings, kafka, out).run();
    }

    private Result run() throws Exception {
        Files.createDirectories(settings.workDir());
        createTopics();
        final ChaosWorkload workload = new ChaosWorkload(4);
        final List<ChaosWorkload.Expectation> sent = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong unsent = new AtomicLong();
        final java.util.Set<Long> unsentSeqs = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<Fault> faults = new ArrayList<>();
        final List<long[]> faultTimes = new ArrayList<>();
        final List<String> kinds = new ArrayList<>();
        final Random random = new Random(42);
        final long lengthMs = settings.length().toMillis();
        final Map<String, ChildJvm> instances = new LinkedHashMap<>();
        long flowStart;
        final Feeder[] feeding = new Feeder[1];
        try (ChaosVerifier verifier = new ChaosVerifier(clientConfig(), output, dlq);
             KafkaProducer<byte[], byte[]> producer = producer();
             AutoCloseable stopFeeding = () -> {     // closed first: no send after the producer is closed
                 if (feeding[0] != null) {
                     feeding[0].finish();
                 }
             }) {
            instances.put("a", startInstance("a"));
            final Feeder feeder = new Feeder(workload, producer, sent, unsent, unsentSeqs);
            feeding[0] = feeder;
            feeder.start();
            flowStart = awaitOutput(verifier, System.currentTimeMillis(), Duration.ofMinutes(10));
            say("instance a is producing output after %.1f s", (flowStart - t0) / 1000.0);
            final long start = System.currentTimeMillis();

            // 1. SIGKILL a several times in the first half, each time in the middle of its work
            for (int k = 0; k < settings.kills(); k++) {
                final long at = start + lengthMs * (k + 1) / (2L * (settings.kills() + 1))
                    + random.nextInt(1000);
                sleepUntil(at);
                awaitOutput(verifier, System.currentTimeMillis() - 1500, Duration.ofMinutes(10));
                instances.get("a").kill();
                final long killed = System.currentTimeMillis();
                say("SIGKILL instance a (pid %d)", instances.get("a").pid());
                instances.put("a", startInstance("a"));
                kinds.add("sigkill");
                faultTimes.add(new long[] {killed});
                final long running = awaitLog(instances.get("a").log(), "to RUNNING", Duration.ofMinutes(10));
                awaitOutput(verifier, killed, Duration.ofMinutes(10));
                say("  the new JVM was RUNNING %.1f s after the kill; output resumed %.1f s after the kill",
                    (running - killed) / 1000.0, verifier.secondsToFirstOutputAfter(killed));
            }
            // 2. add b
            sleepUntil(start + lengthMs * 55 / 100);
            instances.put("b", startInstance("b"));
            kinds.add("add-instance");
            faultTimes.add(new long[] {System.currentTimeMillis()});
            say("added instance b");
            // 3. restart the broker while both run
            sleepUntil(start + lengthMs * 70 / 100);
            say("restarting the broker");
            kafka.restart(Duration.ofSeconds(2));
            kinds.add("broker-restart");
            faultTimes.add(new long[] {System.currentTimeMillis()});
            say("broker is back");
            // 4. remove a cleanly
            sleepUntil(start + lengthMs * 85 / 100);
            final int rc = instances.get("a").stop(60);
            kinds.add("remove-instance");
            faultTimes.add(new long[] {System.currentTimeMillis()});
            say("stopped instance a (SIGTERM, exit %d)", rc);
            // 5. the input ends; wait until every record is accounted for
            sleepUntil(start + lengthMs);
            feeder.finish();
            producer.flush();
            final List<ChaosWorkload.Expectation> expected = new ArrayList<>(sent);
            say("input ended: %d records sent (%d failed to send)", expected.size(), unsent.get());
            final long deadline = System.currentTimeMillis() + 180_000;
            while (!verifier.tally(expected, unsentSeqs).complete() && System.currentTimeMillis() < deadline) {
                Thread.sleep(500);
            }
            Thread.sleep(5000);     // a late duplicate would show up here
            final long end = System.currentTimeMillis();
            for (int i = 0; i < kinds.size(); i++) {
                final long at = faultTimes.get(i)[0];
                final Fault f = new Fault(kinds.get(i), (at - start) / 1000.0, verifier.secondsToFirstOutputAfter(at));
                faults.add(f);
                say("fault %s at %.1f s: output resumed after %.1f s", f.kind(), f.atSeconds(), f.recoverySeconds());
            }
            final double gap = verifier.longestGapSeconds(start, Math.min(end, start + lengthMs));
            final int rcb = instances.get("b").stop(60);
            say("stopped instance b (SIGTERM, exit %d); longest gap between outputs while input flowed: %.1f s",
                rcb, gap);
            verifier.duplicateNotes().forEach(n -> say("duplicate: %s", n));
            return new Result(verifier.tally(expected, unsentSeqs), faults, gap, unsent.get());
        } finally {
            for (final ChildJvm c : instances.values()) {
                c.close();
            }
        }
    }

    /** Sends numbered records at the configured rate until {@link #finish()}. */
    private final class Feeder extends Thread {
        private final ChaosWorkload workload;
        private final KafkaProducer<byte[], byte[]> producer;
        private final List<ChaosWorkload.Expectation> sent;
        private final AtomicLong unsent;
        private final java.util.Set<Long> unsentSeqs;
        private volatile boolean running = true;

        Feeder(final ChaosWorkload workload, final KafkaProducer<byte[], byte[]> producer,
               final List<ChaosWorkload.Expectation> sent, final AtomicLong unsent,
               final java.util.Set<Long> unsentSeqs) {
            super("chaos-feeder");
            setDaemon(true);
            this.workload = workload;
            this.producer = producer;
            this.sent = sent;
            this.unsent = unsent;
            this.unsentSeqs = unsentSeqs;
        }

        @Override
        public void run() {
            final long periodNs = (long) (1e9 / settings.recordsPerSecond());
            long next = System.nanoTime();
            for (long seq = 0; running; seq++) {
                final ChaosWorkload.Expectation e = workload.expectation(seq);
                producer.send(workload.record(input, seq), (md, ex) -> {
                    if (ex == null) {
                        sent.add(e);
                    } else {
                        unsent.incrementAndGet();
                        if (unsentSeqs.isEmpty()) {
                            say("first failed send (record %d): %s", e.seq(), ex.toString());
                        }
                        unsentSeqs.add(e.seq());
                    }
                });
                next += periodNs;
                final long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (final InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        void finish() throws InterruptedException {
            running = false;
            join();
        }
    }

    private ChildJvm startInstance(final String name) throws IOException {
        final Path cfg = settings.workDir().resolve("instance-" + name + ".properties");
        final List<String> lines = new ArrayList<>(List.of(
            "bootstrap.servers=" + kafka.bootstrapServers(),
            "application.id=chaos-" + run,
            "group.protocol=" + settings.groupProtocol(),
            "input.topic=" + input, "output.topic=" + output, "dlq.topic=" + dlq,
            "dropped.topic=chaos-dropped-" + run,
            "topics.create=false",
            "model.path=models/tiny-centernet.onnx",
            "engine=cpu",
            "num.stream.threads=2",
            "state.dir=" + settings.workDir().resolve("state-" + name).toAbsolutePath()));
        if (settings.staticMembership()) {
            lines.add("instance.name=" + name);
        }
        Files.write(cfg, lines);
        final int start = starts.merge(name, 1, Integer::sum);
        return ChildJvm.start(name, RunCommand.class, List.of("--config", cfg.toString()),
            settings.workDir().resolve("instance-" + name + "-" + start + ".log"), "384m",
            List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.KafkaStreams=info"));
    }

    /** Waits until {@code log} holds {@code needle}; returns the wall time it was first seen (polled every 50 ms). */
    private static long awaitLog(final Path log, final String needle, final Duration timeout)
        throws IOException, InterruptedException {
        final long end = System.currentTimeMillis() + timeout.toMillis();
        while (!Files.exists(log) || !Files.readString(log).contains(needle)) {
            if (System.currentTimeMillis() > end) {
                throw new IllegalStateException(log + " shows no '" + needle + "' within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
        return System.currentTimeMillis();
    }

    private void createTopics() throws Exception {
        final Map<String, String> big = Map.of("max.message.bytes", Integer.toString(EmbeddedKafka.MAX_MESSAGE_BYTES));
        final Map<String, String> appendTime = Map.of("message.timestamp.type", "LogAppendTime",
            "max.message.bytes", Integer.toString(EmbeddedKafka.MAX_MESSAGE_BYTES));
        try (Admin admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(input, 4, (short) 1).configs(big),
                new NewTopic(output, 4, (short) 1).configs(appendTime),
                new NewTopic(dlq, 4, (short) 1).configs(appendTime),
                new NewTopic("chaos-dropped-" + run, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        kafka.createTopics(4, input, output, dlq);   // waits for the leaders
    }

    private Map<String, Object> clientConfig() {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    }

    private KafkaProducer<byte[], byte[]> producer() {
        final Map<String, Object> p = new LinkedHashMap<>(clientConfig());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
        // the broker restart must not fail a send: retry for as long as the whole run may take
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Waits for an output appended after {@code afterMillis}; returns the wall time it was seen. */
    private static long awaitOutput(final ChaosVerifier v, final long afterMillis, final Duration timeout)
        throws InterruptedException {
        final long end = System.currentTimeMillis() + timeout.toMillis();
        while (Double.isNaN(v.secondsToFirstOutputAfter(afterMillis))) {
            if (System.currentTimeMillis() > end) {
                throw new IllegalStateException("no output within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
        return System.currentTimeMillis();
    }

    private static void sleepUntil(final long millis) throws InterruptedException {
        final long wait = millis - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private void say(final String fmt, final Object... args) {
        out.printf(Locale.ROOT, "chaos %6.1fs  " + fmt + "%n",
            prepend((System.currentTimeMillis() - t0) / 1000.0, args));
        out.flush();
    }

    private static Object[] prepend(final Object first, final Object[] rest) {
        final Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
