package io.mobileformer.streams.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An https front for a real registry that demands HTTP basic auth, the way registries are commonly put behind a TLS
 * terminating, authenticating proxy. It forwards every authorized request unchanged to {@code 127.0.0.1:<port>} and
 * answers 401 in the registry's error format otherwise. It only terminates TLS and checks one credential: the
 * answers are the registry's own.
 */
public final class AuthenticatingProxy implements AutoCloseable {
    private final HttpsServer server;
    private final AtomicInteger authorized = new AtomicInteger();

    private AuthenticatingProxy(final HttpsServer server) {
        this.server = server;
    }

    public static AuthenticatingProxy start(final Path keystore, final String password, final int backendPort,
                                            final String userInfo) throws IOException, GeneralSecurityException {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, password.toCharArray());
        }
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password.toCharArray());
        final SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        final HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        final AuthenticatingProxy proxy = new AuthenticatingProxy(server);
        final String expected = "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        final HttpClient backend = HttpClient.newHttpClient();
        server.createContext("/", ex -> proxy.handle(ex, expected, backend, backendPort));
        server.start();
        return proxy;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests that carried the right credential. */
    public int authorized() {
        return authorized.get();
    }

    private void handle(final HttpExchange ex, final String expected, final HttpClient backend, final int port)
        throws IOException {
        try (ex) {
            if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                reply(ex, 401, "{\"error_code\":40101,\"message\":\"Unauthorized\"}");
                return;
            }
            authorized.incrementAndGet();
            final byte[] body = ex.getRequestBody().readAllBytes();
            final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + ex.getRequestURI())).method(ex.getRequestMethod(), body.length == 0
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            final String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (type != null) {
                b.header("Content-Type", type);
            }
            final HttpResponse<String> r = backend.send(b.build(), HttpResponse.BodyHandlers.ofString());
            reply(ex, r.statusCode(), r.body());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(final HttpExchange ex, final int status, final String body) throws IOException {
        final byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
