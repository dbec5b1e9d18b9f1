package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector bodies of {@link Elementwise}: one small loop per operator, chosen before the loop. A {@code switch} inside
 * the loop merges differently computed vectors, which C2 on JDK 17 boxes. Tails use the scalar operator.
 */
public final class ElementwiseVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ElementwiseVector() {
    }

    static void unary(final UnaryOp op, final float p, final float q, final float[] x, final int xo, final float[] y,
                      final int yo, final int n) {
        final int nv = n - n % L;
        switch (op) {
            case RELU -> clip(x, xo, y, yo, nv, 0f, Float.POSITIVE_INFINITY);
            case CLIP -> clip(x, xo, y, yo, nv, p, q);
            case HARD_SIGMOID -> hardSigmoid(x, xo, y, yo, nv, p, q, false);
            case HARD_SWISH -> hardSigmoid(x, xo, y, yo, nv, p, q, true);
            case SIGMOID -> sigmoid(x, xo, y, yo, nv);
            case EXP -> exp(x, xo, y, yo, nv);
            case ERF -> erf(x, xo, y, yo, nv);
            default -> System.arraycopy(x, xo, y, yo, nv);
        }
        for (int i = nv; i < n; i++) {
            y[yo + i] = op.apply(x[xo + i], p, q);
        }
    }

    private static void clip(final float[] x, final int xo, final float[] y, final int yo, final int nv,
                             final float lo, final float hi) {
        final FloatVector vlo = FloatVector.broadcast(S, lo);
        final FloatVector vhi = FloatVector.broadcast(S, hi);
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, x, xo + i).max(vlo).min(vhi).intoArray(y, yo + i);
        }
    }

    /** {@code clip(p x + q, 0, 1)}, times x for hard swish (x^1 or x^0 by a blend-free product with 0/1). */
    private static void hardSigmoid(final float[] x, final int xo, final float[] y, final int yo, final int nv,
                                    final float p, final float q, final boolean swish) {
        final FloatVector vp = FloatVector.broadcast(S, p);
        final FloatVector vq = FloatVector.broadcast(S, q);
        final FloatVector zero = FloatVector.zero(S);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector useX = FloatVector.broadcast(S, swish ? 1f : 0f);
        final FloatVector useOne = FloatVector.broadcast(S, swish ? 0f : 1f);
        for (int i = 0; i < nv; i += L) {
            final FloatVector v = FloatVector.fromArray(S, x, xo + i);
            final FloatVector h = v.fma(vp, vq).max(zero).min(one);
            h.mul(v.fma(useX, useOne)).intoArray(y, yo + i);
        }
    }

    /** {@code 1 / (1 + exp(-x))}: the exponential in place, then the reciprocal. */
    private static void sigmoid(final float[] x, final int xo, final float[] y, final int yo, final int nv) {
        VectorMath.exp(x, xo, -1f, Constants.ZEROS, 0, 0, y, yo, nv);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < nv; i += L) {
            one.div(FloatVector.fromArray(S, y, yo + i).add(one)).intoArray(y, yo + i);
        }
    }

    private static void exp(final float[] x, final int xo, final float[] y, final int yo, final int nv) {
        VectorMath.exp(x, xo, 1f, Constants.ZEROS, 0, 0, y, yo, nv);
    }

    /**
     * Abramowitz-Stegun 7.1.26 like {@link FastMath#erf}, in float: {@code y = x^2}, then {@code e^-y} in place, then
     * the polynomial in {@code t = 1 / (1 + p|x|)} with x's sign. The last pass re-reads x, so an in-place call works
     * on a copy of it.
     */
    private static void erf(final float[] x, final int xo, final float[] y, final int yo, final int nv) {
        final float[] src = x == y && xo == yo ? Scratch.get().erfInput(x, xo, nv) : x;
        final int so = src == x ? xo : 0;
        for (int i = 0; i < nv; i += L) {
            final FloatVector v = FloatVector.fromArray(S, src, so + i);
            v.mul(v).intoArray(y, yo + i);
        }
        VectorMath.exp(y, yo, -1f, Constants.ZEROS, 0, 0, y, yo, nv);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < nv; i += L) {
            final FloatVector v = FloatVector.fromArray(S, src, so + i);
            final FloatVector t = one.div(v.abs().fma(FloatVector.broadcast(S, FastMath.ERF_P), one));
            final FloatVector poly = t.mul(FastMath.ERF_A5).add(FastMath.ERF_A4).mul(t).add(FastMath.ERF_A3).mul(t)
                .add(FastMath.ERF_A2).mul(t).add(FastMath.ERF_A1).mul(t);
            final FloatVector r = one.sub(poly.mul(FloatVector.fromArray(S, y, yo + i)));
            r.blend(r.neg(), v.lt(zero)).intoArray(y, yo + i);
        }
    }

    static void scaleShift(final float[] x, final int xo, final float[] y, final int yo, final int n, final float s,
                           final float t) {
        final int nv = n - n % L;
        final FloatVector vs = FloatVector.broadcast(S, s);
        final FloatVector vt = FloatVector.broadcast(S, t);
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(vs, vt).intoArray(y, yo + i);
        }
        for (int i = nv; i < n; i++) {
            y[yo + i] = x[xo + i] * s + t;
        }
    }

    /**
     * One row; each stride is 1 (contiguous) or 0 (one value for the whole row). A broadcast operand is read from a
     * one-vector row of that value, so every case is the same two loads.
     */
    static void binaryRow(final BinaryOp op, final float[] a, final int ao, final int sa, final float[] b,
                          final int bo, final int sb, final float[] out, final int oo, final int n) {
        final int nv = n - n % L;
        final float[] av = sa == 0 ? Scratch.get().splat(a[ao], 0) : a;
        final float[] bv = sb == 0 ? Scratch.get().splat(b[bo], 1) : b;
        final int aBase = sa == 0 ? 0 : ao;
        final int bBase = sb == 0 ? 0 : bo;
        switch (op) {
            case ADD -> add(av, aBase, sa, bv, bBase, sb, out, oo, nv);
            case SUB -> sub(av, aBase, sa, bv, bBase, sb, out, oo, nv);
            case MUL -> mul(av, aBase, sa, bv, bBase, sb, out, oo, nv);
            case DIV -> div(av, aBase, sa, bv, bBase, sb, out, oo, nv);
            case MAX -> max(av, aBase, sa, bv, bBase, sb, out, oo, nv);
            case MIN -> min(av, aBase, sa, bv, bBase, sb, out, oo, nv);
        }
        for (int i = nv; i < n; i++) {
            out[oo + i] = op.apply(a[ao + i * sa], b[bo + i * sb]);
        }
    }

    private static void add(final float[] a, final int ao, final int sa, final float[] b, final int bo, final int sb,
                            final float[] out, final int oo, final int nv) {
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, a, ao + i * sa).add(FloatVector.fromArray(S, b, bo + i * sb)).intoArray(out, oo + i);
        }
    }

    private static void sub(final float[] a, final int ao, final int sa, final float[] b, final int bo, final int sb,
                            final float[] out, final int oo, final int nv) {
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, a, ao + i * sa).sub(FloatVector.fromArray(S, b, bo + i * sb)).intoArray(out, oo + i);
        }
    }

    private static void mul(final float[] a, final int ao, final int sa, final float[] b, final int bo, final int sb,
                            final float[] out, final int oo, final int nv) {
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, a, ao + i * sa).mul(FloatVector.fromArray(S, b, bo + i * sb)).intoArray(out, oo + i);
        }
    }

    private static void div(final float[] a, final int ao, final int sa, final float[] b, final int bo, final int sb,
                            final float[] out, final int oo, final int nv) {
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, a, ao + i * sa).div(FloatVector.fromArray(S, b, bo + i * sb)).intoArray(out, oo + i);
        }
    }

    private static void max(final float[] a, final int ao, final int sa, final float[] b, final int bo, final int sb,
                            final float[] out, final int oo, final int nv) {
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, a, ao + i * sa).max(FloatVector.fromArray(S, b, bo + i * sb)).intoArray(out, oo + i);
        }
    }

    private static void min(final float[] a, final int ao, final int sa, final float[] b, final int bo, final int sb,
                            final float[] out, final int oo, final int nv) {
        for (int i = 0; i < nv; i += L) {
            FloatVector.fromArray(S, a, ao + i * sa).min(FloatVector.fromArray(S, b, bo + i * sb)).intoArray(out, oo + i);
        }
    }
}
