package io.mobileformer.streams.avro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mobileformer.streams.media.CredentialRedactor;
import org.apache.avro.Schema;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small client of the Confluent schema-registry REST API (which Apicurio serves under {@code /apis/ccompat/v7}):
 * register a schema under a subject, look one up, fetch the latest version, fetch a schema by id, set a subject's
 * compatibility rule. Answers are cached: a schema id never changes its schema, so after start the hot path does not
 * touch the network.
 *
 * <p>Failures come in two kinds, because callers must treat them differently: {@link SchemaRegistryException} when the
 * registry answered and refused (never retried), {@link RegistryUnavailableException} when it could not be reached or
 * answered 5xx/429 for longer than {@code schema.registry.retry.max-ms} (retried with exponential backoff until then).
 * Messages carry the registry URL without its user info, and never a credential.
 *
 * <p>Thread-safe; one instance is shared by every serde of a process. {@link #close()} drops the caches (the JDK
 * client owns no resource that needs closing on Java 17).
 */
public final class SchemaRegistryClient implements AutoCloseable {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final long MAX_BACKOFF_MS = 2_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A schema as registered: its global id, its version within the subject, the schema itself. */
    public record Registered(int id, int version, Schema schema) {
    }

    private final List<URI> urls;
    private final String authorization;
    private final HttpClient http;
    private final Duration timeout;
    private final long backoffMs;
    private final long retryMaxMs;
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> idBySubjectAndSchema = new ConcurrentHashMap<>();
    private volatile int preferred;

    public SchemaRegistryClient(final RegistryConfig config) {
        if (!config.enabled()) {
            throw new IllegalArgumentException(RegistryConfig.URL + " is not set");
        }
        this.urls = config.urls().stream().map(SchemaRegistryClient::withoutUserInfo).toList();
        final String userInfo = config.userInfo();
        this.authorization = userInfo == null ? null
            : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        this.timeout = Duration.ofMillis(config.requestTimeoutMs());
        this.backoffMs = config.retryBackoffMs();
        this.retryMaxMs = config.retryMaxMs();
        final HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
        final RegistryConfig.Tls tls = config.tls();
        if (tls.custom()) {
            b.sslContext(sslContext(tls));
        }
        this.http = b.build();
    }

    /** The registry URLs as they may be shown: without user info. */
    public List<URI> urls() {
        return urls;
    }

    /**
     * Registers {@code schema} under {@code subject} (a no-op returning the existing id when it is already there).
     *
     * @throws SchemaRegistryException 409 when the subject's compatibility rule refuses it
     */
    public int register(final String subject, final Schema schema) {
        return idOf("/subjects/" + enc(subject) + "/versions", subject, schema);
    }

    /**
     * The id of {@code schema} under {@code subject}, without registering it.
     *
     * @throws SchemaRegistryException 404 when the subject or the schema under it is not registered
     */
    public int lookup(final String subject, final Schema schema) {
        return idOf("/subjects/" + enc(subject), subject, schema);
    }

