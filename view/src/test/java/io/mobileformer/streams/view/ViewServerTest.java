package io.mobileformer.streams.view;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The web server on a real socket: authentication, read-only methods, the page's files, state and event stream. */
class ViewServerTest {
    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> get(final URI uri, final String authorization) throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(final ViewServer s, final String path) {
        return URI.create("http://127.0.0.1:" + s.address().getPort() + path);
    }

    @Test
    void withCredentialsConfiguredEveryPathIs401WithoutThem() throws Exception {
        final ViewState state = new ViewState(List.of("detections", "frames.dlq"), 0f);
        final String basic = "Basic " + Base64.getEncoder().encodeToString("op:s3cret".getBytes(
            StandardCharsets.UTF_8));
        final ViewAuth auth = ViewAuth.fromEnv(Map.of(ViewAuth.ENV_USER, "op", ViewAuth.ENV_PASSWORD, "s3cret",
            ViewAuth.ENV_TOKEN, "t0ken"));
        try (ViewServer s = new ViewServer(state, auth, new InetSocketAddress("127.0.0.1", 0))) {
            for (final String path : List.of("/", "/view.js", "/api/state", "/events", "/frame?camera=a&v=1")) {
                final HttpResponse<String> r = get(uri(s, path), null);
                assertEquals(401, r.statusCode(), path);
                assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic "), path);
            }
            assertEquals(401, get(uri(s, "/"), "Basic " + Base64.getEncoder().encodeToString(
                "op:wrong".getBytes(StandardCharsets.UTF_8))).statusCode());
            assertEquals(401, get(uri(s, "/"), "Bearer nope").statusCode());
            final HttpResponse<String> page = get(uri(s, "/"), basic);
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<script src=\"view.js\">"), page.body());
            assertEquals(200, get(uri(s, "/api/state"), "Bearer t0ken").statusCode());
        }
    }

    @Test
    void readOnlyFilesStateAndEventStream() throws Exception {
        final ViewState state = new ViewState(List.of("detections", "frames.dlq"), 0f);
        try (ViewServer s = new ViewServer(state, ViewAuth.none(), new InetSocketAddress("127.0.0.1", 0))) {
            for (final String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
                final HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri(s, "/api/state"))
                    .method(method, HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
                assertEquals(405, r.statusCode(), method);
                assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""));
            }
            final HttpResponse<String> js = get(uri(s, "/view.js"), null);
            assertEquals(200, js.statusCode());
            assertTrue(js.headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
            assertTrue(js.body().contains("new EventSource('events')"));
            // nothing from elsewhere: no absolute URL in the page's code
            for (final String f : List.of("/", "/view.js", "/view.css")) {
                assertTrue(!get(uri(s, f), null).body().matches("(?s).*(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/.*"), f);
            }
            assertEquals(404, get(uri(s, "/frame?camera=none&v=1"), null).statusCode());
            assertEquals(404, get(uri(s, "/../etc/passwd"), null).statusCode());

            state.onDeadLetter("frames.dlq", 7, "camera-1", Map.of("mfs.stage", "decode", "mfs.reason", "TRUNCATED",
                "mfs.error.message", "cut short"), 1_700_000_000_000L, 376);
            final String json = get(uri(s, "/api/state"), null).body();
            assertTrue(json.contains("\"reason\":\"TRUNCATED\"") && json.contains("\"stage\":\"decode\""), json);

            final HttpResponse<java.io.InputStream> stream = client.send(HttpRequest.newBuilder(uri(s, "/events"))
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals("text/event-stream; charset=utf-8", stream.headers().firstValue("Content-Type").orElse(""));
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String line;
                do {
                    line = r.readLine();
                } while (line != null && !line.startsWith("data: "));
                assertTrue(line != null && line.contains("\"deadLetterTotal\":1"), String.valueOf(line));
            }
        }
    }

    @Test
    void halfConfiguredBasicAuthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ViewAuth.fromEnv(Map.of(ViewAuth.ENV_USER, "op")));
        assertTrue(!ViewAuth.fromEnv(Map.of()).required());
    }
}
