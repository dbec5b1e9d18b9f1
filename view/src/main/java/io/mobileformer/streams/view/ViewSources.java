package io.mobileformer.streams.view;

import io.mobileformer.streams.decode.DecodeLimits;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.common.config.ConfigDef;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The topics a view reads for one pipeline: its detections and dead letters, and its tracks and events when the
 * pipeline declares them.
 *
 * <p>Tracks and events are found by name, not by a compiled-in key: every string setting of {@link PipelineConfig}
 * whose name ends in {@code topic} and mentions {@code track} or {@code event} is read. A pipeline without those
 * settings simply has none, and a declared topic that does not exist (yet) is picked up once it appears.
 * The input topic is not listed: each detection names the record it came from, and the view fetches only the
 * records it shows.
 *
 * @param detections  FrameDetections records (output.topic)
 * @param deadLetters the pipeline's dead-letter topic (dlq.topic)
 * @param tracks      topics of detections with track ids; may be empty
 * @param events      topics of analytics events (zone, line); may be empty
 * @param limits      the pipeline's decode.* limits: the view decodes the same untrusted records
 * @param sampling    the pipeline's sampling, so a detection's frame index points at the same frame here
 */
public record ViewSources(String detections, String deadLetters, List<String> tracks, List<String> events,
                          DecodeLimits limits, Sampling sampling) {
    public ViewSources {
        tracks = List.copyOf(tracks);
        events = List.copyOf(events);
    }

    /** The topics and decoding of one pipeline's settings. */
    public static ViewSources of(final PipelineConfig pipeline) {
        final List<String> tracks = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        for (final ConfigDef.ConfigKey k : PipelineConfig.CONFIG.configKeys().values()) {
            final String name = k.name.toLowerCase(Locale.ROOT);
            if (k.type != ConfigDef.Type.STRING || !name.endsWith("topic")) {
                continue;
            }
            final String topic = pipeline.getString(k.name);
            if (topic == null || topic.isBlank()) {
                continue;
            }
            if (name.contains("track")) {
                tracks.add(topic);
            } else if (name.contains("event")) {
                events.add(topic);
            }
        }
        final PipelineConfig.Topics t = pipeline.topics();
        return new ViewSources(t.output(), t.deadLetters(), tracks, events, pipeline.decodeLimits(),
            pipeline.sampling());
    }

    /** Every topic named here. */
    List<String> all() {
        final List<String> all = new ArrayList<>(List.of(detections, deadLetters));
        all.addAll(tracks);
        all.addAll(events);
        return all;
    }
}
