package io.mobileformer.streams.inference.java.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Elementwise}: whole vectors, then the scalar operator for the tail. */
final class ElementwiseVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ElementwiseVector() {
    }

    static void unary(final UnaryOp op, final float p, final float q, final float[] x, final int xo, final float[] y,
                      final int yo, final int n) {
        final int nv = n - n % L;
        final FloatVector vp = FloatVector.broadcast(S, p);
        final FloatVector vq = FloatVector.broadcast(S, q);
        int i = 0;
        if (op != UnaryOp.ERF) {
            for (; i < nv; i += L) {
                final FloatVector v = FloatVector.fromArray(S, x, xo + i);
                final FloatVector r = switch (op) {
                    case RELU -> v.max(0f);
                    case CLIP -> v.max(vp).min(vq);
                    case HARD_SIGMOID -> v.fma(vp, vq).max(0f).min(1f);
                    case HARD_SWISH -> v.mul(v.fma(vp, vq).max(0f).min(1f));
                    case SIGMOID -> VectorMath.sigmoid(v);
                    case EXP -> VectorMath.exp(v);
                    default -> v;
                };
                r.intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] = op.apply(x[xo + i], p, q);
        }
    }

    static void scaleShift(final float[] x, final int xo, final float[] y, final int yo, final int n, final float s,
                           final float t) {
        final int nv = n - n % L;
        final FloatVector vs = FloatVector.broadcast(S, s);
        final FloatVector vt = FloatVector.broadcast(S, t);
        int i = 0;
        for (; i < nv; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(vs, vt).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] = x[xo + i] * s + t;
        }
    }

    /** One row; each stride is 1 (contiguous) or 0 (one value for the whole row). */
    static void binaryRow(final BinaryOp op, final float[] a, final int ao, final int sa, final float[] b,
                          final int bo, final int sb, final float[] out, final int oo, final int n) {
        final int nv = n - n % L;
        final FloatVector ca = sa == 0 ? FloatVector.broadcast(S, a[ao]) : null;
        final FloatVector cb = sb == 0 ? FloatVector.broadcast(S, b[bo]) : null;
        int i = 0;
        for (; i < nv; i += L) {
            final FloatVector va = ca != null ? ca : FloatVector.fromArray(S, a, ao + i);
            final FloatVector vb = cb != null ? cb : FloatVector.fromArray(S, b, bo + i);
            final FloatVector r = switch (op) {
                case ADD -> va.add(vb);
                case SUB -> va.sub(vb);
                case MUL -> va.mul(vb);
                case DIV -> va.div(vb);
                case MAX -> va.max(vb);
                case MIN -> va.min(vb);
            };
            r.intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i * sa], b[bo + i * sb]);
        }
    }
}
