package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector form of {@link Epilogue#apply}. Every activation is written as one branch-free formula,
 * {@code min(max(max(v * s1, v * s2), lo), hi)} (identity: s = 1, lo/hi infinite; ReLU: lo = 0; ReLU6: lo = 0,
 * hi = 6; DY-ReLU: the slopes), because vectors merged across branches or held in nullable locals are boxed by C2 on
 * JDK 17. The common cases (per-row bias and slopes, with or without a residual) have their own small loops.
 */
public final class EpilogueVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private EpilogueVector() {
    }

    static void apply(final Epilogue ep, final float[] c, final int cOff, final int ldc, final int row0,
                      final int rows, final int col0, final int cols, final Epilogue.Inputs in) {
        final boolean dy = ep.activation() == Activation.DYRELU;
        final boolean rowwise = ep.biasCol() == null && (!dy || in.slopeLd() == 0);
        final float lo = ep.floor();
        final float hi = ep.ceiling();
        final int vecCols = cols - cols % L;
        for (int r = 0; r < rows; r++) {
            final int row = row0 + r;
            final int o = cOff + r * ldc;
            final float bias = ep.biasRow() == null ? 0f : ep.biasRow()[row];
            if (rowwise) {
                final float s1 = dy ? in.slope1()[in.slope1Off() + row] : 1f;
                final float s2 = dy ? in.slope2()[in.slope2Off() + row] : 1f;
                if (ep.residual()) {
                    rowwise(c, o, in.residual(), in.resOff() + row * in.resLd() + col0, 1, vecCols, bias, s1, s2, lo,
                        hi);
                } else {
                    rowwise(c, o, Constants.ZEROS, 0, 0, vecCols, bias, s1, s2, lo, hi);
                }
            } else {
                generalRow(ep, c, o, row, col0, vecCols, bias, lo, hi, in);
            }
            if (vecCols < cols) {
                ep.applyScalar(c, o + vecCols, ldc, row, 1, col0 + vecCols, cols - vecCols, in);
            }
        }
    }

    /**
     * A full tile (two vectors per row) that a product kernel has just stored at {@code t[r * tld]}, rows
     * {@code [i, i + rows)} and columns {@code [j, j + 2L)} of the product, finished with {@code fin} into
     * {@code c[co + r * ldc]}. One tight loop instead of {@link #apply}, whose per-row set-up on tiles this small cost
     * +20..100 % on short products (48 x 16 x 16384 with DY-ReLU: 594 -> 396 us, 324 us without an epilogue).
     * Applying it to the accumulators inside the kernels instead made C2 box them in some JVMs: the unrolled kernel
     * then exceeded its inlining budget.
     *
     * <p>{@code t} is a small contiguous tile, not the output itself: the output's rows are often a multiple of 4 KB
     * apart (1024 or 4096 columns), so the 16 lines of a tile stored there fall in one set of the 8-way L1 and half of
     * them are evicted before this reads them back (64 x 64 x 1024 with bias and ReLU: 102 us against 54 without an
     * epilogue, 67 staged).
     */
    static void finishTile(final float[] t, final int tld, final float[] c, final int co, final int ldc,
                           final int rows, final RowFinish fin, final int i, final int j) {
        final float[] f = fin.table;
        final float[] res = fin.residual;
        final FloatVector lo = FloatVector.broadcast(S, f[0]);
        final FloatVector hi = FloatVector.broadcast(S, f[1]);
        for (int r = 0; r < rows; r++) {
            final int o = co + r * ldc;
            final int to = r * tld;
            final int q = fin.residualAt(i + r, j);
            final int x = 2 + 3 * (i + r);
            final FloatVector bias = FloatVector.broadcast(S, f[x]);
            final FloatVector s1 = FloatVector.broadcast(S, f[x + 1]);
            final FloatVector s2 = FloatVector.broadcast(S, f[x + 2]);
            final FloatVector a = FloatVector.fromArray(S, t, to).add(bias).add(FloatVector.fromArray(S, res, q));
            a.mul(s1).max(a.mul(s2)).max(lo).min(hi).intoArray(c, o);
            final FloatVector b = FloatVector.fromArray(S, t, to + L).add(bias)
                .add(FloatVector.fromArray(S, res, q + L));
            b.mul(s1).max(b.mul(s2)).max(lo).min(hi).intoArray(c, o + L);
        }
    }

    /**
     * Bias, residual ({@code res[ro + j * resStep]}; a zero row with step 0 when there is none), then the activation
     * with per-row slopes: the inverted-bottleneck expansion and projection.
     */
    private static void rowwise(final float[] c, final int o, final float[] res, final int ro, final int resStep,
                                final int n, final float bias, final float s1, final float s2, final float lo,
                                final float hi) {
        final FloatVector b = FloatVector.broadcast(S, bias);
        final FloatVector v1 = FloatVector.broadcast(S, s1);
        final FloatVector v2 = FloatVector.broadcast(S, s2);
        final FloatVector vlo = FloatVector.broadcast(S, lo);
        final FloatVector vhi = FloatVector.broadcast(S, hi);
        for (int j = 0; j < n; j += L) {
            final FloatVector v = FloatVector.fromArray(S, c, o + j).add(b)
                .add(FloatVector.fromArray(S, res, ro + j * resStep));
            v.mul(v1).max(v.mul(v2)).max(vlo).min(vhi).intoArray(c, o + j);
        }
    }

    /** Column bias, residual and per-pixel slopes read from arrays; absent ones from a zero or one row. */
    private static void generalRow(final Epilogue ep, final float[] c, final int o, final int row, final int col0,
                                   final int n, final float bias, final float lo, final float hi,
                                   final Epilogue.Inputs in) {
        final boolean dy = ep.activation() == Activation.DYRELU;
        final boolean perPixel = dy && in.slopeLd() != 0;
        final float[] biasCol = ep.biasCol() != null ? ep.biasCol() : Constants.ZEROS;
        final int biasStep = ep.biasCol() != null ? 1 : 0;
        final float[] res = ep.residual() ? in.residual() : Constants.ZEROS;
        final int resBase = ep.residual() ? in.resOff() + row * in.resLd() + col0 : 0;
        final int resStep = ep.residual() ? 1 : 0;
        final float[] sl1 = perPixel ? in.slope1() : Constants.ONES;
        final float[] sl2 = perPixel ? in.slope2() : Constants.ONES;
        final int s1Base = perPixel ? in.slope1Off() + row * in.slopeLd() + col0 : 0;
        final int s2Base = perPixel ? in.slope2Off() + row * in.slopeLd() + col0 : 0;
        final int slopeStep = perPixel ? 1 : 0;
        final float rowS1 = dy && !perPixel ? in.slope1()[in.slope1Off() + row] : 1f;
        final float rowS2 = dy && !perPixel ? in.slope2()[in.slope2Off() + row] : 1f;
        final FloatVector b = FloatVector.broadcast(S, bias);
        final FloatVector r1 = FloatVector.broadcast(S, rowS1);
        final FloatVector r2 = FloatVector.broadcast(S, rowS2);
        final FloatVector vlo = FloatVector.broadcast(S, lo);
        final FloatVector vhi = FloatVector.broadcast(S, hi);
        for (int j = 0; j < n; j += L) {
            final FloatVector v = FloatVector.fromArray(S, c, o + j).add(b)
                .add(FloatVector.fromArray(S, biasCol, (col0 + j) * biasStep))
                .add(FloatVector.fromArray(S, res, resBase + j * resStep));
            final FloatVector a1 = FloatVector.fromArray(S, sl1, s1Base + j * slopeStep).mul(r1);
            final FloatVector a2 = FloatVector.fromArray(S, sl2, s2Base + j * slopeStep).mul(r2);
            v.mul(a1).max(v.mul(a2)).max(vlo).min(vhi).intoArray(c, o + j);
        }
    }
}
