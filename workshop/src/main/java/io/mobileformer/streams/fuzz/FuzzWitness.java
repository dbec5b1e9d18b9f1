package io.mobileformer.streams.fuzz;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.embedded.WitnessConsumer;
import io.mobileformer.streams.publish.DeadLetters;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * The independent reader of a {@link FuzzKafkaRun}: a {@code read_committed} consumer assigned every partition of the
 * output topics (no group, so nothing is handed out twice by a rebalance), which sees what any downstream consumer
 * would see. Each output is traced back to the input it came from by the position it names: a detection record's
 * {@code source} (topic, partition, offset), a dead letter's {@code mfs.source.*} headers. A dead letter must also
 * carry the input's key, value and headers unchanged.
 */
final class FuzzWitness implements AutoCloseable {
    /** Where an input landed. */
    private record Position(int partition, long offset) {
        @Override
        public String toString() {
            return partition + "@" + offset;
        }
    }

    /** One produced case (its value as a digest: a long run would hold every input otherwise) and its outputs. */
    private static final class Input {
        final int index;
        final String seed;
        final String mutation;
        final byte[] key;
        final byte[] valueDigest;
        /** frame index -> detection records read for it */
        final TreeMap<Integer, Integer> frames = new TreeMap<>();
        int deadLetters;

        Input(final Mutator.Case c, final byte[] key) {
            this.index = c.index();
            this.seed = c.seed();
            this.mutation = c.mutation();
            this.key = key;
            this.valueDigest = digest(c.value());
        }

        boolean accounted() {
            return !frames.isEmpty() || deadLetters > 0;
        }

        String describe() {
            return "case " + index + " (" + seed + ", " + mutation + ")";
        }
    }

    /** The counts {@link FuzzKafkaRun.Result} reports. */
    record Tally(int detected, long detectionRecords, int deadLetters, long lost, long duplicates, long stray,
                 long dropped, int unexpected, Map<String, Integer> reasons, List<String> findings) {
    }

    private static final int MAX_FINDINGS = 50;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String bootstrap;
    private final String input;
    private final String detectionsTopic;
    private final String dlqTopic;
    private final Deserializer<FrameDetections> detections = AvroSerdes.frameDetections().deserializer();
    private final Map<Position, Input> inputs = new HashMap<>();
    private final Map<String, Integer> reasons = new TreeMap<>();
    private final List<String> findings = new ArrayList<>();
    private long stray;
    private long dropped;
    private int unexpected;
    private int accounted;

    FuzzWitness(final String bootstrap, final String input, final String detectionsTopic, final String dlqTopic,
                final String droppedTopic) {
        this.bootstrap = bootstrap;
        this.input = input;
        this.detectionsTopic = detectionsTopic;
        this.dlqTopic = dlqTopic;
        this.consumer = reader(bootstrap, "read_committed", List.of(detectionsTopic, dlqTopic, droppedTopic));
    }

