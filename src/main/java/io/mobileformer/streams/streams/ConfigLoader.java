package io.mobileformer.streams.streams;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the two files of a deployment (config/: where and how to run; processors/: what to run), applies environment
 * overrides, and refuses unknown keys by name with the nearest known key.
 *
 * <p>Environment: {@code MFS_} followed by the key upper-cased with dots and dashes as underscores overrides that key,
 * e.g. {@code MFS_BATCH_MAX_SIZE=16} or {@code MFS_BOOTSTRAP_SERVERS=kafka:9092}.
 */
public final class ConfigLoader {
    private static final List<String> KAFKA_PREFIXES = List.of("consumer.", "producer.", "admin.", "main.consumer.",
        "restore.consumer.", "global.consumer.", "topic.");

    private ConfigLoader() {
    }

    public static Map<String, String> load(final List<Path> files, final Map<String, String> env) throws IOException {
        final Map<String, String> merged = readFiles(files);
        final Set<String> known = knownKeys();
        applyEnv(merged, known, env);
        validate(merged, known);
        return merged;
    }

    /** The files' keys and values, trimmed; a later file overrides an earlier one. */
    public static Map<String, String> readFiles(final List<Path> files) throws IOException {
        final Map<String, String> merged = new LinkedHashMap<>();
        for (final Path f : files) {
            final Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(f)) {
                p.load(r);
            } catch (final IOException e) {
                throw new IOException("cannot read configuration file " + f + ": " + e.getMessage(), e);
            }
            for (final String k : p.stringPropertyNames()) {
                merged.put(k.trim(), p.getProperty(k).trim());
            }
        }
        return merged;
    }

    /** Overrides each of {@code keys} that has an {@link #envName} variable in {@code env}. */
    public static void applyEnv(final Map<String, String> props, final Iterable<String> keys,
                                final Map<String, String> env) {
        for (final String k : keys) {
            final String v = env.get(envName(k));
            if (v != null) {
                props.put(k, v);
            }
        }
    }

    public static String envName(final String key) {
        return "MFS_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static void validate(final Map<String, String> props, final Set<String> known) {
        final List<String> problems = new ArrayList<>();
        for (final String k : props.keySet()) {
            if (!known.contains(k) && KAFKA_PREFIXES.stream().noneMatch(k::startsWith)) {
                problems.add(unknownKey(k, known));
            }
        }
        try {
            new PipelineConfig(pipelineOnly(props));
        } catch (final ConfigException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** The subset of keys that are ours. */
    public static Map<String, String> pipelineOnly(final Map<String, String> props) {
        final Map<String, String> out = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (PipelineConfig.CONFIG.names().contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The subset of keys that go to Kafka Streams. */
    public static Map<String, Object> kafkaOnly(final Map<String, String> props) {
        final Map<String, Object> out = new LinkedHashMap<>();
        props.forEach((k, v) -> {
            if (!PipelineConfig.CONFIG.names().contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    static Set<String> knownKeys() {
        final Set<String> s = new TreeSet<>(PipelineConfig.CONFIG.names());
        s.addAll(StreamsConfig.configDef().names());
        s.addAll(ConsumerConfig.configNames());
        s.addAll(ProducerConfig.configNames());
        s.addAll(AdminClientConfig.configNames());
        return s;
    }

    /** "unknown key 'x'", with the nearest known key when one is close enough to be a typo. */
    public static String unknownKey(final String key, final Set<String> known) {
        return "unknown key '" + key + "'" + suggestion(key, known);
    }

    private static String suggestion(final String key, final Set<String> known) {
        return known.stream().min(Comparator.comparingInt(k -> distance(k, key)))
            .filter(k -> distance(k, key) <= Math.max(2, key.length() / 4))
            .map(k -> " (did you mean '" + k + "'?)").orElse("");
    }

    private static int distance(final String a, final String b) {
        final int[] prev = new int[b.length() + 1];
        final int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            System.arraycopy(cur, 0, prev, 0, cur.length);
        }
        return prev[b.length()];
    }
}
