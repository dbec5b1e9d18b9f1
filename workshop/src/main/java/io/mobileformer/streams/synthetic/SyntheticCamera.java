package io.mobileformer.streams.synthetic;

import io.mobileformer.streams.eval.GroundTruth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A camera that films moving synthetic shapes: they drift, spin, and bounce off the borders and off each other (so
 * every object stays fully visible and the ground truth is exact). Deterministic for a seed.
 */
public final class SyntheticCamera {

    /**
     * One rendered frame: packed RGB24 and its ground truth. The camera's objects never come or go, so {@code truth}
     * entry i is the same object in every frame: its identity, for tracking metrics.
     */
    public record Frame(int index, int width, int height, byte[] rgb, List<GroundTruth> truth) {
    }

    private final int width;
    private final int height;
    private final SplittableRandom rng;
    private final float[] background;
    private final List<SceneShape> shapes = new ArrayList<>();
    private final List<double[]> velocity = new ArrayList<>();
    private final List<Double> spin = new ArrayList<>();
    private int index;

    public SyntheticCamera(final long seed, final int width, final int height, final int objects) {
        this.width = width;
        this.height = height;
        this.rng = new SplittableRandom(seed);
        this.background = SyntheticScene.background(rng, width, height);
        final double side = Math.min(width, height);
        for (int attempt = 0; attempt < 200 * objects && shapes.size() < objects; attempt++) {
            final SceneShape s = SyntheticScene.randomShape(rng, width, height);
            final SceneShape c = new SceneShape(s.cls, s.cx, s.cy, Math.min(s.radius, 0.16 * side), s.aspect,
                s.angle, s.color);
            c.cx = Math.max(c.radius + 1, Math.min(width - c.radius - 1, c.cx));
            c.cy = Math.max(c.radius + 1, Math.min(height - c.radius - 1, c.cy));
            if (shapes.stream().noneMatch(t -> overlap(c.box(), t.box(), 2))) {
                shapes.add(c);
                velocity.add(new double[] {(rng.nextDouble() * 6 - 3) * side / 360, (rng.nextDouble() * 6 - 3)
                    * side / 360});
                spin.add(rng.nextDouble() * 0.1 - 0.05);
            }
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public Frame next() {
        final byte[] rgb = SyntheticScene.render(rng, background, shapes, width, height, 3.0 / 255.0);
        final List<GroundTruth> truth = new ArrayList<>(shapes.size());
        for (final SceneShape s : shapes) {
            final double[] b = s.box();
            truth.add(new GroundTruth(s.cls, (float) clip(b[0], width), (float) clip(b[1], height),
                (float) clip(b[2], width), (float) clip(b[3], height)));
        }
        final Frame f = new Frame(index++, width, height, rgb, truth);
        move();
        return f;
    }

    private void move() {
        for (int i = 0; i < shapes.size(); i++) {
            final SceneShape s = shapes.get(i);
            final double ox = s.cx;
            final double oy = s.cy;
            final double oa = s.angle;
            final double[] v = velocity.get(i);
            s.cx += v[0];
            s.cy += v[1];
            s.angle += spin.get(i);
            final double[] b = s.box();
            final boolean hitX = b[0] < 0 || b[2] > width;
            final boolean hitY = b[1] < 0 || b[3] > height;
            boolean hitOther = false;
            for (int j = 0; j < shapes.size() && !hitOther; j++) {
                hitOther = j != i && overlap(b, shapes.get(j).box(), 1);
            }
            if (hitX || hitY || hitOther) {
                s.cx = ox;
                s.cy = oy;
                s.angle = oa;
                if (hitX || hitOther) {
                    v[0] = -v[0];
                }
                if (hitY || hitOther) {
                    v[1] = -v[1];
                }
            }
        }
    }

    private static double clip(final double v, final int max) {
        return Math.max(0, Math.min(max, v));
    }

    static boolean overlap(final double[] a, final double[] b, final double margin) {
        return !(a[2] + margin <= b[0] || b[2] + margin <= a[0] || a[3] + margin <= b[1] || b[3] + margin <= a[1]);
    }
}
