package io.mobileformer.engine;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major (C) order, on the Java heap.
 *
 * <p>Engines exchange only this type: images go in as {@code [N, 3, H, W]} and raw model outputs come back as tensors of
 * the shapes the model contract declares. The array is shared, not copied: a tensor handed to an engine must not be
 * modified while the engine runs, and a tensor returned by an engine belongs to the caller.
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    public Tensor(final float[] data, final int... shape) {
        final long size = sizeOf(shape);
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size
                + " values but the array has " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
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
        return new Tensor(Arrays.copyOfRange(data, from * s, to * s), sh);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
