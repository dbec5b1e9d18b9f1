package io.mobileformer.streams.avro;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.types.Password;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;

/**
 * How Avro records are framed on the wire, and how to reach the schema registry when they are framed for one. The key
 * names are the ones Confluent's serializers read ({@code schema.registry.url}, {@code auto.register.schemas},
 * {@code basic.auth.user.info}, {@code schema.registry.ssl.*}), so a properties file written for those clients works
 * here unchanged; the {@code schema.registry.retry.*}, {@code schema.registry.request.timeout.ms} and
 * {@code schema.registry.compatibility} keys are this project's.
 *
 * <p>Secrets are {@link Type#PASSWORD} keys: Kafka's config machinery prints them as {@code [hidden]}, and nothing
 * here puts them in a message.
 */
public final class RegistryConfig extends AbstractConfig {
    public static final String URL = "schema.registry.url";
    public static final String AUTO_REGISTER = "auto.register.schemas";
    public static final String USE_LATEST = "use.latest.version";
    public static final String COMPATIBILITY = "schema.registry.compatibility";
    public static final String AUTH_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String KEY_PASSWORD = "schema.registry.ssl.key.password";
    public static final String REQUEST_TIMEOUT = "schema.registry.request.timeout.ms";
    public static final String RETRY_BACKOFF = "schema.registry.retry.backoff.ms";
    public static final String RETRY_MAX = "schema.registry.retry.max-ms";

    public static final ConfigDef CONFIG = new ConfigDef()
        .define(URL, Type.STRING, "", Importance.HIGH,
            "Schema registry base URL(s), comma-separated (tried in turn), e.g. http://registry:8081 or Apicurio's "
                + "http://registry:8080/apis/ccompat/v7. Set: outputs are written in the registry wire format (byte 0, "
                + "4-byte schema id, Avro binary) under the subject <topic>-value, and input records framed that way "
                + "are read by looking their writer schema up by id. Empty (default): Avro single-object encoding "
                + "(C3 01, 8-byte fingerprint), no registry needed. Input records are accepted in either framing.")
        .define(AUTO_REGISTER, Type.BOOLEAN, true, Importance.MEDIUM,
            "Register the schema this build writes under <topic>-value at start (the registry answers with its id, "
                + "or with 409 when the subject's compatibility rule refuses it). false: the schema must already be "
                + "registered, or use.latest.version must be set.")
        .define(USE_LATEST, Type.BOOLEAN, false, Importance.LOW,
            "With auto.register.schemas=false: write with the subject's latest version instead of this build's "
                + "schema (records are converted by Avro schema resolution; refused at start when the latest version "
                + "cannot read this build's records).")
        .define(COMPATIBILITY, Type.STRING, "BACKWARD", ValidString.in("", "BACKWARD", "BACKWARD_TRANSITIVE",
                "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"), Importance.LOW,
            "Compatibility rule set on each output subject before this build registers its schema (only with "
                + "auto.register.schemas). BACKWARD, the registry's usual default: a new version must read the "
                + "previous one's records, so consumers upgrade first. Empty: leave the subject's rule alone.")
        .define(AUTH_SOURCE, Type.STRING, "USER_INFO", ValidString.in("USER_INFO", "URL"), Importance.MEDIUM,
            "Where the registry's basic-auth credentials come from: USER_INFO (basic.auth.user.info) or URL "
                + "(https://user:password@host/...).")
        .define(USER_INFO, Type.PASSWORD, null, Importance.MEDIUM,
            "user:password for the registry's basic auth (keep it in the environment: MFS_BASIC_AUTH_USER_INFO). "
                + "Never logged.")
        .define(TRUSTSTORE_LOCATION, Type.STRING, "", Importance.LOW,
            "Trust store for an https registry with a private CA (empty: the JVM's default trust).")
        .define(TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW, "Password of the trust store.")
        .define(TRUSTSTORE_TYPE, Type.STRING, "PKCS12", ValidString.in("PKCS12", "JKS"), Importance.LOW,
            "Type of the trust store.")
        .define(KEYSTORE_LOCATION, Type.STRING, "", Importance.LOW,
            "Key store with the client certificate, for a registry that requires mutual TLS.")
        .define(KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW, "Password of the key store.")
        .define(KEYSTORE_TYPE, Type.STRING, "PKCS12", ValidString.in("PKCS12", "JKS"), Importance.LOW,
            "Type of the key store.")
        .define(KEY_PASSWORD, Type.PASSWORD, null, Importance.LOW,
            "Password of the private key in the key store (default: the key store's password).")
        .define(REQUEST_TIMEOUT, Type.LONG, 5_000L, atLeast(1), Importance.LOW,
            "Longest wait for one registry request.")
        .define(RETRY_BACKOFF, Type.LONG, 100L, atLeast(1), Importance.LOW,
            "First pause before retrying a registry request that failed for a transient reason (no connection, "
                + "timeout, 5xx, 429); doubled after each try, up to 2 s.")
        .define(RETRY_MAX, Type.LONG, 5_000L, atLeast(0), Importance.LOW,
            "How long one registry request keeps retrying before it reports the registry unavailable. A frames "
                + "record whose writer schema cannot be fetched is never dead-lettered: the pipeline keeps asking, "
                + "up to 4 minutes (below max.poll.interval.ms), then replaces the stream thread and reads the record "
                + "again from the committed offset.");

