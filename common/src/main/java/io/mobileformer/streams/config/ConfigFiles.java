package io.mobileformer.streams.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Property files as every deployable reads them (the plugin's {@code config/} + {@code processors/} pair, ingest's
 * camera list): later files override earlier ones, {@code MFS_}-prefixed environment variables override files, and an
 * unknown key is reported with the nearest known one.
 *
 * <p>Environment: {@code MFS_} followed by the key upper-cased with dots and dashes as underscores overrides that key,
 * e.g. {@code MFS_BATCH_MAX_SIZE=16} or {@code MFS_BOOTSTRAP_SERVERS=kafka:9092}.
 */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    /** The files' keys and values, trimmed; a later file overrides an earlier one. */
    public static Map<String, String> read(final List<Path> files) throws IOException {
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
    /** Throws one {@link ConfigException} listing every problem, or returns when there are none. */
    public static void failOn(final List<String> problems) {
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** Any {@link ConfigDef} as the same Markdown table (the pipeline and the ingest settings). */
    public static String markdownReference(final ConfigDef def) {
        final StringBuilder sb = new StringBuilder("| key | type | default | valid values | description |\n"
            + "|---|---|---|---|---|\n");
        for (final ConfigDef.ConfigKey k : new TreeMap<>(def.configKeys()).values()) {
            sb.append("| `").append(k.name).append("` | ").append(k.type.name().toLowerCase()).append(" | ")
                .append(k.hasDefault() ? "`" + ConfigDef.convertToString(k.defaultValue, k.type) + "`" : "required")
                .append(" | ").append(k.validator == null ? "" : k.validator.toString().replace("|", "\\|"))
                .append(" | ").append(k.documentation.replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }
}
