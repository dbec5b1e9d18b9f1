package io.mobileformer.engine;

import java.util.Arrays;

/**
 * A dense tensor in row-major (C) order, on the Java heap: float32 (the usual case), or int64, int32 or bool for the
 * inputs and outputs of general models ({@link JavaEngine#run(java.util.Map)}).
 *
 * <p>Whatever the element type, {@link #data()} holds the values as floats (the engine computes in float32); an
 * integer or bool tensor also keeps its exact values in {@link #longs()} (bool as 0 and 1), so indices and shapes
 * beyond 2^24 survive the trip in.
 *
 * <p>Engines exchange only this type: images go in as {@code [N, 3, H, W]} and raw model outputs come back as tensors
 * of the shapes the model contract declares. The array is shared, not copied: a tensor handed to an engine must not be
 * modified while the engine runs, and a tensor returned by an engine belongs to the caller.
 */
public final class Tensor {
    /** Element types a tensor may declare. Everything but {@code FLOAT32} carries exact values in {@link #longs()}. */
    public enum Type { FLOAT32, INT64, INT32, BOOL }

    private final float[] data;
    private final int[] shape;
    private final Type type;
    private final long[] longs;

    public Tensor(final float[] data, final int... shape) {
        final long size = sizeOf(shape);
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size
                + " values but the array has " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
        this.type = Type.FLOAT32;
        this.longs = null;
    }

    private Tensor(final Type type, final long[] values, final int[] shape) {
        final long size = sizeOf(shape);
        if (size != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size
                + " values but the array has " + values.length);
        }
        this.type = type;
        this.longs = values;
        this.shape = shape.clone();
        this.data = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            data[i] = values[i];
        }
    }

    /**
     * An integer or bool tensor of exact values (bool: 0 or 1). The array is shared, as for float tensors.
     *
     * @throws IllegalArgumentException for {@code FLOAT32} (use the constructor) or a bool value other than 0 and 1
     */
    public static Tensor of(final Type type, final long[] values, final int... shape) {
        if (type == Type.FLOAT32) {
            throw new IllegalArgumentException("float32 tensors are made with new Tensor(float[], shape)");
        }
        if (type == Type.BOOL) {
            for (final long v : values) {
                if (v != 0 && v != 1) {
                    throw new IllegalArgumentException("a bool tensor holds 0 or 1, not " + v);
                }
            }
        }
        return new Tensor(type, values, shape);
    }

    public Type type() {
        return type;
    }

    /** The exact values of an integer or bool tensor; empty for float32 (whose values are {@link #data()}). */
    public java.util.Optional<long[]> longs() {
        return java.util.Optional.ofNullable(longs);
    }

    public static Tensor zeros(final int... shape) {
        return new Tensor(new float[Math.toIntExact(sizeOf(shape))], shape);
    }

    public static long sizeOf(final int... shape) {
        long n = 1;
        for (final int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public float[] data() {
        return data;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(final int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return data.length;
    }

    /** Values per item of the first axis (per image for a batch). */
    public int stride0() {
        return shape[0] == 0 ? 0 : data.length / shape[0];
    }

    /** A copy of items [from, to) along the first axis. */
    public Tensor slice0(final int from, final int to) {
        final int s = stride0();
        final int[] sh = shape.clone();
        sh[0] = to - from;
        if (longs != null) {
            return new Tensor(type, Arrays.copyOfRange(longs, from * s, to * s), sh);
        }
        return new Tensor(Arrays.copyOfRange(data, from * s, to * s), sh);
    }

    @Override
    public String toString() {
        return "Tensor" + (type == Type.FLOAT32 ? "" : "<" + type + ">") + Arrays.toString(shape);
    }
}
