package io.mobileformer.streams.view;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads the view's topics with one read_committed consumer of the view's own group (never the pipeline's, so the
 * detector's offsets and pace are untouched) and hands each record to {@link ViewState}. Topics are subscribed by
 * pattern, so one that does not exist yet (a tracks topic before tracking is switched on) costs nothing and is
 * picked up once it appears. A record that does not decode is counted per topic and skipped.
 */
final class TopicReader implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicReader.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ViewState state;
    private final Set<String> detections = new HashSet<>();
    private final Set<String> deadLetters = new HashSet<>();
    private final Set<String> tracks = new HashSet<>();
    private final Set<String> events = new HashSet<>();
    private final Pattern pattern;
    private final AnyAvro anyAvro = AnyAvro.ofGeneratedRecords();
    private final Deserializer<FrameDetections> detectionsSerde = AvroSerdes.frameDetections().deserializer();

    TopicReader(final KafkaConsumer<byte[], byte[]> consumer, final List<ViewSources> sources, final ViewState state) {
        this.consumer = consumer;
        this.state = state;
        for (final ViewSources s : sources) {
            detections.add(s.detections());
            deadLetters.add(s.deadLetters());
            tracks.addAll(s.tracks());
            events.addAll(s.events());
        }
        this.pattern = Pattern.compile(sources.stream().flatMap(s -> s.all().stream()).distinct().map(Pattern::quote)
            .collect(Collectors.joining("|")));
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(pattern);
            while (!state.closed()) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    accept(r);
                }
            }
        } catch (final WakeupException e) {
            // closing
        } catch (final RuntimeException e) {
            LOG.error("live view: reading topics stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Interrupts a blocking poll (from another thread). */
    void wakeup() {
        consumer.wakeup();
    }

    private void accept(final ConsumerRecord<byte[], byte[]> r) {
        final String topic = r.topic();
        final String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
        try {
            if (deadLetters.contains(topic)) {
                final Map<String, String> headers = new HashMap<>();
                for (final Header h : r.headers()) {
                    if (h.key().startsWith("mfs.") && h.value() != null) {
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                }
                state.onDeadLetter(topic, r.offset(), key, headers, r.timestamp(),
                    r.value() == null ? 0 : r.value().length);
            } else if (detections.contains(topic)) {
                state.onDetections(topic, detectionsSerde.deserialize(topic, r.value()), System.nanoTime(),
                    Instant.now());
            } else if (tracks.contains(topic)) {
                state.onTracks(key, anyAvro.decode(r.value()));
            } else if (events.contains(topic)) {
                state.onEvent(key, anyAvro.decode(r.value()), r.timestamp());
            }
        } catch (final IOException | RuntimeException e) {
            state.onUndecodable(topic);
        }
    }
}
