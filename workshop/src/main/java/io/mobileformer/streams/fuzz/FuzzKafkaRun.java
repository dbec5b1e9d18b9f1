package io.mobileformer.streams.fuzz;

import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.topology.DetectionApp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A sample of the fuzz cases through the real pipeline: the same cases {@link Mutator} makes for {@link FuzzRun} (same
 * run seed, same cases) are produced to an input topic of a real broker, keyed by camera, and a {@link DetectionApp}
 * (exactly-once, ONNX Runtime on the CPU, the fuzz workers' decode limits) reads them. {@link FuzzWitness}, a
 * {@code read_committed} consumer of its own, then checks that each input ended as detections or exactly one dead
 * letter and nothing twice, and the app must still be RUNNING with no stream thread replaced: a record that kills a
 * thread is retried after the replacement, and a clean-looking count would hide that.
 *
 * <p>What this adds to {@link FuzzRun}: the Kafka half of the path (the topology's dead-letter routing and headers,
 * transactions, the processor's all-or-nothing forwarding of a record's frames). What it lacks: native crashes kill
 * this JVM (the broker and the app with it), so the crash and hang search stays with {@link FuzzRun}'s child JVMs.
 */
public final class FuzzKafkaRun {
    /** Stable keys: several cameras, so the cases spread over the partitions and the stream threads. */
    static final int CAMERAS = 8;
    /** Header on each input with its case number, copied into its dead letter (read back as a cross-check). */
    static final String CASE_HEADER = "fuzz.case";

    /**
     * @param cases       how many cases (case 0 to cases - 1 of the run seed)
     * @param runSeed     the seed of the mutations, as {@code ./mfs fuzz --seed}
     * @param maxDecodeMs decode.max-decode-ms of the app
     * @param regressions folder of inputs that once failed (the first cases replay them), or null
     * @param workDir     seeds and the app's state directory
     * @param partitions  partitions of the input and output topics
     * @param rate        input records per second, or 0 for as fast as the producer goes (a backlog); a rate makes the
     *                    app commit many small transactions while input still arrives, as a live camera does
     */
    public record Settings(int cases, long runSeed, long maxDecodeMs, Path regressions, Path workDir, Path model,
                           int partitions, double rate) {
    }

    /**
     * @param detected          inputs that ended as detections
     * @param detectionRecords  detection records read (one per sampled frame)
     * @param deadLetters       inputs that ended as a dead letter
     * @param lost              inputs with no outcome, plus frames missing from an input's detections
     * @param duplicates        outputs beyond one per frame or per dead letter, inputs with both outcomes
     * @param stray             outputs that point at no input, or whose dead letter is not the input unchanged
     * @param dropped           frames reported dropped (none expected: the batcher blocks)
     * @param unexpected        dead letters of reason UNEXPECTED (an exception nobody classified)
     * @param appState          the Streams state at the end, before the app was closed
     * @param stateChanges      times the state changed after the first case was produced (it should stay RUNNING: a
     *                          rebalance in a one-instance run means a thread died or left the group)
     * @param replacedThreads   stream threads that died and were replaced during the run
     */
    public record Result(int cases, int detected, long detectionRecords, int deadLetters, long lost, long duplicates,
                         long stray, long dropped, int unexpected, KafkaStreams.State appState, int stateChanges,
                         int replacedThreads,
                         Map<String, Integer> reasons, List<String> findings, double seconds) {
        public String line() {
            return String.format(Locale.ROOT, "FUZZ-KAFKA cases=%d detections=%d frames=%d dlq=%d lost=%d "
                    + "duplicates=%d stray=%d app_state=%s state_changes=%d replaced_threads=%d", cases, detected,
                detectionRecords, deadLetters, lost, duplicates, stray, appState, stateChanges, replacedThreads);
        }

        /** Every case accounted for once, and the app RUNNING throughout with every thread it started with. */
        public boolean passed() {
            return lost == 0 && duplicates == 0 && stray == 0 && dropped == 0 && unexpected == 0
                && detected + deadLetters == cases && appState == KafkaStreams.State.RUNNING && stateChanges == 0
                && replacedThreads == 0;
        }
    }

    private FuzzKafkaRun() {
    }

    public static Result run(final Settings s, final EmbeddedKafka kafka, final PrintWriter out) throws Exception {
        final long t0 = System.nanoTime();
        final FuzzCorpus.Prepared prepared = FuzzCorpus.prepare(s.workDir().resolve("seeds"), s.regressions(), out);
        final Mutator mutator = new Mutator(prepared.seeds(), s.runSeed());
        out.printf(Locale.ROOT, "fuzz-kafka: %d seeds (%d regression inputs), cases 0-%d of seed %d, %d partitions, "
                + "%s%n", prepared.seeds().size(), prepared.replayed(), s.cases() - 1, s.runSeed(), s.partitions(),
            s.rate() > 0 ? s.rate() + " records/s" : "as fast as they go");
        // names of their own: the tests share one broker, and a second run must not read the first one's outputs
        final String run = "fuzz-" + Long.toHexString(System.nanoTime());
        final String in = run + "-frames";
        final String detections = run + "-detections";
        final String dlq = run + "-dlq";
        final String dropped = run + "-dropped";
        final Map<String, String> props = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
            "application.id", run, "input.topic", in, "output.topic", detections, "dlq.topic", dlq,
            "dropped.topic", dropped, "model.path", s.model().toString(), "engine", "cpu",
            "num.stream.threads", "2", "state.dir", s.workDir().resolve("state").toString()));
        // the app creates its topics, as in production. The fuzz envelopes are stamped 2023-11-14 (old footage, to
        // the broker): with the broker's 7-day retention, the first retention check (30 s after the broker starts)
        // deleted the detection records written before it, seen as lost inputs until the outputs were kept
        props.put("topics.partitions", Integer.toString(s.partitions()));
        props.put("topics.output-retention-ms", "-1");
        // the fuzz workers' limits, so a case ends the same way on both paths
        props.put("decode.max-decode-ms", Long.toString(s.maxDecodeMs()));
        props.put("decode.max-frames-per-segment", Integer.toString(FuzzWorker.MAX_FRAMES));
        final DetectionApp app = DetectionApp.start(props);
        boolean closed = false;
        try (FuzzWitness witness = new FuzzWitness(kafka.bootstrapServers(), in, detections, dlq, dropped)) {
            // the group settled: a second stream thread joining after the first reached RUNNING rebalances once more,
            // which the state watch counted against the fuzz cases ("RUNNING -> REBALANCING at 0.0 s" before any
            // record could have been read, once in a clean-clone run)
            if (!app.awaitRunning(Duration.ofSeconds(120), Duration.ofSeconds(2))) {
                throw new IllegalStateException("the detection app did not settle in RUNNING: " + app.state());
            }
            final StateWatch watch = new StateWatch(app);
            final long produced = System.nanoTime();
            produce(kafka.bootstrapServers(), in, mutator, s.cases(), s.rate(), witness);
            out.printf(Locale.ROOT, "fuzz-kafka: %d cases produced in %.1f s; waiting for their outcomes%n", s.cases(),
                (System.nanoTime() - produced) / 1e9);
            out.flush();
            // a case may take decode.max-decode-ms and an inference; a longer silence means something is stuck
            final long quietNanos = TimeUnit.MILLISECONDS.toNanos(60_000 + 3 * s.maxDecodeMs());
            witness.awaitAccounted(quietNanos, n -> {
                out.printf(Locale.ROOT, "fuzz-kafka: %d of %d cases accounted for%n", n, s.cases());
                out.flush();
            });
            final KafkaStreams.State end = app.state();
            final int replaced = app.replacedStreamThreads();
            final List<String> states = watch.stop();
            // closing commits the last transaction: nothing is open afterwards, so reading to the end of every output
            // partition sees all there will ever be, late duplicates included
            app.close();
            closed = true;
            witness.drain();
            final FuzzWitness.Tally t = witness.tally();
            final List<String> findings = new ArrayList<>(t.findings());
            witness.explainLost().forEach(x -> findings.add("lost, read_uncommitted: " + x));
            out.printf(Locale.ROOT, "fuzz-kafka: the app counted %d records in, %d frames out, %d dead letters%n",
                app.metrics().records(), app.metrics().frames(), app.metrics().deadLetters());
            states.forEach(x -> findings.add("app state " + x));
            if (replaced > 0) {
                findings.add(replaced + " stream thread(s) died and were replaced (see the log)");
            }
            out.printf(Locale.ROOT, "fuzz-kafka: dead letters by reason %s%n", t.reasons());
            findings.forEach(x -> out.println("fuzz-kafka: finding: " + x));
            return new Result(s.cases(), t.detected(), t.detectionRecords(), t.deadLetters(), t.lost(),
                t.duplicates(), t.stray(), t.dropped(), t.unexpected(), end, states.size(), replaced, t.reasons(), findings,
                (System.nanoTime() - t0) / 1e9);
        } finally {
            if (!closed) {
                app.close();
            }
        }
    }

    /** Produces cases 0 to n - 1, each with its case number as a header; tells the witness where each one landed. */
    private static void produce(final String bootstrap, final String topic, final Mutator mutator, final int n,
                                final double rate, final FuzzWitness witness) throws Exception {
        final long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.LINGER_MS_CONFIG, 5,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, EmbeddedKafka.MAX_MESSAGE_BYTES - (1 << 20)),
            new ByteArraySerializer(), new ByteArraySerializer())) {
            // in chunks, so that a long run never holds all its cases' values at once
            for (int from = 0; from < n; from += 256) {
                final List<Mutator.Case> cases = new ArrayList<>();
                final List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int i = from; i < Math.min(n, from + 256); i++) {
                    if (rate > 0) {
                        final long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                    }
                    final Mutator.Case c = mutator.make(i);
                    final ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, key(i), c.value());
                    r.headers().add(CASE_HEADER, Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                    sent.add(producer.send(r));
                    cases.add(c);
                }
                producer.flush();
                for (int k = 0; k < cases.size(); k++) {
                    // a failed send is this harness's failure, not the pipeline's: get() throws and the run stops
                    final RecordMetadata m = sent.get(k).get(60, TimeUnit.SECONDS);
                    witness.expect(m.partition(), m.offset(), cases.get(k), key(cases.get(k).index()));
                }
            }
        }
    }

    private static byte[] key(final int caseIndex) {
        return ("cam-" + (caseIndex % CAMERAS)).getBytes(StandardCharsets.UTF_8);
    }

    /** Samples the Streams state from the first record on and keeps every change away from RUNNING. */
    private static final class StateWatch {
        private final Thread thread;
        private final List<String> changes = new ArrayList<>();
        private volatile boolean running = true;

        StateWatch(final DetectionApp app) {
            final long start = System.nanoTime();
            this.thread = new Thread(() -> {
                KafkaStreams.State last = KafkaStreams.State.RUNNING;
                while (running) {
                    final KafkaStreams.State now = app.state();
                    if (now != last) {
                        synchronized (changes) {
                            changes.add(String.format(Locale.ROOT, "%s -> %s at %.1f s", last, now,
                                (System.nanoTime() - start) / 1e9));
                        }
                        last = now;
                    }
                    try {
                        Thread.sleep(10);
                    } catch (final InterruptedException e) {
                        return;
                    }
                }
            }, "fuzz-kafka-state");
            thread.setDaemon(true);
            thread.start();
        }

        List<String> stop() throws InterruptedException {
            running = false;
            thread.join(5_000);
            synchronized (changes) {
                return List.copyOf(changes);
            }
        }
    }
}
