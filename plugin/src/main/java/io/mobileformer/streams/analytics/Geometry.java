package io.mobileformer.streams.analytics;

/** The plane geometry zones and lines need, on plain doubles. */
final class Geometry {
    private Geometry() {
    }

    /** Signed area (shoelace); zero for a degenerate polygon. */
    static double area(final double[] x, final double[] y) {
        double a = 0;
        for (int i = 0, j = x.length - 1; i < x.length; j = i++) {
            a += x[j] * y[i] - x[i] * y[j];
        }
        return a / 2;
    }

    /**
     * Whether (px, py) lies inside the polygon, by the even-odd rule (a ray to the right crosses its edges an odd
     * number of times). A point exactly on the left or bottom edge counts as inside, one on the right or top edge
     * outside, so tiled zones never both claim a point.
     */
    static boolean contains(final double[] x, final double[] y, final double px, final double py) {
        boolean in = false;
        for (int i = 0, j = x.length - 1; i < x.length; j = i++) {
            if ((y[i] > py) != (y[j] > py)) {
                final double xCross = x[j] + (py - y[j]) * (x[i] - x[j]) / (y[i] - y[j]);
                if (px < xCross) {
                    in = !in;
                }
            }
        }
        return in;
    }

    /**
     * Signed distance of (px, py) from the infinite line through a and b: positive on the right of a → b as seen in an
     * image (y pointing down), negative on its left.
     */
    static double side(final double ax, final double ay, final double bx, final double by, final double px,
                       final double py) {
        final double dx = bx - ax;
        final double dy = by - ay;
        return (dx * (py - ay) - dy * (px - ax)) / Math.hypot(dx, dy);
    }

    /** Where (px, py) projects onto a → b: 0 at a, 1 at b. */
    static double along(final double ax, final double ay, final double bx, final double by, final double px,
                        final double py) {
        final double dx = bx - ax;
        final double dy = by - ay;
        return ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);
    }
}
