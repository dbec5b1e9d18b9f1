package io.mobileformer.engine.kernel;

/**
 * Element-wise operators over contiguous tensors. The output may be one of the inputs (in-place residual adds and
 * activations): each element is read before it is written.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /** {@code y[i] = op(x[i])} for i in [0, n). */
    public static void unary(final boolean vector, final UnaryOp op, final float p, final float q, final float[] x,
                             final int xo, final float[] y, final int yo, final int n) {
        if (vector && op.vectorized()) {
            ElementwiseVector.unary(op, p, q, x, xo, y, yo, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] = op.apply(x[xo + i], p, q);
        }
    }

    /** {@code y[i] = x[i] * s + t} for i in [0, n): an unfolded inference BatchNormalization, one channel. */
    public static void scaleShift(final boolean vector, final float[] x, final int xo, final float[] y, final int yo,
                                  final int n, final float s, final float t) {
        if (vector) {
            ElementwiseVector.scaleShift(x, xo, y, yo, n, s, t);
            return;
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] = x[xo + i] * s + t;
        }
    }

    /** Rows [row0, row1) of {@code out = op(a, b)} laid out by {@code bc}. */
    public static void binary(final boolean vector, final BinaryOp op, final Broadcast bc, final float[] a,
                              final int ao, final float[] b, final int bo, final float[] out, final int oo,
                              final int row0, final int row1) {
        final int n = bc.inner;
        final int sa = bc.innerStrideA();
        final int sb = bc.innerStrideB();
        final int[] offsets = new int[2];
        for (int row = row0; row < row1; row++) {
            bc.rowOffsets(row, offsets);
            final int a0 = ao + offsets[0];
            final int b0 = bo + offsets[1];
            final int o0 = oo + row * n;
            if (vector && op.vectorized() && sa <= 1 && sb <= 1) {
                ElementwiseVector.binaryRow(op, a, a0, sa, b, b0, sb, out, o0, n);
            } else {
                for (int i = 0; i < n; i++) {
                    out[o0 + i] = op.apply(a[a0 + i * sa], b[b0 + i * sb]);
                }
            }
        }
    }
}
