package io.mobileformer.streams.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mobileformer.streams.avro.Detection;
import io.mobileformer.streams.avro.FrameDetections;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the page shows, kept small and bounded: per camera the newest detections read and the last frame drawn (its
 * JPEG, a few versions back), and the latest events and dead letters. Written by the topic reader and the renderer,
 * read by the web server; every method holds the one monitor briefly, and {@link #awaitChange} lets the event
 * stream sleep until something changed.
 */
final class ViewState {
    static final int MAX_CAMERAS = 64;
    static final int RECENT = 50;
    /** JPEGs kept per camera: a browser asking for the frame it was just told about still finds it. */
    private static final int JPEGS_KEPT = 3;
    /** Track records kept per camera to meet the frame they belong to (the tracker may answer after the detector). */
    private static final int TRACK_FRAMES_KEPT = 256;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WINDOW_NANOS = 3_000_000_000L;

    /** A frame chosen to be drawn: the camera, the detections of the frame and the topic they were read from. */
    record Pending(String camera, long sequence, String topic, FrameDetections detections) {
    }

    private static final class Camera {
        final String id;
        FrameDetections latest;
        String latestTopic;
        long latestSeq;
        long renderedSeq;
        /** {arrival nanos, frame capture micros} of the detections read in the last {@link #WINDOW_NANOS}. */
        final Deque<long[]> arrivals = new ArrayDeque<>();
        long lastArrival;
        double latencyMs = Double.NaN;
        FrameDetections shown;
        long version;
        int shownWidth;
        int shownHeight;
        double renderMs;
        double renderMsTotal;
        long renderErrors;
        String lastError;
        final Map<Long, byte[]> jpegs = new LinkedHashMap<>();
        final Map<String, JsonNode> tracks = new LinkedHashMap<>();

        Camera(final String id) {
            this.id = id;
        }
    }

    private final Map<String, Camera> cameras = new TreeMap<>();
    private final Deque<ObjectNode> deadLetters = new ArrayDeque<>();
    private final Deque<ObjectNode> events = new ArrayDeque<>();
    private final Map<String, Long> undecodable = new TreeMap<>();
    private final List<String> topics;
    private final float minScore;
    private long deadLetterTotal;
    private long eventTotal;
    private long camerasRefused;
    private long changes;
    private long snapshotAt = -1;
    private String snapshot;
    private boolean closed;

    /**
     * @param topics   what the view reads, for the page
     * @param minScore boxes scoring below this are not drawn (a pipeline scored as mAP publishes a long low tail)
     */
    ViewState(final List<String> topics, final float minScore) {
        this.topics = List.copyOf(topics);
        this.minScore = minScore;
    }

    // --- written by the topic reader

    synchronized void onDetections(final String topic, final FrameDetections fd, final long nowNanos,
                                   final Instant now) {
        final Camera c = camera(fd.getCameraId());
        if (c == null) {
            return;
        }
        c.latest = fd;
        c.latestTopic = topic;
        c.latestSeq++;
        // frames arrive in bursts (a segment's frames at once), so the rate is taken from their capture times
        c.arrivals.addLast(new long[] {nowNanos, micros(fd.getFrameTimestamp())});
        while (nowNanos - c.arrivals.peekFirst()[0] > WINDOW_NANOS) {
            c.arrivals.removeFirst();
        }
        c.lastArrival = nowNanos;
        // capture to detection readable here: what an operator watching the camera waits
        c.latencyMs = Duration.between(fd.getFrameTimestamp(), now).toNanos() / 1e6;
        changed();
    }

    synchronized void onTracks(final String key, final JsonNode record) {
        final String id = text(record, "cameraId", key);
        final Camera c = camera(id);
        if (c == null) {
            return;
        }
        final String frame = record.path("segmentSequence").asLong(-1) + "/" + record.path("frameIndex").asInt(-1);
        c.tracks.put(frame, record);
        if (c.tracks.size() > TRACK_FRAMES_KEPT) {
            final Iterator<String> it = c.tracks.keySet().iterator();
            it.next();
            it.remove();
        }
        if (c.shown != null && frame.equals(frameKey(c.shown))) {
            changed();
        }
    }

    synchronized void onEvent(final String key, final JsonNode record, final long timestampMs) {
        final ObjectNode e = JSON.createObjectNode();
        e.put("time", timestampMs);
        e.put("camera", text(record, "cameraId", key));
        String type = "";
        for (final String f : List.of("type", "kind", "eventType", "event")) {
            if (record.path(f).isValueNode()) {
                type = record.path(f).asText();
                break;
            }
        }
        e.put("type", type);
        final String sentence = describe(type, record);
        if (sentence != null) {
            e.put("text", sentence);
        } else {
            final StringBuilder text = new StringBuilder();
            record.fields().forEachRemaining(f -> {
                if (f.getValue().isValueNode() && !f.getKey().equals("cameraId") && text.length() < 200) {
                    text.append(text.length() == 0 ? "" : " ").append(f.getKey()).append('=')
                        .append(f.getValue().asText());
                }
            });
            e.put("text", text.toString());
        }
        eventTotal++;
        push(events, e);
        changed();
    }

    /**
     * A sentence for the four TrackEvent types the analytics stage writes ({@code #3 person left zone "dock" after
     * 4.2 s}); {@code null} for any other record, which the panel shows as its fields. Times in the record are
     * microseconds. Names are the user's and are quoted with their kind: the demo's zone is called {@code left}, and
     * "#5 circle left left after 7.8 s" was what the first screenshot read.
     */
    static String describe(final String type, final JsonNode r) {
        final String who = r.path("trackId").isNumber() ? "#" + r.path("trackId").asLong()
            + (r.path("label").isTextual() ? " " + r.path("label").asText() : "") : "a track";
        final String name = '"' + r.path("name").asText("?") + '"';
        switch (type) {
            case "ZONE_ENTER":
                return who + " entered zone " + name;
            case "ZONE_EXIT":
                return who + " left zone " + name + (r.path("dwellMs").isNumber()
                    ? String.format(Locale.ROOT, " after %.1f s", r.path("dwellMs").asLong() / 1000.0) : "");
            case "LINE_CROSSING":
                return who + " crossed line " + name + switch (r.path("direction").asText("")) {
                    case "LEFT_TO_RIGHT" -> " left to right";
                    case "RIGHT_TO_LEFT" -> " right to left";
                    default -> "";
                };
            case "ZONE_COUNT":
                final long windowMicros = r.path("windowEnd").asLong(0) - r.path("windowStart").asLong(0);
                return "zone " + name + ": " + r.path("count").asInt(0) + " inside, " + r.path("entries").asInt(0) + " entered"
                    + (windowMicros > 0 ? String.format(Locale.ROOT, " in %.0f s", windowMicros / 1e6) : "");
            default:
                return null;
        }
    }

    synchronized void onDeadLetter(final String topic, final long offset, final String key,
                                   final Map<String, String> headers, final long timestampMs, final int bytes) {
        final ObjectNode d = JSON.createObjectNode();
        d.put("time", timestampMs);
        d.put("topic", topic);
        d.put("offset", offset);
        d.put("camera", key);
        d.put("stage", headers.getOrDefault("mfs.stage", ""));
        d.put("reason", headers.getOrDefault("mfs.reason", ""));
        final String message = headers.getOrDefault("mfs.error.message", "");
        d.put("message", message.length() > 300 ? message.substring(0, 300) + "…" : message);
        d.put("bytes", bytes);
        deadLetterTotal++;
        push(deadLetters, d);
        changed();
    }

    synchronized void onUndecodable(final String topic) {
        undecodable.merge(topic, 1L, Long::sum);
        changed();
    }

    // --- written by the renderer

    /** Cameras whose newest detections are not drawn yet, with those detections (older ones are skipped). */
    synchronized List<Pending> pending() {
        return cameras.values().stream().filter(c -> c.latestSeq != c.renderedSeq)
            .map(c -> new Pending(c.id, c.latestSeq, c.latestTopic, c.latest)).toList();
    }

    synchronized void onRendered(final Pending p, final byte[] jpeg, final int width, final int height,
                                 final double renderMs) {
        final Camera c = cameras.get(p.camera());
        c.renderedSeq = p.sequence();
        c.shown = p.detections();
        c.version++;
        c.shownWidth = width;
        c.shownHeight = height;
        c.renderMs = renderMs;
        c.renderMsTotal += renderMs;
        c.lastError = null;
        c.jpegs.put(c.version, jpeg);
        if (c.jpegs.size() > JPEGS_KEPT) {
            c.jpegs.remove(c.version - JPEGS_KEPT);
        }
        changed();
    }

    synchronized void onRenderFailed(final Pending p, final String message) {
        final Camera c = cameras.get(p.camera());
        c.renderedSeq = p.sequence();
        c.renderErrors++;
        c.lastError = message;
        changed();
    }

    // --- read by the web server

    synchronized byte[] jpeg(final String camera, final long version) {
        final Camera c = cameras.get(camera);
        return c == null ? null : c.jpegs.get(version);
    }

    synchronized long changes() {
        return changes;
    }

    /** Waits until something changed after {@code seen}, the view closed, or the timeout passed. */
    synchronized long awaitChange(final long seen, final long timeoutMs) throws InterruptedException {
        final long end = System.currentTimeMillis() + timeoutMs;
        long left = timeoutMs;
        while (changes == seen && !closed && left > 0) {
            wait(left);
            left = end - System.currentTimeMillis();
        }
        return changes;
    }

    synchronized boolean closed() {
        return closed;
    }

    synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** The whole state as JSON, rebuilt only after a change. */
    synchronized String json() {
        if (snapshotAt == changes) {
            return snapshot;
        }
        final ObjectNode root = JSON.createObjectNode();
        final ArrayNode cams = root.putArray("cameras");
        final long now = System.nanoTime();
        for (final Camera c : cameras.values()) {
            final ObjectNode n = cams.addObject();
            n.put("id", c.id);
            n.put("version", c.version);
            n.put("fps", fps(c.arrivals));
            n.put("stale", now - c.lastArrival > 5_000_000_000L);
            n.put("latencyMs", Double.isNaN(c.latencyMs) ? null : Math.round(c.latencyMs));
            n.put("framesRead", c.latestSeq);
            n.put("renderMs", round1(c.renderMs));
            n.put("renderMsMean", c.version == 0 ? 0.0 : round1(c.renderMsTotal / c.version));
            n.put("renderErrors", c.renderErrors);
            n.put("error", c.lastError);
            final FrameDetections fd = c.shown;
            if (fd == null) {
                continue;
            }
            n.put("width", c.shownWidth);
            n.put("height", c.shownHeight);
            n.put("imageWidth", fd.getImageWidth());
            n.put("imageHeight", fd.getImageHeight());
            n.put("engine", fd.getEngine());
            n.put("model", fd.getModel().getName() + " " + fd.getModel().getVariant() + " "
                + fd.getModel().getVersion());
            n.put("segment", fd.getSegmentSequence());
            n.put("frame", fd.getFrameIndex());
            n.put("frameTime", fd.getFrameTimestamp().toString());
            n.put("inferenceMs", round1(fd.getTimings().getInferenceMs()));
            final ArrayNode boxes = n.putArray("boxes");
            final JsonNode tracks = c.tracks.get(frameKey(fd));
            if (tracks == null || !trackBoxes(tracks, boxes, minScore)) {
                boxes.removeAll();
                for (final Detection d : fd.getDetections()) {
                    if (d.getScore() < minScore) {
                        continue;
                    }
                    box(boxes, d.getLabel(), d.getScore(), d.getXMin(), d.getYMin(), d.getXMax(), d.getYMax(), null);
                }
                n.put("tracked", false);
            } else {
                n.put("tracked", true);
            }
        }
        root.putArray("deadLetters").addAll(deadLetters);
        root.putArray("events").addAll(events);
        root.put("deadLetterTotal", deadLetterTotal);
        root.put("eventTotal", eventTotal);
        root.put("camerasRefused", camerasRefused);
        root.putPOJO("undecodable", undecodable);
        root.putPOJO("topics", topics);
        snapshot = root.toString();
        snapshotAt = changes;
        return snapshot;
    }

    /**
     * Boxes with track ids from a tracks record of unknown shape: the first array of objects with {@code xMin ..
     * yMax}, each with the first field whose name mentions {@code track}.
     */
    private static boolean trackBoxes(final JsonNode record, final ArrayNode out, final float minScore) {
        for (final Iterator<JsonNode> it = record.elements(); it.hasNext(); ) {
            final JsonNode field = it.next();
            if (!field.isArray() || field.isEmpty() || !field.get(0).has("xMin")) {
                continue;
            }
            for (final JsonNode d : field) {
                if (d.path("score").asDouble(1) < minScore) {
                    continue;
                }
                String track = null;
                for (final Iterator<String> names = d.fieldNames(); names.hasNext(); ) {
                    final String name = names.next();
                    if (name.toLowerCase(Locale.ROOT).contains("track") && d.get(name).isValueNode()
                        && !d.get(name).isNull()) {
                        track = d.get(name).asText();
                        break;
                    }
                }
                box(out, d.path("label").asText(""), (float) d.path("score").asDouble(), (float) d.path("xMin")
                    .asDouble(), (float) d.path("yMin").asDouble(), (float) d.path("xMax").asDouble(),
                    (float) d.path("yMax").asDouble(), track);
            }
            return true;
        }
        return false;
    }

    private static void box(final ArrayNode out, final String label, final float score, final float x0,
                            final float y0, final float x1, final float y1, final String track) {
        final ObjectNode b = out.addObject();
        b.put("label", label);
        b.put("score", Math.round(score * 100) / 100.0);
        b.putArray("box").add(round1(x0)).add(round1(y0)).add(round1(x1)).add(round1(y1));
        if (track != null) {
            b.put("track", track);
        }
    }

    private Camera camera(final String id) {
        final Camera c = cameras.get(id);
        if (c != null) {
            return c;
        }
        if (cameras.size() >= MAX_CAMERAS) {
            camerasRefused++;
            return null;
        }
        final Camera n = new Camera(id);
        cameras.put(id, n);
        return n;
    }

    private static String frameKey(final FrameDetections fd) {
        return fd.getSegmentSequence() + "/" + fd.getFrameIndex();
    }

    private static String text(final JsonNode record, final String field, final String fallback) {
        final JsonNode n = record.get(field);
        return n != null && n.isTextual() ? n.asText() : fallback;
    }

    private static void push(final Deque<ObjectNode> recent, final ObjectNode item) {
        recent.addFirst(item);
        if (recent.size() > RECENT) {
            recent.removeLast();
        }
    }

    /** Frames per second of capture time among the detections read recently; 0 with fewer than two. */
    private static double fps(final Deque<long[]> arrivals) {
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        for (final long[] a : arrivals) {
            lo = Math.min(lo, a[1]);
            hi = Math.max(hi, a[1]);
        }
        return arrivals.size() < 2 || hi <= lo ? 0.0 : round1((arrivals.size() - 1) * 1e6 / (hi - lo));
    }

    private static long micros(final Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static double round1(final double v) {
        return Math.round(v * 10) / 10.0;
    }

    private void changed() {
        changes++;
        notifyAll();
    }
}
