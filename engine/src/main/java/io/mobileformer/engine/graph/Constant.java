package io.mobileformer.engine.graph;

import io.mobileformer.engine.Tensor;

import java.util.Arrays;

/**
 * A value known at load time: an initializer, a {@code Constant} node or a folded result. Float tensors carry
 * {@code floats}; int64 tensors (shapes, axes, indices, split sizes) carry {@code longs}. Exactly one of the two is set.
 */
public record Constant(int[] shape, float[] floats, long[] longs) {

    public static Constant ofFloats(final float[] data, final int... shape) {
        check(data.length, shape);
        return new Constant(shape.clone(), data, null);
    }

    public static Constant ofLongs(final long[] data, final int... shape) {
        check(data.length, shape);
        return new Constant(shape.clone(), null, data);
    }

    public static Constant of(final Tensor t) {
        return ofFloats(t.data(), t.shape());
    }

    private static void check(final int length, final int[] shape) {
        if (Tensor.sizeOf(shape) != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + length
                + " values");
        }
    }

    public boolean isFloat() {
        return floats != null;
    }

    public int size() {
        return floats != null ? floats.length : longs.length;
    }

    public int rank() {
        return shape.length;
    }

    /** The values as longs whatever the element type (Clip bounds, Resize scales are read either way). */
    public long[] asLongs() {
        if (longs != null) {
            return longs;
        }
        final long[] l = new long[floats.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) floats[i];
        }
        return l;
    }

    /** The values as floats whatever the element type. */
    public float[] asFloats() {
        if (floats != null) {
            return floats;
        }
        final float[] f = new float[longs.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = longs[i];
        }
        return f;
    }

    /** The one value of a scalar or single-element constant. */
    public float scalar() {
        if (size() != 1) {
            throw new IllegalStateException("not a scalar: " + Arrays.toString(shape));
        }
        return asFloats()[0];
    }

    @Override
    public String toString() {
        return "Constant" + Arrays.toString(shape) + (isFloat() ? "f32" : "i64");
    }
}
