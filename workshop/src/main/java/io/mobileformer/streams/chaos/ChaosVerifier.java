package io.mobileformer.streams.chaos;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.embedded.WitnessConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The independent witness of a fault run: a {@code read_committed} consumer (assigned every partition, no group), outside every detector
 * process, that counts each detection record by (record number, frame index) and each dead letter by record number.
 * Only committed transactions are visible to it, so what it counts is what any downstream consumer would see.
 *
 * <p>The output topics are created with {@code message.timestamp.type=LogAppendTime}: each output record carries the
 * broker's time of append, so the time from a fault to the first output appended after it (recovery) is measured on
 * the broker's clock, not on the detectors'.
 */
public final class ChaosVerifier implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String detectionsTopic;
    private final Deserializer<FrameDetections> detections = AvroSerdes.frameDetections().deserializer();
    private final Map<String, Integer> frameCounts = new HashMap<>();
    private final Map<Long, Integer> deadLetterCounts = new HashMap<>();
    private final NavigableSet<Long> appendTimes = new ConcurrentSkipListSet<>();
    private long unreadable;
    private final List<String> duplicateNotes = new java.util.ArrayList<>();
    private final Map<String, String> firstSource = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    ChaosVerifier(final Map<String, Object> clientConfig, final String detectionsTopic, final String dlqTopic) {
        this.consumer = WitnessConsumer.create(clientConfig, "read_committed");
        this.detectionsTopic = detectionsTopic;
        this.thread = new Thread(() -> loop(List.of(detectionsTopic, dlqTopic)), "chaos-verifier");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(final List<String> topics) {
        WitnessConsumer.assignFromStart(consumer, topics);
        final Map<TopicPartition, Long> next = new HashMap<>();
        while (running) {
            for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                final TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (r.offset() < next.getOrDefault(tp, 0L)) {
                    continue;       // read again after a reconnect: the same record, not a second one
                }
                next.put(tp, r.offset() + 1);
                appendTimes.add(r.timestamp() * 1000 + (r.offset() % 1000));   // unique per record within a ms
                synchronized (this) {
                    count(r);
                }
            }
        }
        consumer.close(Duration.ofSeconds(5));
    }

    private void count(final ConsumerRecord<byte[], byte[]> r) {
        if (r.topic().equals(detectionsTopic)) {
            final FrameDetections fd;
            try {
                fd = detections.deserialize(r.topic(), r.value());
            } catch (final RuntimeException e) {
                unreadable++;
                return;
            }
            final String key = fd.getSegmentSequence() + "/" + fd.getFrameIndex();
            if (frameCounts.merge(key, 1, Integer::sum) > 1 && duplicateNotes.size() < 20) {
                duplicateNotes.add("frame " + key + " again from input " + fd.getSource().getPartition() + "@"
                    + fd.getSource().getOffset() + " (output " + r.partition() + "@" + r.offset() + ")");
            }
            firstSource.putIfAbsent(key, fd.getSource().getPartition() + "@" + fd.getSource().getOffset()
                + " (output " + r.partition() + "@" + r.offset() + ")");
        } else {
            final Header h = r.headers().lastHeader(ChaosWorkload.SEQ_HEADER);
            if (h == null) {
                unreadable++;
                return;
            }
            final long seq = Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
            if (deadLetterCounts.merge(seq, 1, Integer::sum) > 1 && duplicateNotes.size() < 20) {
                duplicateNotes.add("dead letter of record " + seq + " again (output " + r.partition() + "@"
                    + r.offset() + ")");
            }
        }
    }

    /** What was read against what {@code expected} promises. */
    synchronized Tally tally(final List<ChaosWorkload.Expectation> expected) {
        return tally(expected, java.util.Set.of());
    }

    /**
     * @param unknown records whose send failed: they may or may not be in the input topic, so their outputs are
     *                neither expected nor counted as extra
     */
    synchronized Tally tally(final List<ChaosWorkload.Expectation> expected, final java.util.Set<Long> unknown) {
        long frames = 0;
        long lost = 0;
        long duplicates = unreadable;
        long deadLetters = 0;
        final Map<String, Integer> seenFrames = new HashMap<>(frameCounts);
        final Map<Long, Integer> seenDead = new HashMap<>(deadLetterCounts);
        for (final ChaosWorkload.Expectation e : expected) {
            if (e.deadLetter()) {
                final Integer n = seenDead.remove(e.seq());
                if (n == null) {
                    lost++;
                } else {
                    deadLetters++;
                    duplicates += n - 1;
                }
                continue;
            }
            for (int i = 0; i < e.frames(); i++) {
                frames++;
                final Integer n = seenFrames.remove(e.seq() + "/" + i);
                if (n == null) {
                    lost++;
                } else {
                    duplicates += n - 1;
                }
            }
        }
        // anything left was not asked for: a frame index or dead letter no record should have produced
        for (final var e : seenFrames.entrySet()) {
            if (!unknown.contains(Long.parseLong(e.getKey().substring(0, e.getKey().indexOf('/'))))) {
                duplicates += e.getValue();
            }
        }
        for (final var e : seenDead.entrySet()) {
            if (!unknown.contains(e.getKey())) {
                duplicates += e.getValue();
            }
        }
        return new Tally(expected.size(), frames, lost, duplicates, deadLetters);
    }

    /** The first duplicates seen, with where each copy came from, for the run's log. */
    synchronized List<String> duplicateNotes() {
        final List<String> out = new java.util.ArrayList<>();
        for (final String n : duplicateNotes) {
            final String key = n.startsWith("frame ") ? n.substring(6, n.indexOf(' ', 6)) : null;
            out.add(key == null ? n : n + "; first from input " + firstSource.get(key));
        }
        if (unreadable > 0) {
            out.add(unreadable + " output records could not be read");
        }
        return out;
    }

    /** Seconds from {@code eventMillis} to the first output appended after it, or NaN when none came. */
    double secondsToFirstOutputAfter(final long eventMillis) {
        final Long next = appendTimes.higher(eventMillis * 1000 + 999);
        return next == null ? Double.NaN : (next / 1000 - eventMillis) / 1000.0;
    }

    /** The longest time between two consecutive output appends within [from, to] (ms), in seconds. */
    double longestGapSeconds(final long fromMillis, final long toMillis) {
        long prev = fromMillis;
        long gap = 0;
        for (final long t : appendTimes.subSet(fromMillis * 1000, toMillis * 1000 + 999)) {
            gap = Math.max(gap, t / 1000 - prev);
            prev = t / 1000;
        }
        return gap / 1000.0;
    }

    /** Counts of a run. {@code frames}: detection records expected; {@code deadLetters}: dead letters found. */
    public record Tally(long records, long frames, long lost, long duplicates, long deadLetters) {
        public boolean complete() {
            return lost == 0;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
