package io.mobileformer.engine.graph;

import java.util.Arrays;

/** Small helpers for int shapes. */
public final class Shapes {
    private Shapes() {
    }

    public static int size(final int[] shape) {
        long n = 1;
        for (final int d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    public static int size(final int[] shape, final int from, final int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            n *= shape[i];
        }
        return Math.toIntExact(n);
    }

    /** Row-major strides. */
    public static int[] strides(final int[] shape) {
        final int[] s = new int[shape.length];
        int stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = stride;
            stride *= shape[i];
        }
        return s;
    }

    public static int axis(final Node node, final long axis, final int rank) {
        final long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw GraphException.invalid(node, "axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    /** An index into an axis of {@code dim}, negatives counted from the end (Gather, Scatter); range checked. */
    public static int index(final Node node, final long i, final int dim) {
        final long v = i < 0 ? i + dim : i;
        if (v < 0 || v >= dim) {
            throw GraphException.invalid(node, "index " + i + " is out of range for a dimension of " + dim);
        }
        return (int) v;
    }

    public static int[] identity(final int rank) {
        final int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        return p;
    }

    public static boolean isIdentity(final int[] order) {
        for (int i = 0; i < order.length; i++) {
            if (order[i] != i) {
                return false;
            }
        }
        return true;
    }

    public static String str(final int[] shape) {
        return Arrays.toString(shape);
    }
}
