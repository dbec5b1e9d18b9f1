package io.mobileformer.streams.synthetic;

/**
 * One synthetic object: a class (0 circle, 1 square, 2 triangle, 3 star), centre, circumradius, aspect, rotation and
 * RGB fill in [0, 1]. Same geometry as {@code training/mobile_former/synthetic.py} so the demo model sees here what it
 * saw in training. Mutable position and angle: cameras move shapes frame to frame.
 */
public final class SceneShape {
    final int cls;
    double cx;
    double cy;
    final double radius;
    final double aspect;
    double angle;
    final float[] color;

    public SceneShape(final int cls, final double cx, final double cy, final double radius, final double aspect,
                      final double angle, final float[] color) {
        this.cls = cls;
        this.cx = cx;
        this.cy = cy;
        this.radius = radius;
        this.aspect = aspect;
        this.angle = angle;
        this.color = color;
    }

    public int classId() {
        return cls;
    }

    /** Polygon vertices as {x0, y0, x1, y1, ...}; null for the ellipse. */
    double[] polygon() {
        final double r = radius;
        final double[] pts;
        switch (cls) {
            case 0:
                return null;
            case 1: {
                final double hw = r * Math.sqrt(aspect) / Math.sqrt(2);
                final double hh = r / Math.sqrt(aspect) / Math.sqrt(2);
                pts = new double[] {-hw, -hh, hw, -hh, hw, hh, -hw, hh};
                break;
            }
            case 2:
                pts = new double[] {0, -r, r * 0.87 * aspect, r * 0.5, -r * 0.87 * aspect, r * 0.5};
                break;
            default: {
                pts = new double[20];
                for (int k = 0; k < 10; k++) {
                    final double rad = k % 2 == 0 ? r : 0.45 * r;
                    final double th = -Math.PI / 2 + k * Math.PI / 5;
                    pts[2 * k] = rad * Math.cos(th);
                    pts[2 * k + 1] = rad * Math.sin(th);
                }
            }
        }
        final double c = Math.cos(angle);
        final double s = Math.sin(angle);
        for (int i = 0; i < pts.length; i += 2) {
            final double x = pts[i];
            final double y = pts[i + 1];
            pts[i] = x * c - y * s + cx;
            pts[i + 1] = x * s + y * c + cy;
        }
        return pts;
    }

    /** Exact extent {x0, y0, x1, y1} of the continuous shape (not clipped). */
    public double[] box() {
        if (cls == 0) {
            final double ax = radius * Math.sqrt(aspect);
            final double ay = radius / Math.sqrt(aspect);
            return new double[] {cx - ax, cy - ay, cx + ax, cy + ay};
        }
        final double[] p = polygon();
        double x0 = Double.MAX_VALUE;
        double y0 = Double.MAX_VALUE;
        double x1 = -Double.MAX_VALUE;
        double y1 = -Double.MAX_VALUE;
        for (int i = 0; i < p.length; i += 2) {
            x0 = Math.min(x0, p[i]);
            x1 = Math.max(x1, p[i]);
            y0 = Math.min(y0, p[i + 1]);
            y1 = Math.max(y1, p[i + 1]);
        }
        return new double[] {x0, y0, x1, y1};
    }

    /** Whether the point lies inside (even-odd rule for polygons). */
    boolean inside(final double px, final double py, final double[] poly) {
        if (cls == 0) {
            final double ax = radius * Math.sqrt(aspect);
            final double ay = radius / Math.sqrt(aspect);
            final double dx = (px - cx) / ax;
            final double dy = (py - cy) / ay;
            return dx * dx + dy * dy <= 1.0;
        }
        boolean in = false;
        final int n = poly.length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            final double xi = poly[2 * i];
            final double yi = poly[2 * i + 1];
            final double xj = poly[2 * j];
            final double yj = poly[2 * j + 1];
            if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) {
                in = !in;
            }
        }
        return in;
    }

    /** Fraction of pixel (x, y) covered, from 2 x 2 sub-samples. */
    float coverage(final int x, final int y, final double[] poly) {
        int n = 0;
        for (final double ox : SUB) {
            for (final double oy : SUB) {
                if (inside(x + ox, y + oy, poly)) {
                    n++;
                }
            }
        }
        return n / 4f;
    }

    private static final double[] SUB = {0.25, 0.75};
}
