package io.mobileformer.streams.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mobileformer.streams.testing.Envelopes;
import io.mobileformer.streams.testing.HeadlessChromium;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code ./mfs demo --view-port 0} in a real browser: the demo (embedded broker, synthetic cameras, the topology on
 * ONNX Runtime) runs with its live view, and Debian's headless Chromium loads the page and is asked what it shows:
 * every camera listed, frames replaced as new detections arrive, boxes drawn on the canvas where the page says (read
 * back as pixels), a dead letter listed with its stage and reason, one camera opened large. The screenshot is kept
 * ({@code workshop/target/view-it/view.png}; {@code docs/view.png} was taken this way, with {@code -Dview.real=true}
 * adding the real camera).
 */
class ViewIT {
    /** Every tile and every box on a tile's canvas whose left edge has the box's colour there. */
    private static final String BOXES_ON_CANVAS = """
        (() => { let n = 0;
          for (const c of document.querySelectorAll('.tile canvas')) {
            const g = c.getContext('2d');
            for (const [x0, y0, x1, y1, color] of JSON.parse(c.dataset.boxes || '[]')) {
              const [r, gg, b] = g.getImageData(Math.min(c.width - 1, Math.max(0, x0)), Math.round((y0 + y1) / 2),
                1, 1).data;
              const want = [1, 3, 5].map(i => parseInt(color.substr(i, 2), 16));
              if (Math.abs(r - want[0]) + Math.abs(gg - want[1]) + Math.abs(b - want[2]) < 60) n++;
            } }
          return n; })()""";

    @Test
    void theDemoServesALivePageThatABrowserDraws() throws Exception {
        assumeFalse(Boolean.getBoolean("mfs.skipBrowser"), "-Dmfs.skipBrowser=true");
        assertTrue(HeadlessChromium.available(), HeadlessChromium.binary() + " is missing: run "
            + "scripts/install-chromium.sh (mvn verify runs it before the integration tests)");
        final boolean real = Boolean.getBoolean("view.real");
        final Path dir = Path.of("workshop/target/view-it");
        Files.createDirectories(dir);
        final Lines lines = new Lines();
        final PrintWriter out = new PrintWriter(lines, true);
        final AtomicInteger rc = new AtomicInteger(-1);
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread demo = new Thread(() -> {
            try {
                rc.set(Main.call(out, "demo", "--seconds", "30", "--cameras", "2", "--fps", "4", "--view-port", "0",
                    "--pngs", "0",
                    "--out", dir.resolve("demo").toString(), real ? "--real" : "--no-real"));
            } catch (final Throwable e) {
                failed.set(e);
            }
        }, "view-it-demo");
        demo.start();
        final String bootstrap = lines.await(Pattern.compile("embedded Kafka \\(KRaft\\) at (\\S+) "), demo);
        final String url = lines.await(Pattern.compile("live view at (http://127\\.0\\.0\\.1:\\d+/)"), demo);

        try (HeadlessChromium browser = HeadlessChromium.start(1400, 900)) {
            browser.navigate(url);
            // cameras listed, each with a frame drawn
            browser.await("[...document.querySelectorAll('.tile')].filter(t => +t.dataset.frames > 0).length >= "
                + (real ? 3 : 2), Duration.ofSeconds(180), "a frame on every camera");
            final JsonNode ids = browser.eval("[...document.querySelectorAll('.tile')].map(t => t.dataset.camera)");
            assertTrue(ids.toString().contains("\"camera-0\"") && ids.toString().contains("\"camera-1\""),
                ids.toString());
            // frames updating: the same tile is redrawn with newer frames
            final int before = browser.eval("+document.querySelector('.tile[data-camera=\"camera-0\"]')"
                + ".dataset.frames").asInt();
            browser.await("+document.querySelector('.tile[data-camera=\"camera-0\"]').dataset.frames >= " + (before + 3),
                Duration.ofSeconds(60), "camera-0's picture to be replaced by newer frames");
            // boxes drawn: where the page put them, the canvas has their colour
            browser.await(BOXES_ON_CANVAS + " >= 2", Duration.ofSeconds(60), "boxes on the canvases");
            // the engine is whichever engine=auto measured fastest at start: ONNX Runtime CPU or the Java engine
            assertTrue(browser.eval("document.querySelector('.tile .meta').textContent").asText()
                .matches("(?s).*fps.*ms latency.*(ort-cpu|java).*boxes.*"), "the caption names rate, latency and engine");

            // a dead letter appears in the panel with its stage and reason
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(),
                new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>("frames", "camera-bad", Envelopes.bytes("camera-bad", 1,
                    "video/mp2t", new byte[188 * 3 + 5]))).get();
            }
            browser.await("[...document.querySelectorAll('#dlq tbody tr')].some(r => r.textContent.includes("
                + "'camera-bad') && r.textContent.includes('decode') && r.textContent.includes('TRUNCATED'))",
                Duration.ofSeconds(120), "the dead letter in the panel");

            // one camera opened large
            browser.eval("document.querySelector('.tile[data-camera=\"" + (real ? "campus-1" : "camera-1")
                + "\"]').click()");
            browser.await("!document.getElementById('large').hidden && document.getElementById('large-canvas').width"
                + " >= 320", Duration.ofSeconds(30), "the large view");
            Thread.sleep(1500);
            // what drawing costs the view (fetch, decode up to the frame, JPEG), for the record
            System.out.println("view state: " + browser.eval("fetch('api/state').then(r => r.json()).then(s => "
                + "s.cameras.map(c => `${c.id} fps=${c.fps} latency_ms=${c.latencyMs} render_ms_mean=${c.renderMsMean} "
                + "frames_read=${c.framesRead} shown=${c.version}`).join('; '))").asText());
            final byte[] png = browser.screenshot();
            Files.write(dir.resolve("view.png"), png);
            assertTrue(png.length > 20_000, "screenshot of " + png.length + " bytes");
        }

        // read-only: nothing but GET and HEAD
        final HttpClient http = HttpClient.newHttpClient();
        assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(url + "api/state"))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode());

        demo.join(Duration.ofMinutes(4).toMillis());
        assertTrue(!demo.isAlive(), "the demo did not end:\n" + lines);
        if (failed.get() != null) {
            throw new AssertionError("the demo failed:\n" + lines, failed.get());
        }
        assertEquals(0, rc.get(), lines.toString());
        assertTrue(lines.toString().contains("SUMMARY frames="), lines.toString());
        // the view closed with the demo
        assertThrows(ConnectException.class, () -> http.send(HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofString()));
    }

    /** The demo's output, kept and searchable while it runs. */
    private static final class Lines extends Writer {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(final char[] buf, final int off, final int len) {
            text.append(buf, off, len);
            notifyAll();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        synchronized String await(final Pattern p, final Thread demo) throws InterruptedException, IOException {
            final long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            while (System.nanoTime() < end) {
                final Matcher m = p.matcher(text);
                if (m.find()) {
                    return m.group(1);
                }
                if (!demo.isAlive()) {
                    break;
                }
                wait(500);
            }
            throw new IOException("the demo never printed " + p + ":\n" + text);
        }

        @Override
        public synchronized String toString() {
            return text.toString();
        }
    }
}
