package io.mobileformer.streams.observe;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** One scrape of a Prometheus text endpoint, read over real HTTP, with the few look-ups the tests need. */
final class Scrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String text;
    /** Series (name and labels, as written) to value. */
    private final Map<String, Double> series = new LinkedHashMap<>();

    Scrape(final String text) {
        this.text = text;
        for (final String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
    }

    static Scrape of(final int port) throws Exception {
        final HttpResponse<String> r = get(port, "/metrics");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("/metrics answered " + r.statusCode());
        }
        return new Scrape(r.body());
    }

    static HttpResponse<String> get(final int port, final String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status of {@code path}, or -1 while nothing listens. */
    static int status(final int port, final String path) throws Exception {
        try {
            return get(port, path).statusCode();
        } catch (final ConnectException e) {
            return -1;
        }
    }

    /** Metric names present (as Prometheus sees them: {@code _bucket}, {@code _count}, ... included). */
    Set<String> names() {
        final Set<String> out = new TreeSet<>();
        for (final String s : series.keySet()) {
            final int brace = s.indexOf('{');
            out.add(brace < 0 ? s : s.substring(0, brace));
        }
        return out;
    }

    /** Sum of every series of {@code name} whose labels contain each of {@code labels} ({@code key="value"}). */
    double sum(final String name, final String... labels) {
        double total = 0;
        boolean any = false;
        for (final Map.Entry<String, Double> e : series.entrySet()) {
            final String s = e.getKey();
            if (!(s.equals(name) || s.startsWith(name + "{"))) {
                continue;
            }
            boolean match = true;
            for (final String l : labels) {
                match &= s.contains(l);
            }
            if (match) {
                total += e.getValue();
                any = true;
            }
        }
        return any ? total : Double.NaN;
    }

    String text() {
        return text;
    }
}
