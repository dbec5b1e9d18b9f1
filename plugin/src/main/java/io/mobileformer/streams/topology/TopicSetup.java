package io.mobileformer.streams.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The pipeline's topics at start (four, and tracks and events with tracking on): those missing are created (with {@code topics.create=true}) or named in one
 * error that says how to create them. Segments are large, so the frames and dead-letter topics need a
 * {@code max.message.bytes} above {@code decode.max-payload-bytes}; a cluster's default (1 MB) would refuse them, and a
 * principal without CREATE must have them made by someone who has it.
 */
final class TopicSetup {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {
    }

    /** The topics the pipeline needs, each with the settings it must be created with. */
    static List<NewTopic> required(final PipelineConfig cfg) {
        final String big = Integer.toString(cfg.decodeLimits().maxPayloadBytes() + (1 << 20));
        final PipelineConfig.Topics t = cfg.topics();
        final int parts = t.partitions();
        final short rf = t.replicationFactor();
        // outputs carry their frame's time as the record timestamp, which the broker's time retention reads: a
        // replay of week-old footage into a 7-day topic is deleted at the next retention check, hence the option
        final Map<String, String> out = t.outputRetentionMs() == null ? Map.of()
            : Map.of("retention.ms", Long.toString(t.outputRetentionMs()));
        final Map<String, String> bigOut = new LinkedHashMap<>(out);
        bigOut.put("max.message.bytes", big);
        final List<NewTopic> topics = new ArrayList<>(List.of(
            new NewTopic(t.input(), parts, rf).configs(Map.of("max.message.bytes", big)),
            new NewTopic(t.output(), parts, rf).configs(out),
            new NewTopic(t.deadLetters(), parts, rf).configs(bigOut),
            new NewTopic(t.dropped(), parts, rf).configs(out)));
        final PipelineConfig.Analytics analytics = cfg.analytics();
        if (analytics.enabled()) {
            topics.add(new NewTopic(analytics.tracksTopic(), parts, rf).configs(out));
            topics.add(new NewTopic(analytics.eventsTopic(), parts, rf).configs(out));
        }
        return topics;
    }

    /**
     * Creates what is missing, or throws naming every missing topic and how to create it.
     *
     * @param clientConfig the Kafka Streams properties (connection and security are taken from them)
     * @throws IllegalStateException when topics are missing and could not be created
     */
    static void ensure(final Properties clientConfig, final PipelineConfig cfg) throws InterruptedException {
        final Map<String, Object> admin = new LinkedHashMap<>();
        clientConfig.forEach((k, v) -> admin.put((String) k, v));
        admin.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        final List<NewTopic> required = required(cfg);
        try (Admin a = Admin.create(admin)) {
            final Set<String> existing;
            try {
                existing = a.listTopics().names().get(60, TimeUnit.SECONDS);
            } catch (final ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("could not list topics ({}); Kafka Streams will report missing ones", e.toString());
                return;
            }
            final List<NewTopic> missing = required.stream().filter(n -> !existing.contains(n.name())).toList();
            if (missing.isEmpty()) {
                return;
            }
            if (!cfg.topics().create()) {
                throw new IllegalStateException("missing topics (topics.create=false): " + howToCreate(missing));
            }
            final List<NewTopic> failed = new ArrayList<>();
            final List<String> causes = new ArrayList<>();
            for (final var e : a.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(60, TimeUnit.SECONDS);
                    LOG.info("created topic {}", e.getKey());
                } catch (final ExecutionException ex) {
                    if (ex.getCause() instanceof TopicExistsException) {
                        continue;
                    }
                    missing.stream().filter(n -> n.name().equals(e.getKey())).forEach(failed::add);
                    causes.add(ex.getCause() instanceof TopicAuthorizationException
                        || ex.getCause() instanceof ClusterAuthorizationException
                        ? "the principal lacks CREATE" : ex.getCause().toString());
                } catch (final java.util.concurrent.TimeoutException ex) {
                    missing.stream().filter(n -> n.name().equals(e.getKey())).forEach(failed::add);
                    causes.add("timed out");
                }
            }
            if (!failed.isEmpty()) {
                throw new IllegalStateException("could not create topics (" + causes.stream().distinct()
                    .collect(Collectors.joining(", ")) + "): " + howToCreate(failed)
                    + "; then set topics.create=false");
            }
        }
    }

    /** One line per topic, as an operator with CREATE would type it. */
    static String howToCreate(final List<NewTopic> topics) {
        final List<String> names = new ArrayList<>();
        final List<String> commands = new ArrayList<>();
        for (final NewTopic n : topics) {
            final Map<String, String> configs = n.configs() == null ? Map.of() : n.configs();
            names.add(n.name() + " (" + (configs.containsKey("max.message.bytes")
                ? "max.message.bytes=" + configs.get("max.message.bytes") : "default max.message.bytes") + ")");
            final StringBuilder c = new StringBuilder("kafka-topics.sh --create --topic " + n.name() + " --partitions "
                + n.numPartitions() + " --replication-factor " + n.replicationFactor());
            configs.forEach((k, v) -> c.append(" --config ").append(k).append('=').append(v));
            commands.add(c.toString());
        }
        return "create " + String.join(", ", names) + ", e.g. " + String.join(" && ", commands);
    }
}