    public RegistryConfig(final Map<?, ?> props) {
        super(CONFIG, props, false);
    }

    /** True when records are written in the registry wire format. */
    public boolean enabled() {
        return !getString(URL).isBlank();
    }

    /** The registry base URLs, in the order they are tried. */
    public List<URI> urls() {
        final List<URI> out = new ArrayList<>();
        for (final String u : getString(URL).split(",")) {
            if (!u.isBlank()) {
                final String s = u.strip();
                out.add(URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s));
            }
        }
        return out;
    }

    public boolean autoRegister() {
        return getBoolean(AUTO_REGISTER);
    }

    public boolean useLatestVersion() {
        return getBoolean(USE_LATEST);
    }

    /** The rule set on output subjects, or empty. */
    public String compatibility() {
        return getString(COMPATIBILITY);
    }

    /** {@code user:password}, or null when the registry needs no basic auth. */
    String userInfo() {
        if ("URL".equals(getString(AUTH_SOURCE))) {
            final String ui = urls().isEmpty() ? null : urls().get(0).getRawUserInfo();
            return ui == null ? null : java.net.URLDecoder.decode(ui, java.nio.charset.StandardCharsets.UTF_8);
        }
        final Password p = getPassword(USER_INFO);
        return p == null || p.value().isEmpty() ? null : p.value();
    }

    /** Trust and key stores; empty locations mean the JVM's defaults. */
    record Tls(String truststore, char[] truststorePassword, String truststoreType, String keystore,
               char[] keystorePassword, String keystoreType, char[] keyPassword) {
        boolean custom() {
            return !truststore.isEmpty() || !keystore.isEmpty();
        }
    }

    Tls tls() {
        final char[] ksPass = chars(getPassword(KEYSTORE_PASSWORD));
        final char[] keyPass = chars(getPassword(KEY_PASSWORD));
        return new Tls(getString(TRUSTSTORE_LOCATION), chars(getPassword(TRUSTSTORE_PASSWORD)),
            getString(TRUSTSTORE_TYPE), getString(KEYSTORE_LOCATION), ksPass, getString(KEYSTORE_TYPE),
            keyPass == null ? ksPass : keyPass);
    }

    long requestTimeoutMs() {
        return getLong(REQUEST_TIMEOUT);
    }

    long retryBackoffMs() {
        return getLong(RETRY_BACKOFF);
    }

    long retryMaxMs() {
        return getLong(RETRY_MAX);
    }

    private static char[] chars(final Password p) {
        return p == null ? null : p.value().toCharArray();
    }
}
