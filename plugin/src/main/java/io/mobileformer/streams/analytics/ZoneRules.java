package io.mobileformer.streams.analytics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The zones and counting lines of every camera, read from {@code zone.<camera>.<name>} and {@code line.<camera>.<name>}
 * keys; {@code *} as the camera applies a rule to every camera. A zone is a polygon, {@code x,y x,y x,y ...} (at least
 * three points, in order around it); a line is a segment, {@code x,y x,y}. Coordinates are fractions of the frame
 * ({@link Units#NORMALIZED}, 0 to 1) or source pixels ({@link Units#PIXELS}). Every problem is reported with its key.
 *
 * @param zones every zone, in key order (the order their events come in)
 * @param lines every line, in key order
 */
public record ZoneRules(List<Zone> zones, List<Line> lines) {
    public static final String ZONE_PREFIX = "zone.";
    public static final String LINE_PREFIX = "line.";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

    /** How coordinates are given. */
    public enum Units {
        NORMALIZED, PIXELS;

        public static Units parse(final String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    /** A polygon, as configured: {@code x[i], y[i]} in the rule's units. */
    public record Zone(String camera, String name, double[] x, double[] y) {
    }

    /** A segment from (ax, ay) to (bx, by), in the rule's units. */
    public record Line(String camera, String name, double ax, double ay, double bx, double by) {
    }

    public static ZoneRules none() {
        return new ZoneRules(List.of(), List.of());
    }

    /** Whether a key belongs to a zone or line rule (and so is read here, not by Kafka). */
    public static boolean isRuleKey(final String key) {
        return key.startsWith(ZONE_PREFIX) || key.startsWith(LINE_PREFIX);
    }

    /**
     * The rules among {@code props}; every other key is ignored.
     *
     * @param problems receives one message per bad key, each naming the key; the bad rule is left out
     */
    public static ZoneRules parse(final Map<String, ?> props, final Units units, final List<String> problems) {
        final List<Zone> zones = new ArrayList<>();
        final List<Line> lines = new ArrayList<>();
        for (final Map.Entry<String, ?> e : new TreeMap<>(props).entrySet()) {
            final String key = e.getKey();
            if (!isRuleKey(key)) {
                continue;
            }
            final boolean zone = key.startsWith(ZONE_PREFIX);
            final String rest = key.substring((zone ? ZONE_PREFIX : LINE_PREFIX).length());
            final int dot = rest.lastIndexOf('.');
            if (dot <= 0 || !NAME.matcher(rest.substring(dot + 1)).matches()) {
                problems.add(key + ": expected " + (zone ? "zone" : "line") + ".<camera>.<name> (camera: an id or *; "
                    + "name: letters, digits, - and _)");
                continue;
            }
            final String camera = rest.substring(0, dot);
            final String name = rest.substring(dot + 1);
            final double[][] pts;
            try {
                pts = points(String.valueOf(e.getValue()), units);
            } catch (final IllegalArgumentException ex) {
                problems.add(key + ": " + ex.getMessage());
                continue;
            }
            if (zone) {
                if (pts.length < 3) {
                    problems.add(key + ": a zone needs at least 3 points \"x,y x,y x,y\", got " + pts.length);
                    continue;
                }
                final double[] x = new double[pts.length];
                final double[] y = new double[pts.length];
                for (int i = 0; i < pts.length; i++) {
                    x[i] = pts[i][0];
                    y[i] = pts[i][1];
                }
                if (Math.abs(Geometry.area(x, y)) == 0) {
                    problems.add(key + ": the polygon has no area (points on one line?)");
                    continue;
                }
                zones.add(new Zone(camera, name, x, y));
            } else {
                if (pts.length != 2) {
                    problems.add(key + ": a line is exactly 2 points \"x,y x,y\", got " + pts.length);
                    continue;
                }
                if (pts[0][0] == pts[1][0] && pts[0][1] == pts[1][1]) {
                    problems.add(key + ": the line's two points are the same");
                    continue;
                }
                lines.add(new Line(camera, name, pts[0][0], pts[0][1], pts[1][0], pts[1][1]));
            }
        }
        for (final Zone z : zones) {
            if (!z.camera().equals("*") && zones.stream().anyMatch(o -> o.camera().equals("*")
                && o.name().equals(z.name()))) {
                problems.add(ZONE_PREFIX + z.camera() + "." + z.name() + ": zone." + "*." + z.name()
                    + " already names a zone of every camera; give this one another name");
            }
        }
        for (final Line l : lines) {
            if (!l.camera().equals("*") && lines.stream().anyMatch(o -> o.camera().equals("*")
                && o.name().equals(l.name()))) {
                problems.add(LINE_PREFIX + l.camera() + "." + l.name() + ": line." + "*." + l.name()
                    + " already names a line of every camera; give this one another name");
            }
        }
        return new ZoneRules(List.copyOf(zones), List.copyOf(lines));
    }

    private static double[][] points(final String value, final Units units) {
        final String v = value.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("no points");
        }
        final String[] parts = v.split("\\s+");
        final double[][] out = new double[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            final String[] xy = parts[i].split(",");
            if (xy.length != 2) {
                throw new IllegalArgumentException("point '" + parts[i] + "' is not x,y (points are separated by "
                    + "spaces)");
            }
            final double x;
            final double y;
            try {
                x = Double.parseDouble(xy[0]);
                y = Double.parseDouble(xy[1]);
            } catch (final NumberFormatException ex) {
                throw new IllegalArgumentException("point '" + parts[i] + "' is not two numbers");
            }
            final double max = units == Units.NORMALIZED ? 1 : Double.MAX_VALUE;
            if (!(x >= 0 && x <= max && y >= 0 && y <= max)) {
                throw new IllegalArgumentException("point '" + parts[i] + "' is outside "
                    + (units == Units.NORMALIZED ? "[0, 1] (zones.units=normalized; use pixels for source pixels)"
                    : "the image (negative)"));
            }
            out[i] = new double[] {x, y};
        }
        return out;
    }

    /** The zones that apply to a camera: its own and the {@code *} ones. */
    public List<Zone> zonesOf(final String camera) {
        return zones.stream().filter(z -> z.camera().equals("*") || z.camera().equals(camera)).toList();
    }

    /** The lines that apply to a camera: its own and the {@code *} ones. */
    public List<Line> linesOf(final String camera) {
        return lines.stream().filter(l -> l.camera().equals("*") || l.camera().equals(camera)).toList();
    }

    public boolean isEmpty() {
        return zones.isEmpty() && lines.isEmpty();
    }
}
