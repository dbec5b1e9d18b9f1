package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector bodies of {@link Softmax}, one loop per method: C2 boxes every vector of a method whose Vector API calls
 * exceed its inlining budget, and one method holding the max, exp-sum and scale loops allocated ~1 GB/s and ran the
 * 128x128 bridge softmax 5x slower than in isolation. Blocks shorter than a vector use the scalar code. The sums
 * come out of the exp loop ({@link VectorMath#exp(float[], int, float, float[], int, int, float[], int, int,
 * float[], int)}) rather than a pass of their own over the exponentials.
 */
public final class SoftmaxVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SoftmaxVector() {
    }

    static void run(final float[] x, final int xo, final float[] y, final int yo, final int axis, final int inner,
                    final int o0, final int o1) {
        if (inner == 1 ? axis < L : inner < L) {
            Softmax.run(false, x, xo, y, yo, axis, inner, o0, o1);
            return;
        }
        final float[] row = new float[1];
        for (int o = o0; o < o1; o++) {
            if (inner == 1) {
                final int xr = xo + o * axis;
                final int yr = yo + o * axis;
                row[0] = max(x, xr, axis);
                scale(y, yr, axis, 1f / VectorMath.exp(x, xr, 1f, row, 0, 0, y, yr, axis, null, 0));
            } else {
                columns(x, xo + o * axis * inner, y, yo + o * axis * inner, axis, inner);
            }
        }
    }

    /**
     * An {@code [axis, inner]} block normalized down each column, in passes along rows: a row of maxima, exp of each
     * row minus it (adding into a row of sums as it goes), then the division.
     */
    private static void columns(final float[] x, final int xo, final float[] y, final int yo, final int axis,
                                final int inner) {
        final float[] max = Scratch.get().softmaxRows(2 * inner);
        System.arraycopy(x, xo, max, 0, inner);
        for (int a = 1; a < axis; a++) {
            maxInto(x, xo + a * inner, max, inner);
        }
        java.util.Arrays.fill(max, inner, 2 * inner, 0f);
        for (int a = 0; a < axis; a++) {
            VectorMath.exp(x, xo + a * inner, 1f, max, 0, 1, y, yo + a * inner, inner, max, inner);
        }
        for (int a = 0; a < axis; a++) {
            divide(y, yo + a * inner, max, inner, inner);
        }
    }

    private static float max(final float[] x, final int xo, final int n) {
        final int nv = n - n % L;
        FloatVector m = FloatVector.fromArray(S, x, xo);
        for (int i = L; i < nv; i += L) {
            m = m.max(FloatVector.fromArray(S, x, xo + i));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (int i = nv; i < n; i++) {
            max = Math.max(max, x[xo + i]);
        }
        return max;
    }

    private static void scale(final float[] y, final int yo, final int n, final float inv) {
        final int nv = n - n % L;
        final FloatVector v = FloatVector.broadcast(S, inv);
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, y, yo + i).mul(v).intoArray(y, yo + i);
        }
        for (int i = nv; i < n; i++) {
            y[yo + i] *= inv;
        }
    }

    private static void maxInto(final float[] x, final int xo, final float[] m, final int n) {
        final int nv = n - n % L;
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, x, xo + i).max(FloatVector.fromArray(S, m, i)).intoArray(m, i);
        }
        for (int i = nv; i < n; i++) {
            m[i] = Math.max(m[i], x[xo + i]);
        }
    }

    private static void divide(final float[] y, final int yo, final float[] s, final int so, final int n) {
        final int nv = n - n % L;
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, y, yo + i).div(FloatVector.fromArray(S, s, so + i)).intoArray(y, yo + i);
        }
        for (int i = nv; i < n; i++) {
            y[yo + i] /= s[so + i];
        }
    }
}
