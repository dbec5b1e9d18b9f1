package io.mobileformer.streams.analytics;

import io.mobileformer.streams.avro.CrossingDirection;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.avro.TrackEventType;
import io.mobileformer.streams.avro.TrackedDetection;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.publish.DetectionRecords;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the analytics keep about one camera: its {@link Tracker} and its {@link ZoneMonitor}, fed one
 * {@link FrameDetections} at a time, answering with the frame's {@link FrameTracks} and its {@link TrackEvent}s. The
 * two states are {@link #encode}d into one value, so a store write is all-or-nothing for both.
 */
public final class CameraAnalytics {

    /** The analytics' settings, shared by every camera. */
    public record Settings(TrackerSettings tracker, ZoneMonitor.Settings zones, ZoneRules rules) {
    }

    /** What one frame produced. */
    public record Result(FrameTracks tracks, List<TrackEvent> events) {
    }

    private final String camera;
    private final Tracker tracker;
    private final ZoneMonitor zones;

    private CameraAnalytics(final String camera, final Tracker tracker, final ZoneMonitor zones) {
        this.camera = camera;
        this.tracker = tracker;
        this.zones = zones;
    }

    /** A camera seen for the first time. */
    public static CameraAnalytics start(final String camera, final Settings s) {
        return new CameraAnalytics(camera, new Tracker(s.tracker()), new ZoneMonitor(s.rules().zonesOf(camera),
            s.rules().linesOf(camera), s.zones()));
    }

    /** A camera continuing from its {@link #encode}d state. */
    public static CameraAnalytics decode(final String camera, final byte[] state, final Settings s) {
        final ByteBuffer b = ByteBuffer.wrap(state);
        if (b.remaining() < 4) {
            throw new IllegalArgumentException("analytics state of " + camera + " is truncated");
        }
        final int trackerBytes = b.getInt();
        if (trackerBytes < 0 || trackerBytes > b.remaining()) {
            throw new IllegalArgumentException("analytics state of " + camera + " is damaged");
        }
        final byte[] tracker = Arrays.copyOfRange(state, 4, 4 + trackerBytes);
        final byte[] zones = Arrays.copyOfRange(state, 4 + trackerBytes, state.length);
        return new CameraAnalytics(camera, Tracker.decode(tracker, s.tracker()), ZoneMonitor.decode(zones,
            s.rules().zonesOf(camera), s.rules().linesOf(camera), s.zones()));
    }

    public byte[] encode() {
        final byte[] t = tracker.encode();
        final byte[] z = zones.encode();
        return ByteBuffer.allocate(4 + t.length + z.length).putInt(t.length).put(t).put(z).array();
    }

    public Tracker tracker() {
        return tracker;
    }

    public ZoneMonitor zones() {
        return zones;
    }

    public Result update(final FrameDetections fd) {
        final long micros = micros(fd.getFrameTimestamp());
        final List<Detection> dets = DetectionRecords.detections(fd);
        final Tracker.Update u = tracker.update(dets, micros);
        final List<TrackedDetection> tracked = new ArrayList<>(dets.size());
        final List<ZoneMonitor.Sighting> seen = new ArrayList<>();
        for (int i = 0; i < dets.size(); i++) {
            final Detection d = dets.get(i);
            final long id = u.trackIds()[i];
            tracked.add(new TrackedDetection(id == 0 ? null : id, d.classId(), d.label(), d.score(), d.x0(), d.y0(),
                d.x1(), d.y1()));
            if (id != 0) {
                final double[] b = u.boxes()[i];
                seen.add(new ZoneMonitor.Sighting(id, d.classId(), d.label(), b[0], b[1], b[2], b[3]));
            }
        }
        final FrameTracks tracks = FrameTracks.newBuilder()
            .setCameraId(fd.getCameraId())
            .setSegmentSequence(fd.getSegmentSequence())
            .setFrameIndex(fd.getFrameIndex())
            .setFrameTimestamp(fd.getFrameTimestamp())
            .setSource(fd.getSource())
            .setImageWidth(fd.getImageWidth())
            .setImageHeight(fd.getImageHeight())
            .setTracks(tracked)
            .build();
        final List<ZoneMonitor.ZoneEvent> zoneEvents = zones.update(micros, fd.getImageWidth(), fd.getImageHeight(),
            seen, u.ended());
        final List<TrackEvent> events = new ArrayList<>(zoneEvents.size());
        for (final ZoneMonitor.ZoneEvent e : zoneEvents) {
            events.add(event(fd, e));
        }
        return new Result(tracks, events);
    }

    private TrackEvent event(final FrameDetections fd, final ZoneMonitor.ZoneEvent e) {
        final TrackEvent.Builder b = TrackEvent.newBuilder()
            .setCameraId(camera)
            .setType(TrackEventType.valueOf(e.type().name()))
            .setName(e.name())
            .setEventTime(instant(e.timeMicros()))
            .setSegmentSequence(fd.getSegmentSequence())
            .setFrameIndex(fd.getFrameIndex())
            .setSource(fd.getSource());
        if (e.type() != ZoneMonitor.ZoneEvent.Type.ZONE_COUNT) {
            b.setTrackId(e.trackId()).setClassId(e.classId()).setLabel(e.label());
        }
        switch (e.type()) {
            case ZONE_ENTER -> b.setEnteredAt(instant(e.enteredMicros()));
            case ZONE_EXIT -> b.setEnteredAt(instant(e.enteredMicros())).setDwellMs(e.dwellMicros() / 1000);
            case LINE_CROSSING -> b.setDirection(e.leftToRight() ? CrossingDirection.LEFT_TO_RIGHT
                : CrossingDirection.RIGHT_TO_LEFT);
            case ZONE_COUNT -> b.setWindowStart(instant(e.windowStartMicros())).setWindowEnd(instant(e.timeMicros()))
                .setCount(e.count()).setEntries(e.entries());
            default -> throw new IllegalStateException(e.type().name());
        }
        return b.build();
    }

    static long micros(final Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    static Instant instant(final long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }
}
