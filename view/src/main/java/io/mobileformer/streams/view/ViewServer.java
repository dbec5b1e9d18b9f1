package io.mobileformer.streams.view;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The view's web server (the JDK's {@code com.sun.net.httpserver}): one page, its script and style from the jar,
 * the state as JSON, a server-sent event stream of that state, and each camera's last frames as JPEGs. Read-only:
 * every path answers GET and HEAD, anything else is 405, and no request changes anything.
 *
 * <p>Push is server-sent events: the traffic is one way (server to page); EventSource reconnects by itself; it is
 * plain HTTP, so proxies and basic auth treat it like any request; and it carries small JSON text. Pictures are not
 * pushed: each state names a frame version, and the page fetches that JPEG only when it changed, so a slow browser
 * skips frames instead of queueing them (MJPEG would push every frame, and would need the boxes burnt in, losing the
 * page's own drawing of labels and track ids).
 */
final class ViewServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ViewServer.class);
    /** Open event streams at once; each holds a thread. */
    static final int MAX_STREAMS = 8;
    /** Least time between two state messages to one page: the state may change hundreds of times a second. */
    private static final long MIN_PUSH_MS = 100;
    /** A comment line this often keeps proxies from closing an idle stream. */
    private static final long KEEPALIVE_MS = 15_000;
    private static final Map<String, String> STATIC = Map.of(
        "/", "index.html", "/index.html", "index.html", "/view.js", "view.js", "/view.css", "view.css");

    private final ViewState state;
    private final ViewAuth auth;
    private final HttpServer http;
    private final ExecutorService threads;
    private final Semaphore streams = new Semaphore(MAX_STREAMS);

    ViewServer(final ViewState state, final ViewAuth auth, final InetSocketAddress address) throws IOException {
        this.state = state;
        this.auth = auth;
        this.http = HttpServer.create(address, 32);
        this.threads = Executors.newFixedThreadPool(MAX_STREAMS + 4, r -> {
            final Thread t = new Thread(r, "mfs-view-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(threads);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The address bound (the port is known here when 0 was asked for). */
    InetSocketAddress address() {
        return http.getAddress();
    }

    private void handle(final HttpExchange ex) throws IOException {
        try {
            final var h = ex.getResponseHeaders();
            h.set("X-Content-Type-Options", "nosniff");
            h.set("Cache-Control", "no-store");
            h.set("Referrer-Policy", "no-referrer");
            // nothing from elsewhere: the page's code and pictures all come from here
            h.set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'");
            if (!auth.allows(ex.getRequestHeaders().getFirst("Authorization"))) {
                if (auth.offersBasic()) {
                    h.set("WWW-Authenticate", "Basic realm=\"mobileformer-streams view\", charset=\"UTF-8\"");
                }
                send(ex, 401, "text/plain; charset=utf-8", "authentication required\n"
                    .getBytes(StandardCharsets.UTF_8));
                return;
            }
            final String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                h.set("Allow", "GET, HEAD");
                send(ex, 405, "text/plain; charset=utf-8", "read-only: GET and HEAD only\n"
                    .getBytes(StandardCharsets.UTF_8));
                return;
            }
            final URI uri = ex.getRequestURI();
            final String path = uri.getPath();
            if (STATIC.containsKey(path)) {
                final String file = STATIC.get(path);
                send(ex, 200, type(file), resource(file));
            } else if (path.equals("/api/state")) {
                send(ex, 200, "application/json", state.json().getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/events")) {
                events(ex);
            } else if (path.equals("/frame")) {
                final Map<String, String> q = query(uri.getRawQuery());
                byte[] jpeg = null;
                try {
                    jpeg = state.jpeg(q.getOrDefault("camera", ""), Long.parseLong(q.getOrDefault("v", "-1")));
                } catch (final NumberFormatException e) {
                    // no such version
                }
                if (jpeg == null) {
                    send(ex, 404, "text/plain; charset=utf-8", "no such frame (it was replaced by a newer one)\n"
                        .getBytes(StandardCharsets.UTF_8));
                } else {
                    send(ex, 200, "image/jpeg", jpeg);
                }
            } else {
                send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (final IOException e) {
            // the browser went away
        } finally {
            ex.close();
        }
    }

    /** The state as server-sent events, each time it changed (at most every {@link #MIN_PUSH_MS}). */
    private void events(final HttpExchange ex) throws IOException {
        if (!streams.tryAcquire()) {
            ex.getResponseHeaders().set("Retry-After", "10");
            send(ex, 503, "text/plain; charset=utf-8", ("more than " + MAX_STREAMS + " pages open\n")
                .getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.sendResponseHeaders(200, 0);
            if (ex.getRequestMethod().equals("HEAD")) {
                return;
            }
            final OutputStream out = ex.getResponseBody();
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            long seen = -1;
            while (!state.closed()) {
                final long now = state.changes();
                if (now != seen) {
                    seen = now;
                    out.write(("data: " + state.json() + "\n\n").getBytes(StandardCharsets.UTF_8));
                } else {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                Thread.sleep(MIN_PUSH_MS);
                state.awaitChange(seen, KEEPALIVE_MS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streams.release();
        }
    }

    private static void send(final HttpExchange ex, final int status, final String type, final byte[] body)
        throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private static byte[] resource(final String file) throws IOException {
        try (InputStream in = ViewServer.class.getResourceAsStream("web/" + file)) {
            if (in == null) {
                throw new IllegalStateException("web/" + file + " is missing from the view's jar");
            }
            return in.readAllBytes();
        }
    }

    private static String type(final String file) {
        if (file.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        return file.endsWith(".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8";
    }

    private static Map<String, String> query(final String raw) {
        final Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (final String pair : raw.split("&")) {
            final int eq = pair.indexOf('=');
            if (eq > 0) {
                q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
        try {
            if (!threads.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("live view: web threads still running after 5 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
