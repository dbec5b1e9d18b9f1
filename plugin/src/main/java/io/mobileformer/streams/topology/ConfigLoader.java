package io.mobileformer.streams.topology;

import io.mobileformer.streams.analytics.ZoneRules;
import io.mobileformer.streams.config.ConfigFiles;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the two files of a deployment (config/: where and how to run; processors/: what to run), applies environment
 * overrides, and refuses unknown keys by name with the nearest known key.
 *
 * <p>Files and environment overrides are read by {@link ConfigFiles}: {@code MFS_} followed by the key upper-cased
 * with dots and dashes as underscores overrides that key, e.g. {@code MFS_BATCH_MAX_SIZE=16} or
 * {@code MFS_BOOTSTRAP_SERVERS=kafka:9092}.
 */
public final class ConfigLoader {
    private static final List<String> KAFKA_PREFIXES = List.of("consumer.", "producer.", "admin.", "main.consumer.",
        "restore.consumer.", "global.consumer.", "topic.");

    /**
     * A validated deployment, read once: the pipeline's typed settings and every key as read (Kafka Streams and
     * client keys pass through to Kafka).
     */
    public record Settings(PipelineConfig pipeline, Map<String, String> properties) {
        /** Settings of {@code props} without the file checks (unknown keys pass), for code that builds its own map. */
        public static Settings of(final Map<String, String> props) {
            return new Settings(new PipelineConfig(pipelineOnly(props)), props);
        }

        /** The keys that go to Kafka Streams unchanged. */
        public Map<String, Object> kafka() {
            return kafkaOnly(properties);
        }
    }

    private ConfigLoader() {
    }

    public static Settings load(final List<Path> files, final Map<String, String> env) throws IOException {
        final Map<String, String> merged = ConfigFiles.read(files);
        final Set<String> known = knownKeys();
        ConfigFiles.applyEnv(merged, known, env);
        return new Settings(validate(merged, known), merged);
    }

    /** Refuses unknown keys and bad values, all at once; returns the pipeline's settings. */
    static PipelineConfig validate(final Map<String, String> props, final Set<String> known) {
        final List<String> problems = new ArrayList<>();
        for (final String k : props.keySet()) {
            if (!known.contains(k) && !ZoneRules.isRuleKey(k) && KAFKA_PREFIXES.stream().noneMatch(k::startsWith)) {
                problems.add(ConfigFiles.unknownKey(k, known));
            }
        }
        PipelineConfig pipeline = null;
        try {
            pipeline = new PipelineConfig(pipelineOnly(props));
        } catch (final ConfigException e) {
            problems.add(e.getMessage());
        }
        ConfigFiles.failOn(problems);
        return pipeline;
    }

    /** The subset of keys that are ours: {@link PipelineConfig}'s and the zone and line rules. */
    public static Map<String, String> pipelineOnly(final Map<String, String> props) {
        final Map<String, String> out = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (PipelineConfig.CONFIG.names().contains(k) || ZoneRules.isRuleKey(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The subset of keys that go to Kafka Streams. */
    public static Map<String, Object> kafkaOnly(final Map<String, String> props) {
        final Map<String, Object> out = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (!PipelineConfig.CONFIG.names().contains(k) && !ZoneRules.isRuleKey(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * Every key a deployment may set: the pipeline's and those of Kafka Streams and its clients (each also as an
     * {@code MFS_} environment variable). The deployment manifests' lint checks their variables against these.
     */
    public static Set<String> knownKeys() {
        final Set<String> s = new TreeSet<>(PipelineConfig.CONFIG.names());
        s.addAll(StreamsConfig.configDef().names());
        s.addAll(ConsumerConfig.configNames());
        s.addAll(ProducerConfig.configNames());
        s.addAll(AdminClientConfig.configNames());
        return s;
    }


}
