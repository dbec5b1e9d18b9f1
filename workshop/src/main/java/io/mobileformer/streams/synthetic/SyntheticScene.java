package io.mobileformer.streams.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Renders synthetic scenes: coloured shapes over textured, noisy backgrounds, with exact boxes. The Java side of
 * {@code training/mobile_former/synthetic.py} (same scene model; not bit-identical, the same distribution), used by the
 * demo camera and the end-to-end tests.
 */
public final class SyntheticScene {
    public static final List<String> CLASSES = List.of("circle", "square", "triangle", "star");

    private static final float[] GAUSS = new float[1 << 16];

    static {
        final SplittableRandom r = new SplittableRandom(12345);
        for (int i = 0; i < GAUSS.length; i++) {
            GAUSS[i] = (float) gaussian(r);
        }
    }

    private SyntheticScene() {
    }

    private static double gaussian(final SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    static float[] hsv(final double h, final double s, final double v) {
        final int i = ((int) (h * 6)) % 6;
        final double f = h * 6 - (int) (h * 6);
        final double p = v * (1 - s);
        final double q = v * (1 - f * s);
        final double t = v * (1 - (1 - f) * s);
        final double[][] rgb = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
        return new float[] {(float) rgb[i][0], (float) rgb[i][1], (float) rgb[i][2]};
    }

    private static double uniform(final SplittableRandom r, final double lo, final double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    /** A background as float RGB, row-major {@code [h][w][3]} in [0, 1] (before grain). */
    public static float[] background(final SplittableRandom rng, final int w, final int h) {
        final float[] c0 = hsv(rng.nextDouble(), uniform(rng, 0, 0.6), uniform(rng, 0.2, 0.9));
        final float[] c1 = hsv(rng.nextDouble(), uniform(rng, 0, 0.6), uniform(rng, 0.2, 0.9));
        final double ang = uniform(rng, 0, 2 * Math.PI);
        final int cells = 3 + rng.nextInt(6);
        final double[] grid = new double[(cells + 1) * (cells + 1)];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = rng.nextDouble();
        }
        final double amp = uniform(rng, 0.1, 0.35);
        final float[] img = new float[w * h * 3];
        double tmin = Double.MAX_VALUE;
        double tmax = -Double.MAX_VALUE;
        final double[] t = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                final double v = (x * Math.cos(ang) + y * Math.sin(ang)) / Math.max(w, h);
                t[y * w + x] = v;
                tmin = Math.min(tmin, v);
                tmax = Math.max(tmax, v);
            }
        }
        for (int y = 0; y < h; y++) {
            final double gy = (double) y * cells / Math.max(1, h - 1);
            final int y0 = Math.min((int) gy, cells - 1);
            final double fy = gy - y0;
            for (int x = 0; x < w; x++) {
                final double gx = (double) x * cells / Math.max(1, w - 1);
                final int x0 = Math.min((int) gx, cells - 1);
                final double fx = gx - x0;
                final double n = grid[y0 * (cells + 1) + x0] * (1 - fx) * (1 - fy)
                    + grid[y0 * (cells + 1) + x0 + 1] * fx * (1 - fy)
                    + grid[(y0 + 1) * (cells + 1) + x0] * (1 - fx) * fy
                    + grid[(y0 + 1) * (cells + 1) + x0 + 1] * fx * fy - 0.5;
                final double tt = (t[y * w + x] - tmin) / Math.max(1e-6, tmax - tmin);
                final int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) {
                    img[o + c] = (float) (c0[c] * (1 - tt) + c1[c] * tt + amp * n);
                }
            }
        }
        final int lines = rng.nextInt(5);
        for (int l = 0; l < lines; l++) {
            drawLine(rng, img, w, h);
        }
        return img;
    }

    private static void drawLine(final SplittableRandom rng, final float[] img, final int w, final int h) {
        final double x0 = uniform(rng, 0, w);
        final double y0 = uniform(rng, 0, h);
        final double x1 = uniform(rng, 0, w);
        final double y1 = uniform(rng, 0, h);
        final double width = uniform(rng, 0.8, 2.5);
        final float[] col = hsv(rng.nextDouble(), uniform(rng, 0, 1), uniform(rng, 0.2, 1));
        final double dx = x1 - x0;
        final double dy = y1 - y0;
        final double len2 = Math.max(1e-6, dx * dx + dy * dy);
        final int bx0 = Math.max(0, (int) Math.floor(Math.min(x0, x1) - 3));
        final int bx1 = Math.min(w, (int) Math.ceil(Math.max(x0, x1) + 3));
        final int by0 = Math.max(0, (int) Math.floor(Math.min(y0, y1) - 3));
        final int by1 = Math.min(h, (int) Math.ceil(Math.max(y0, y1) + 3));
        for (int y = by0; y < by1; y++) {
            for (int x = bx0; x < bx1; x++) {
                final double u = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len2));
                final double dist = Math.hypot(x - (x0 + u * dx), y - (y0 + u * dy));
                final float a = (float) Math.max(0, Math.min(1, width / 2 + 0.5 - dist));
                if (a > 0) {
                    final int o = (y * w + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        img[o + c] = img[o + c] * (1 - a) + col[c] * a;
                    }
                }
            }
        }
    }

    public static SceneShape randomShape(final SplittableRandom rng, final int w, final int h) {
        final int side = Math.min(w, h);
        final int cls = rng.nextInt(CLASSES.size());
        final double r = uniform(rng, 0.04, 0.20) * side;
        final double cx = uniform(rng, 0.3 * r, w - 0.3 * r);
        final double cy = uniform(rng, 0.3 * r, h - 0.3 * r);
        final double aspect = Math.exp(uniform(rng, Math.log(0.75), Math.log(1.33)));
        final double angle = cls != 0 ? uniform(rng, 0, 2 * Math.PI) : 0.0;
        final float[] color = hsv(rng.nextDouble(), uniform(rng, 0.45, 1.0), uniform(rng, 0.45, 1.0));
        return new SceneShape(cls, cx, cy, r, aspect, angle, color);
    }

    /** Draws shapes over the background and adds Gaussian grain; returns packed RGB24. */
    public static byte[] render(final SplittableRandom rng, final float[] background, final List<SceneShape> shapes,
                                final int w, final int h, final double grain) {
        final float[] img = background.clone();
        for (final SceneShape s : shapes) {
            final double[] b = s.box();
            final double[] poly = s.polygon();
            final int x0 = Math.max(0, (int) Math.floor(b[0]));
            final int y0 = Math.max(0, (int) Math.floor(b[1]));
            final int x1 = Math.min(w, (int) Math.ceil(b[2]) + 1);
            final int y1 = Math.min(h, (int) Math.ceil(b[3]) + 1);
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    final float cov = s.coverage(x, y, poly);
                    if (cov == 0) {
                        continue;
                    }
                    final float tex = (float) (1.0 + 0.08 * (rng.nextDouble() * 2 - 1));
                    final int o = (y * w + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        img[o + c] = img[o + c] * (1 - cov) + s.color[c] * tex * cov;
                    }
                }
            }
        }
        final byte[] out = new byte[w * h * 3];
        // grain from a fixed table of Gaussian samples read from a random start with a random odd stride: per-pixel
        // nextGaussian() would cost more than the rest of the frame
        int k = rng.nextInt(GAUSS.length);
        final int step = 2 * rng.nextInt(GAUSS.length / 2) + 1;
        for (int i = 0; i < out.length; i++) {
            final double v = img[i] + GAUSS[k] * grain;
            k = (k + step) & (GAUSS.length - 1);
            out[i] = (byte) Math.max(0, Math.min(255, (int) (v * 255 + 0.5)));
        }
        return out;
    }

    /** Drops shapes that later shapes hide below {@code minVisible} of their own area. */
    public static List<SceneShape> visible(final List<SceneShape> shapes, final int w, final int h,
                                           final double minVisible) {
        final List<SceneShape> s = new ArrayList<>(shapes);
        while (true) {
            final int[] owner = new int[w * h];
            java.util.Arrays.fill(owner, -1);
            final int[] own = new int[s.size()];
            for (int i = 0; i < s.size(); i++) {
                final SceneShape sh = s.get(i);
                final double[] b = sh.box();
                final double[] poly = sh.polygon();
                for (int y = Math.max(0, (int) Math.floor(b[1])); y < Math.min(h, (int) Math.ceil(b[3]) + 1); y++) {
                    for (int x = Math.max(0, (int) Math.floor(b[0])); x < Math.min(w, (int) Math.ceil(b[2]) + 1); x++) {
                        if (sh.coverage(x, y, poly) >= 0.5f) {
                            own[i]++;
                            owner[y * w + x] = i;
                        }
                    }
                }
            }
            final int[] count = new int[s.size()];
            for (final int o : owner) {
                if (o >= 0) {
                    count[o]++;
                }
            }
            int bad = -1;
            for (int i = 0; i < s.size() && bad < 0; i++) {
                if (own[i] == 0 || count[i] < minVisible * own[i]) {
                    bad = i;
                }
            }
            if (bad < 0) {
                return s;
            }
            s.remove(bad);
        }
    }
}
