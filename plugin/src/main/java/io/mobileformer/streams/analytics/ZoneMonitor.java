package io.mobileformer.streams.analytics;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Zone membership, line sides and windowed zone counts of one camera's tracks, frame by frame: who entered or left which
 * zone (and how long they stayed), who crossed which line in which direction, and how many distinct tracks each zone saw
 * per tumbling window. A track is placed by one anchor point of its box ({@link Anchor}).
 *
 * <p>Time is the frames' capture time only: a window closes when the first frame at or past its end arrives, so a
 * camera that stops sending leaves its last window open. Pure, deterministic (sorted maps, configured order) and
 * {@link #encode}d whole into the same state-store value as the tracker, so membership and counts survive a crash
 * together with the tracks. Not thread-safe: one camera, one stream task.
 */
public final class ZoneMonitor {
    private static final int FORMAT = 1;

    /** Which point of a box stands for the object: the bottom centre (feet on the ground) or the centre. */
    public enum Anchor {
        BOTTOM_CENTER, CENTER;

        public static Anchor parse(final String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        }
    }

    /** The settings shared by every camera. */
    public record Settings(ZoneRules.Units units, Anchor anchor, long windowMicros, double lineMarginPixels) {
        public Settings {
            if (windowMicros <= 0 || lineMarginPixels < 0) {
                throw new IllegalArgumentException("window must be positive and margin not negative");
            }
        }
    }

    /** A confirmed track seen in this frame, with its (filtered) box in source pixels. */
    public record Sighting(long trackId, int classId, String label, double x0, double y0, double x1, double y1) {
    }

    /** What {@link #update} reports; which fields are set depends on the type, as in the Avro TrackEvent. */
    public record ZoneEvent(Type type, String name, long timeMicros, long trackId, int classId, String label,
                            long enteredMicros, boolean leftToRight, long windowStartMicros, int count, int entries) {
        /** The kinds of event. */
        public enum Type { ZONE_ENTER, ZONE_EXIT, LINE_CROSSING, ZONE_COUNT }

        public long dwellMicros() {
            return Math.max(0, timeMicros - enteredMicros);
        }
    }

    /** A track inside a zone, since when. */
    private record Member(long enteredMicros, int classId, String label) {
    }

    private final List<ZoneRules.Zone> zones;
    private final List<ZoneRules.Line> lines;
    private final Settings settings;
    /** zone name → track id → membership */
    private final Map<String, TreeMap<Long, Member>> inside = new TreeMap<>();
    /** line name → track id → side (-1 left, +1 right), recorded once the anchor was at least the margin away */
    private final Map<String, TreeMap<Long, Integer>> sides = new TreeMap<>();
    /** zone name → tracks inside at some time in the current window, and entries in it */
    private final Map<String, TreeSet<Long>> windowTracks = new TreeMap<>();
    private final Map<String, Integer> windowEntries = new TreeMap<>();
    private long window = Long.MIN_VALUE;

    /** @param zones and lines: those of this camera ({@link ZoneRules#zonesOf}) */
    public ZoneMonitor(final List<ZoneRules.Zone> zones, final List<ZoneRules.Line> lines, final Settings settings) {
        this.zones = zones;
        this.lines = lines;
        this.settings = settings;
    }

    /**
     * Advances one frame.
     *
     * @param seen  the confirmed tracks seen in this frame (tracks that are lost keep their memberships and sides)
     * @param ended tracks that ended in this frame: they leave every zone at their last sighting
     */
    public List<ZoneEvent> update(final long timeMicros, final int width, final int height, final List<Sighting> seen,
                                  final List<Tracker.Ended> ended) {
        final List<ZoneEvent> out = new ArrayList<>();
        final long w = Math.floorDiv(timeMicros, settings.windowMicros());
        if (window != Long.MIN_VALUE && w > window) {
            final long start = window * settings.windowMicros();
            for (final ZoneRules.Zone z : zones) {
                final TreeSet<Long> ids = windowTracks.get(z.name());
                out.add(new ZoneEvent(ZoneEvent.Type.ZONE_COUNT, z.name(), start + settings.windowMicros(), 0, 0, null,
                    0, false, start, ids == null ? 0 : ids.size(), windowEntries.getOrDefault(z.name(), 0)));
            }
            windowTracks.clear();
            windowEntries.clear();
        }
        if (w > window) {
            window = w;
        }
        final double sx = settings.units() == ZoneRules.Units.NORMALIZED ? width : 1;
        final double sy = settings.units() == ZoneRules.Units.NORMALIZED ? height : 1;
        for (final Sighting s : seen) {
            final double px = (s.x0() + s.x1()) / 2;
            final double py = settings.anchor() == Anchor.CENTER ? (s.y0() + s.y1()) / 2 : s.y1();
            for (final ZoneRules.Zone z : zones) {
                final double[] zx = z.x().clone();
                final double[] zy = z.y().clone();
                for (int i = 0; i < zx.length; i++) {
                    zx[i] *= sx;
                    zy[i] *= sy;
                }
                final boolean in = Geometry.contains(zx, zy, px, py);
                final TreeMap<Long, Member> members = inside.computeIfAbsent(z.name(), k -> new TreeMap<>());
                final Member m = members.get(s.trackId());
                if (in && m == null) {
                    members.put(s.trackId(), new Member(timeMicros, s.classId(), s.label()));
                    windowEntries.merge(z.name(), 1, Integer::sum);
                    out.add(new ZoneEvent(ZoneEvent.Type.ZONE_ENTER, z.name(), timeMicros, s.trackId(), s.classId(),
                        s.label(), timeMicros, false, 0, 0, 0));
                } else if (!in && m != null) {
                    members.remove(s.trackId());
                    out.add(new ZoneEvent(ZoneEvent.Type.ZONE_EXIT, z.name(), timeMicros, s.trackId(), s.classId(),
                        s.label(), m.enteredMicros(), false, 0, 0, 0));
                }
            }
            for (final ZoneRules.Line l : lines) {
                final double ax = l.ax() * sx;
                final double ay = l.ay() * sy;
                final double bx = l.bx() * sx;
                final double by = l.by() * sy;
                final double d = Geometry.side(ax, ay, bx, by, px, py);
                // within the margin the side is not trusted: box jitter near the line must not count twice
                if (Math.abs(d) < settings.lineMarginPixels() || d == 0) {
                    continue;
                }
                final int side = d > 0 ? 1 : -1;
                final TreeMap<Long, Integer> known = sides.computeIfAbsent(l.name(), k -> new TreeMap<>());
                final Integer before = known.put(s.trackId(), side);
                final double t = Geometry.along(ax, ay, bx, by, px, py);
                if (before != null && before != side && t >= 0 && t <= 1) {
                    out.add(new ZoneEvent(ZoneEvent.Type.LINE_CROSSING, l.name(), timeMicros, s.trackId(),
                        s.classId(), s.label(), 0, side > 0, 0, 0, 0));
                }
            }
        }
        for (final Tracker.Ended e : ended) {
            for (final ZoneRules.Zone z : zones) {
                final TreeMap<Long, Member> members = inside.get(z.name());
                final Member m = members == null ? null : members.remove(e.trackId());
                if (m != null) {
                    out.add(new ZoneEvent(ZoneEvent.Type.ZONE_EXIT, z.name(), Math.max(e.lastSeenMicros(),
                        m.enteredMicros()), e.trackId(), m.classId(), m.label(), m.enteredMicros(), false, 0, 0, 0));
                }
            }
            for (final TreeMap<Long, Integer> known : sides.values()) {
                known.remove(e.trackId());
            }
        }
        // everyone inside now (lost tracks too: they have not left) counts for this window
        for (final ZoneRules.Zone z : zones) {
            final TreeMap<Long, Member> members = inside.get(z.name());
            if (members != null && !members.isEmpty()) {
                windowTracks.computeIfAbsent(z.name(), k -> new TreeSet<>()).addAll(members.keySet());
            }
        }
        return out;
    }

    /** Tracks inside a zone now (tracked or lost, not ended). */
    public int occupancy(final String zone) {
        final TreeMap<Long, Member> m = inside.get(zone);
        return m == null ? 0 : m.size();
    }

    public byte[] encode() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(window);
            out.writeInt(inside.size());
            for (final Map.Entry<String, TreeMap<Long, Member>> z : inside.entrySet()) {
                out.writeUTF(z.getKey());
                out.writeInt(z.getValue().size());
                for (final Map.Entry<Long, Member> m : z.getValue().entrySet()) {
                    out.writeLong(m.getKey());
                    out.writeLong(m.getValue().enteredMicros());
                    out.writeInt(m.getValue().classId());
                    out.writeUTF(m.getValue().label());
                }
            }
            out.writeInt(sides.size());
            for (final Map.Entry<String, TreeMap<Long, Integer>> l : sides.entrySet()) {
                out.writeUTF(l.getKey());
                out.writeInt(l.getValue().size());
                for (final Map.Entry<Long, Integer> s : l.getValue().entrySet()) {
                    out.writeLong(s.getKey());
                    out.writeByte(s.getValue());
                }
            }
            out.writeInt(windowTracks.size());
            for (final Map.Entry<String, TreeSet<Long>> z : windowTracks.entrySet()) {
                out.writeUTF(z.getKey());
                out.writeInt(z.getValue().size());
                for (final long id : z.getValue()) {
                    out.writeLong(id);
                }
            }
            out.writeInt(windowEntries.size());
            for (final Map.Entry<String, Integer> z : windowEntries.entrySet()) {
                out.writeUTF(z.getKey());
                out.writeInt(z.getValue());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * A monitor continuing from {@link #encode}d state. Zones and lines are matched by name: state of a rule no
     * longer configured is dropped, a new rule starts empty.
     */
    public static ZoneMonitor decode(final byte[] state, final List<ZoneRules.Zone> zones,
                                     final List<ZoneRules.Line> lines, final Settings settings) {
        final ZoneMonitor m = new ZoneMonitor(zones, lines, settings);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            final int format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("zone state format " + format + " is not " + FORMAT
                    + ": written by another version; reset the application's state to start over");
            }
            m.window = in.readLong();
            for (int n = in.readInt(); n > 0; n--) {
                final String zone = in.readUTF();
                final TreeMap<Long, Member> members = new TreeMap<>();
                for (int k = in.readInt(); k > 0; k--) {
                    members.put(in.readLong(), new Member(in.readLong(), in.readInt(), in.readUTF()));
                }
                if (zones.stream().anyMatch(z -> z.name().equals(zone))) {
                    m.inside.put(zone, members);
                }
            }
            for (int n = in.readInt(); n > 0; n--) {
                final String line = in.readUTF();
                final TreeMap<Long, Integer> known = new TreeMap<>();
                for (int k = in.readInt(); k > 0; k--) {
                    known.put(in.readLong(), (int) in.readByte());
                }
                if (lines.stream().anyMatch(l -> l.name().equals(line))) {
                    m.sides.put(line, known);
                }
            }
            for (int n = in.readInt(); n > 0; n--) {
                final String zone = in.readUTF();
                final TreeSet<Long> ids = new TreeSet<>();
                for (int k = in.readInt(); k > 0; k--) {
                    ids.add(in.readLong());
                }
                m.windowTracks.put(zone, ids);
            }
            for (int n = in.readInt(); n > 0; n--) {
                m.windowEntries.put(in.readUTF(), in.readInt());
            }
        } catch (final IOException e) {
            throw new IllegalArgumentException("zone state is truncated: " + e.getMessage(), e);
        }
        return m;
    }
}
