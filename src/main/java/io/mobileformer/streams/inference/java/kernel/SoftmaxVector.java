package io.mobileformer.streams.inference.java.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Softmax}. */
final class SoftmaxVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SoftmaxVector() {
    }

    static void run(final float[] x, final int xo, final float[] y, final int yo, final int axis, final int inner,
                    final int o0, final int o1) {
        for (int o = o0; o < o1; o++) {
            if (inner == 1) {
                row(x, xo + o * axis, y, yo + o * axis, axis);
            } else {
                columns(x, xo + o * axis * inner, y, yo + o * axis * inner, axis, inner);
            }
        }
    }

    private static void row(final float[] x, final int xo, final float[] y, final int yo, final int n) {
        final int nv = n - n % L;
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < nv; i += L) {
            vmax = vmax.max(FloatVector.fromArray(S, x, xo + i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (int i = nv; i < n; i++) {
            max = Math.max(max, x[xo + i]);
        }
        final FloatVector m = FloatVector.broadcast(S, max);
        FloatVector vsum = FloatVector.zero(S);
        for (int i = 0; i < nv; i += L) {
            final FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(m));
            e.intoArray(y, yo + i);
            vsum = vsum.add(e);
        }
        float sum = vsum.reduceLanes(VectorOperators.ADD);
        for (int i = nv; i < n; i++) {
            final float e = FastMath.exp(x[xo + i] - max);
            y[yo + i] = e;
            sum += e;
        }
        final float inv = 1f / sum;
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, y, yo + i).mul(inv).intoArray(y, yo + i);
        }
        for (int i = nv; i < n; i++) {
            y[yo + i] *= inv;
        }
    }

    /** One {@code [axis, inner]} block: softmax down each column, vectors across columns. */
    private static void columns(final float[] x, final int xo, final float[] y, final int yo, final int axis,
                                final int inner) {
        final int nv = inner - inner % L;
        for (int i = 0; i < nv; i += L) {
            FloatVector max = FloatVector.fromArray(S, x, xo + i);
            for (int a = 1; a < axis; a++) {
                max = max.max(FloatVector.fromArray(S, x, xo + a * inner + i));
            }
            FloatVector sum = FloatVector.zero(S);
            for (int a = 0; a < axis; a++) {
                final FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xo + a * inner + i).sub(max));
                e.intoArray(y, yo + a * inner + i);
                sum = sum.add(e);
            }
            final FloatVector inv = FloatVector.broadcast(S, 1f).div(sum);
            for (int a = 0; a < axis; a++) {
                FloatVector.fromArray(S, y, yo + a * inner + i).mul(inv).intoArray(y, yo + a * inner + i);
            }
        }
        for (int i = nv; i < inner; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int a = 0; a < axis; a++) {
                max = Math.max(max, x[xo + a * inner + i]);
            }
            float sum = 0f;
            for (int a = 0; a < axis; a++) {
                final float e = FastMath.exp(x[xo + a * inner + i] - max);
                y[yo + a * inner + i] = e;
                sum += e;
            }
            final float inv = 1f / sum;
            for (int a = 0; a < axis; a++) {
                y[yo + a * inner + i] *= inv;
            }
        }
    }
}