    /** A consumer of every partition of {@code topics} from the beginning, in no group. */
    private static KafkaConsumer<byte[], byte[]> reader(final String bootstrap, final String isolation,
                                                        final List<String> topics) {
        final KafkaConsumer<byte[], byte[]> c = WitnessConsumer.create(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), isolation);
        WitnessConsumer.assignFromStart(c, topics);
        return c;
    }

    /** Case {@code c} was written to {@code partition@offset} of the input topic under {@code key}. */
    void expect(final int partition, final long offset, final Mutator.Case c, final byte[] key) {
        inputs.put(new Position(partition, offset), new Input(c, key));
    }

    /**
     * Reads until every expected input has an outcome, or until nothing new has come for {@code quietNanos} (the
     * inputs still without one are then lost). {@code progress} hears the count now and then.
     */
    void awaitAccounted(final long quietNanos, final IntConsumer progress) {
        long lastNews = System.nanoTime();
        long nextReport = lastNews + 10_000_000_000L;
        while (accounted < inputs.size()) {
            if (readSome()) {
                lastNews = System.nanoTime();
            } else if (System.nanoTime() - lastNews > quietNanos) {
                return;
            }
            if (System.nanoTime() > nextReport) {
                progress.accept(accounted);
                nextReport += 10_000_000_000L;
            }
        }
    }

    /** Reads every output partition to its end (its last stable offset: once the app is closed, all of it). */
    void drain() {
        final Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
        final long deadline = System.nanoTime() + 60_000_000_000L;
        while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read the outputs to their end offsets " + ends);
            }
            readSome();
        }
    }

    private boolean readSome() {
        boolean any = false;
        for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            any = true;
            if (r.topic().equals(detectionsTopic)) {
                detection(r);
            } else if (r.topic().equals(dlqTopic)) {
                deadLetter(r);
            } else {
                dropped++;
                note("a frame was dropped (" + r.topic() + " " + r.partition() + "@" + r.offset()
                    + "), though the batcher blocks rather than drops");
            }
        }
        return any;
    }

    private void detection(final ConsumerRecord<byte[], byte[]> r) {
        final FrameDetections fd;
        try {
            fd = detections.deserialize(r.topic(), r.value());
        } catch (final RuntimeException e) {
            strayOutput(r, "is not a FrameDetections: " + e);
            return;
        }
        if (!fd.getSource().getTopic().equals(input)) {
            strayOutput(r, "names source topic " + fd.getSource().getTopic());
            return;
        }
        final Input in = inputs.get(new Position(fd.getSource().getPartition(), fd.getSource().getOffset()));
        if (in == null) {
            strayOutput(r, "names source " + fd.getSource().getPartition() + "@" + fd.getSource().getOffset()
                + ", where no case was written");
            return;
        }
        final boolean was = in.accounted();
        in.frames.merge(fd.getFrameIndex(), 1, Integer::sum);
        accounted += was ? 0 : 1;
    }

    private void deadLetter(final ConsumerRecord<byte[], byte[]> r) {
        final String topic = DeadLetters.header(r.headers(), "mfs.source.topic");
        final String partition = DeadLetters.header(r.headers(), "mfs.source.partition");
        final String offset = DeadLetters.header(r.headers(), "mfs.source.offset");
        if (!input.equals(topic) || partition == null || offset == null) {
            strayOutput(r, "has no source headers for " + input + " (mfs.source.topic " + topic + ")");
            return;
        }
        final Position at = new Position(Integer.parseInt(partition), Long.parseLong(offset));
        final Input in = inputs.get(at);
        if (in == null) {
            strayOutput(r, "names source " + at + ", where no case was written");
            return;
        }
        // the original record, unchanged: what a replay of the fixed record would produce again
        final Header caseHeader = r.headers().lastHeader(FuzzKafkaRun.CASE_HEADER);
        if (!Arrays.equals(r.key(), in.key) || r.value() == null || !Arrays.equals(digest(r.value()), in.valueDigest)
            || caseHeader == null
            || !new String(caseHeader.value(), StandardCharsets.UTF_8).equals(Integer.toString(in.index))) {
            strayOutput(r, "is not the input at " + at + " unchanged (" + in.describe() + ")");
        }
        final String reason = DeadLetters.header(r.headers(), DeadLetters.STAGE) + "/"
            + DeadLetters.header(r.headers(), DeadLetters.REASON);
        reasons.merge(reason, 1, Integer::sum);
        if (reason.endsWith("UNEXPECTED")) {
            unexpected++;
            note("unexpected exception: " + in.describe() + ": "
                + DeadLetters.header(r.headers(), DeadLetters.ERROR_CLASS) + ": "
                + DeadLetters.header(r.headers(), DeadLetters.ERROR_MESSAGE));
        }
        final boolean was = in.accounted();
        in.deadLetters++;
        accounted += was ? 0 : 1;
    }

    private void strayOutput(final ConsumerRecord<byte[], byte[]> r, final String what) {
        stray++;
        note("output " + r.topic() + " " + r.partition() + "@" + r.offset() + " " + what);
    }

    private void note(final String finding) {
        if (findings.size() < MAX_FINDINGS) {
            findings.add(finding);
        }
    }

    /** What every input ended as, once the outputs are drained. */
    Tally tally() {
        int detected = 0;
        long records = 0;
        int deadLetters = 0;
        long lost = 0;
        long duplicates = 0;
        for (final Map.Entry<Position, Input> e : inputs.entrySet()) {
            final Input in = e.getValue();
            if (!in.accounted()) {
                lost++;
                note("lost: " + in.describe() + " at " + e.getKey() + " has no detections and no dead letter");
                continue;
            }
            if (!in.frames.isEmpty()) {
                detected++;
                for (final int n : in.frames.values()) {
                    records += n;
                    duplicates += n - 1;
                }
                // every frame is sampled (sample.mode=all) and a record's frames are forwarded together or not
                // at all, so the indices run 0..last without a gap
                final int missing = in.frames.lastKey() + 1 - in.frames.size();
                if (missing > 0) {
                    lost += missing;
                    note("lost: " + in.describe() + " at " + e.getKey() + " misses " + missing + " of frames 0-"
                        + in.frames.lastKey());
                }
                if (in.frames.values().stream().anyMatch(n -> n > 1)) {
                    note("duplicate: " + in.describe() + " at " + e.getKey() + " frames " + in.frames);
                }
            }
            if (in.deadLetters > 0) {
                deadLetters++;
                duplicates += in.deadLetters - 1;
                if (in.deadLetters > 1) {
                    note("duplicate: " + in.describe() + " at " + e.getKey() + " has " + in.deadLetters
                        + " dead letters");
                }
            }
            if (!in.frames.isEmpty() && in.deadLetters > 0) {
                duplicates++;
                note("duplicate: " + in.describe() + " at " + e.getKey() + " has detections and a dead letter");
            }
        }
        return new Tally(detected, records, deadLetters, lost, duplicates, stray, dropped, unexpected,
            new TreeMap<>(reasons), List.copyOf(findings));
    }

    /**
     * For each lost input, whether the pipeline wrote an output for it that no transaction committed: a second look
     * at the outputs with {@code read_uncommitted}, which also returns records of aborted transactions. Written but
     * aborted, with the input's offset committed anyway, is a break of exactly-once; nothing at all means the
     * record was never processed or its outputs never sent.
     */
    List<String> explainLost() {
        final Map<Position, int[]> lost = new HashMap<>();     // detection records, dead letters
        inputs.forEach((at, in) -> {
            if (!in.accounted()) {
                lost.put(at, new int[2]);
            }
        });
        if (lost.isEmpty()) {
            return List.of();
        }
        try (KafkaConsumer<byte[], byte[]> c = reader(bootstrap, "read_uncommitted",
            List.of(detectionsTopic, dlqTopic))) {
            final Map<TopicPartition, Long> ends = c.endOffsets(c.assignment(), Duration.ofSeconds(30));
            final long deadline = System.nanoTime() + 60_000_000_000L;
            while (ends.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())
                && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(detectionsTopic)) {
                        try {
                            final FrameDetections fd = detections.deserialize(r.topic(), r.value());
                            final int[] n = lost.get(new Position(fd.getSource().getPartition(),
                                fd.getSource().getOffset()));
                            if (n != null) {
                                n[0]++;
                            }
                        } catch (final RuntimeException e) {
                            // counted as stray by the committed reading
                        }
                    } else {
                        final String p = DeadLetters.header(r.headers(), "mfs.source.partition");
                        final String o = DeadLetters.header(r.headers(), "mfs.source.offset");
                        final int[] n = p == null || o == null ? null
                            : lost.get(new Position(Integer.parseInt(p), Long.parseLong(o)));
                        if (n != null) {
                            n[1]++;
                        }
                    }
                }
            }
        }
        final List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = reader(bootstrap, "read_uncommitted",
            List.of(detectionsTopic, dlqTopic))) {
            // a start offset above 0: the broker deleted records (time retention reads the outputs' frame times)
            c.beginningOffsets(c.assignment(), Duration.ofSeconds(30)).forEach((tp, start) -> {
                if (start > 0) {
                    out.add(tp + " starts at offset " + start + ": the broker deleted the records before it");
                }
            });
        }
        lost.forEach((at, n) -> out.add(inputs.get(at).describe() + " at " + at + ": " + (n[0] + n[1] == 0
            ? "no output, not even in an aborted transaction"
            : n[0] + " detection record(s) and " + n[1] + " dead letter(s) only in aborted transactions")));
        return out;
    }

    private static byte[] digest(final byte[] value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
