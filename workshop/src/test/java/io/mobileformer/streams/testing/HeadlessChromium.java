package io.mobileformer.streams.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Debian's {@code chromium}, headless, driven over the DevTools protocol with the JDK's own WebSocket client: no
 * WebDriver, no Selenium, nothing to download. A private profile directory per instance (deleted on close);
 * {@code --no-sandbox} because tests may run as root, where Chromium's sandbox refuses to start.
 *
 * <p>The binary is {@code $MFS_CHROMIUM}, else {@code chromium} on the PATH ({@code scripts/install-chromium.sh}
 * installs it; the build runs that script before the integration tests).
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(final Process process, final Path profile, final WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    public static String binary() {
        final String env = System.getenv("MFS_CHROMIUM");
        return env != null && !env.isBlank() ? env : "chromium";
    }

    /** Whether the browser can be started here. */
    public static boolean available() {
        try {
            final Process p = new ProcessBuilder(binary(), "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Starts the browser with one blank page of {@code width x height} and attaches to that page. */
    public static HeadlessChromium start(final int width, final int height) throws IOException, InterruptedException {
        final Path profile = Files.createTempDirectory("mfs-chromium");
        final Process p = new ProcessBuilder(binary(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", "--window-size=" + width + "," + height, "about:blank")
            .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        try {
            // the browser writes the port it chose here once it listens
            final Path portFile = profile.resolve("DevToolsActivePort");
            final long end = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
                if (!p.isAlive() || System.nanoTime() > end) {
                    throw new IOException("chromium did not start: " + Files.readString(profile.resolve(
                        "chromium.log")));
                }
                Thread.sleep(100);
            }
            final int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            final HttpClient http = HttpClient.newHttpClient();
            String ws = null;
            while (ws == null && System.nanoTime() < end) {
                final JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
                for (final JsonNode t : targets) {
                    if ("page".equals(t.path("type").asText())) {
                        ws = t.path("webSocketDebuggerUrl").asText();
                    }
                }
                if (ws == null) {
                    Thread.sleep(100);
                }
            }
            if (ws == null) {
                throw new IOException("chromium has no page to attach to");
            }
            final Listener listener = new Listener();
            final WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), listener).join();
            final HeadlessChromium c = new HeadlessChromium(p, profile, socket);
            listener.owner = c;
            c.call("Page.enable", JSON.createObjectNode());
            // the viewport itself (a headless window's size includes what would be its frame)
            c.call("Emulation.setDeviceMetricsOverride", JSON.createObjectNode().put("width", width)
                .put("height", height).put("deviceScaleFactor", 1).put("mobile", false));
            return c;
        } catch (final IOException | InterruptedException | RuntimeException e) {
            p.destroyForcibly();
            deleteTree(profile);
            throw e;
        }
    }

    /** Sends one DevTools command and waits for its result. */
    public JsonNode call(final String method, final ObjectNode params) throws IOException {
        final int id = ids.incrementAndGet();
        final CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        final ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", params);
        socket.sendText(msg.toString(), true).join();
        try {
            final JsonNode r = f.get(60, TimeUnit.SECONDS);
            if (r.has("error")) {
                throw new IOException(method + " failed: " + r.get("error"));
            }
            return r.path("result");
        } catch (final Exception e) {
            throw e instanceof IOException io ? io : new IOException(method + " got no answer: " + e, e);
        } finally {
            pending.remove(id);
        }
    }

    public void navigate(final String url) throws IOException {
        call("Page.navigate", JSON.createObjectNode().put("url", url));
    }

    /** Evaluates a JavaScript expression in the page; its value as JSON (promises awaited). */
    public JsonNode eval(final String expression) throws IOException {
        final JsonNode r = call("Runtime.evaluate", JSON.createObjectNode().put("expression", expression)
            .put("returnByValue", true).put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IOException("script failed: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Evaluates {@code expression} until it is true, or fails after {@code timeout}. */
    public void await(final String expression, final Duration timeout, final String what) throws IOException,
        InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (eval(expression).asBoolean(false)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
    }

    /** The page as a PNG. */
    public byte[] screenshot() throws IOException {
        return Base64.getDecoder().decode(call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"))
            .path("data").asText());
    }

    @Override
    public void close() {
        socket.abort();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(profile);
    }

    private static void deleteTree(final Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (final IOException e) {
            // a temp directory left behind
        }
    }

    /** Joins fragmented text messages and completes the caller waiting for each answer. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private volatile HeadlessChromium owner;

        @Override
        public CompletionStage<?> onText(final WebSocket ws, final CharSequence data, final boolean last) {
            text.append(data);
            if (last) {
                try {
                    final JsonNode msg = JSON.readTree(text.toString());
                    final HeadlessChromium c = owner;
                    if (msg.has("id") && c != null) {
                        final CompletableFuture<JsonNode> f = c.pending.get(msg.get("id").asInt());
                        if (f != null) {
                            f.complete(msg);
                        }
                    }
                } catch (final IOException e) {
                    // not JSON: ignore
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