    private int idOf(final String path, final String subject, final Schema schema) {
        final String key = subject + '\n' + schema;
        final Integer known = idBySubjectAndSchema.get(key);
        if (known != null) {
            return known;
        }
        final int id = call("POST", path, JSON.createObjectNode().put("schema", schema.toString())).path("id")
            .asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException(500, 0, "the registry answered POST " + path + " without an id");
        }
        byId.putIfAbsent(id, schema);
        idBySubjectAndSchema.put(key, id);
        return id;
    }

    /** The latest version under {@code subject} (not cached: it is asked for at start only). */
    public Registered latest(final String subject) {
        final JsonNode n = call("GET", "/subjects/" + enc(subject) + "/versions/latest", null);
        final Schema s = parse(n.path("schema").asText());
        final int id = n.path("id").asInt();
        byId.putIfAbsent(id, s);
        return new Registered(id, n.path("version").asInt(), s);
    }

    /**
     * The schema with this id.
     *
     * @throws SchemaRegistryException 404 when the registry has no schema with this id
     */
    public Schema schemaById(final int id) {
        final Schema known = byId.get(id);
        if (known != null) {
            return known;
        }
        final Schema s = parse(call("GET", "/schemas/ids/" + id, null).path("schema").asText());
        byId.putIfAbsent(id, s);
        return s;
    }

    /**
     * Sets the compatibility rule of {@code subject} (BACKWARD, FULL, ...) unless it already has it. Asking first
     * matters: Apicurio answers 409 to a PUT for a subject that already has a rule, and a PUT that timed out may have
     * been applied.
     */
    public void setCompatibility(final String subject, final String level) {
        if (level.equals(subjectCompatibility(subject))) {
            return;
        }
        try {
            call("PUT", "/config/" + enc(subject), JSON.createObjectNode().put("compatibility", level));
        } catch (final SchemaRegistryException e) {
            if (e.status() != 409 || !level.equals(subjectCompatibility(subject))) {
                throw e;
            }
        }
    }

    /** The subject's own compatibility rule, or null when it has none (the registry's default applies). */
    public String subjectCompatibility(final String subject) {
        try {
            final String level = call("GET", "/config/" + enc(subject), null).path("compatibilityLevel").asText("");
            return level.isEmpty() ? null : level;
        } catch (final SchemaRegistryException e) {
            if (e.status() == 404) {
                return null;
            }
            throw e;
        }
    }

    /** The subject's compatibility rule, or the registry's default when the subject has none of its own. */
    public String compatibility(final String subject) {
        try {
            return call("GET", "/config/" + enc(subject), null).path("compatibilityLevel").asText();
        } catch (final SchemaRegistryException e) {
            if (e.status() == 404) {
                return call("GET", "/config", null).path("compatibilityLevel").asText();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        byId.clear();
        idBySubjectAndSchema.clear();
    }

    private JsonNode call(final String method, final String path, final JsonNode body) {
        final long deadline = System.nanoTime() + retryMaxMs * 1_000_000L;
        long pause = backoffMs;
        int attempt = 0;
        while (true) {
            final int u = Math.floorMod(preferred + attempt, urls.size());
            final URI uri = URI.create(urls.get(u) + path);
            Exception failure;
            try {
                final HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Accept", CONTENT_TYPE + ", application/json");
                if (authorization != null) {
                    rb.header("Authorization", authorization);
                }
                rb.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
                if (body != null) {
                    rb.header("Content-Type", CONTENT_TYPE);
                }
                final HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 == 2) {
                    preferred = u;
                    return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
                }
                if (r.statusCode() < 500 && r.statusCode() != 429) {
                    throw refused(method, uri, r);
                }
                failure = new IOException("HTTP " + r.statusCode() + " " + brief(r.body()));
            } catch (final IOException e) {
                failure = e;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while calling the schema registry at "
                    + shown(uri), e);
            }
            attempt++;
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new RegistryUnavailableException("schema registry unavailable: " + method + " " + shown(uri)
                    + " failed " + attempt + " time(s) in " + retryMaxMs + " ms, last: " + failure, failure);
            }
            try {
                Thread.sleep(Math.min(pause, left / 1_000_000L + 1));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while waiting to retry " + shown(uri), e);
            }
            pause = Math.min(pause * 2, MAX_BACKOFF_MS);
        }
    }

    private static SchemaRegistryException refused(final String method, final URI uri,
                                                   final HttpResponse<String> r) {
        int code = 0;
        String message = brief(r.body());
        try {
            final JsonNode n = JSON.readTree(r.body());
            code = n.path("error_code").asInt(0);
            message = n.path("message").asText(message);
        } catch (final IOException | RuntimeException ignored) {
            // not JSON: the body itself is the message
        }
        final String hint = switch (r.statusCode()) {
            case 401, 403 -> " (check basic.auth.credentials.source and basic.auth.user.info)";
            case 409 -> "POST".equals(method)
                ? " (the subject's compatibility rule refuses this schema: give new fields defaults)" : "";
            default -> "";
        };
        return new SchemaRegistryException(r.statusCode(), code, "schema registry refused " + method + " "
            + shown(uri) + ": HTTP " + r.statusCode() + (code == 0 ? "" : " error " + code) + ": "
            + CredentialRedactor.redact(message) + hint);
    }

    private static String brief(final String body) {
        final String b = body == null ? "" : body.strip();
        return b.length() > 300 ? b.substring(0, 300) + "..." : b;
    }

    private static String shown(final URI uri) {
        return CredentialRedactor.redact(uri.toString());
    }

    private static String enc(final String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Schema parse(final String text) {
        // a fresh parser per schema: one parser refuses a second definition of the same full name
        return new Schema.Parser().parse(text);
    }

    private static URI withoutUserInfo(final URI u) {
        try {
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getRawPath() == null ? "" : u.getPath(),
                null, null);
        } catch (final URISyntaxException e) {
            throw new IllegalArgumentException(RegistryConfig.URL + " is not a URL: " + shown(u), e);
        }
    }

    private static SSLContext sslContext(final RegistryConfig.Tls tls) {
        try {
            TrustManagerFactory tmf = null;
            if (!tls.truststore().isEmpty()) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(tls.truststore(), tls.truststoreType(), tls.truststorePassword()));
            }
            KeyManagerFactory kmf = null;
            if (!tls.keystore().isEmpty()) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(tls.keystore(), tls.keystoreType(), tls.keystorePassword()), tls.keyPassword());
            }
            final SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (final GeneralSecurityException | IOException e) {
            // the exception names the file, never the password
            throw new IllegalArgumentException("cannot set up TLS for the schema registry: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(final String path, final String type, final char[] password)
        throws GeneralSecurityException, IOException {
        final KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            ks.load(in, password);
        }
        return ks;
    }
}
