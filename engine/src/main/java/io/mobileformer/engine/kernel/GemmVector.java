package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API bodies of {@link Gemm}. The micro-kernels are unrolled by hand: C2 keeps the 16 (8 x 2) accumulators in
 * registers only when they are plain locals of one straight-line loop body. Measured on the AVX-512 build host: about
 * 180 GFLOPS for 8 x 2 vectors against ~115 for 4 x 2. Full tiles with a per-row epilogue finish in one tight loop
 * ({@link RowFinish}); edge tiles and the rest go through {@link Epilogue#apply}.
 */
public final class GemmVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns of one micro-tile: two vectors. */
    static final int NR = 2 * L;

    private GemmVector() {
    }

    static void multiply(final PackedA a, final float[] b, final int bOff, final int ldb, final float[] c,
                         final int cOff, final int ldc, final int n0, final int n1, final Epilogue ep,
                         final Epilogue.Inputs in) {
        final int m = a.m;
        final int k = a.k;
        final Scratch scratch = Scratch.get();
        final RowFinish fin = RowFinish.covers(ep, in) ? scratch.rowFinish().set(ep, in, 0, m) : null;
        // column panels outermost: one k x NR panel of B stays in L1 while every row panel of A streams past it
        for (int j = n0; j < n1; j += NR) {
            final int cols = Math.min(NR, n1 - j);
            final float[] bp;
            final int bpo;
            final int bld;
            if (cols == NR) {
                bp = b;
                bpo = bOff + j;
                bld = ldb;
            } else {
                bp = scratch.edgePanel(k * NR);
                for (int p = 0; p < k; p++) {
                    System.arraycopy(b, bOff + p * ldb + j, bp, p * NR, cols);
                    java.util.Arrays.fill(bp, p * NR + cols, (p + 1) * NR, 0f);
                }
                bpo = 0;
                bld = NR;
            }
            for (int i = 0; i < m; i += Gemm.MR) {
                final int w = PackedA.width(m, i);
                final int rows = Math.min(w, m - i);
                final int ao = a.offset + i * k;
                if (cols == NR && fin != null) {
                    // staged in a contiguous tile and finished into C from there (EpilogueVector.finishTile)
                    final float[] t = scratch.tile();
                    kernel(w, a.data, ao, k, bp, bpo, bld, t, 0, NR, rows);
                    EpilogueVector.finishTile(t, NR, c, cOff + i * ldc + j, ldc, rows, fin, i, j);
                    continue;
                }
                if (cols == NR) {
                    kernel(w, a.data, ao, k, bp, bpo, bld, c, cOff + i * ldc + j, ldc, rows);
                } else {
                    final float[] t = scratch.tile();
                    kernel(w, a.data, ao, k, bp, bpo, bld, t, 0, NR, rows);
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(t, r * NR, c, cOff + (i + r) * ldc + j, cols);
                    }
                }
                ep.apply(true, c, cOff + i * ldc + j, ldc, i, rows, j, cols, in);
            }
        }
    }

    private static void kernel(final int width, final float[] ap, final int ao, final int k, final float[] b,
                               final int bo, final int ldb, final float[] c, final int co, final int ldc,
                               final int rows) {
        if (width == Gemm.MR) {
            kernel8(ap, ao, k, b, bo, ldb, c, co, ldc, rows);
        } else {
            kernel4(ap, ao, k, b, bo, ldb, c, co, ldc, rows);
        }
    }

    private static void kernel8(final float[] ap, final int ao, final int k, final float[] b, final int bo,
                                final int ldb, final float[] c, final int co, final int ldc, final int rows) {
        FloatVector c0a = FloatVector.zero(S);
        FloatVector c0b = c0a;
        FloatVector c1a = c0a;
        FloatVector c1b = c0a;
        FloatVector c2a = c0a;
        FloatVector c2b = c0a;
        FloatVector c3a = c0a;
        FloatVector c3b = c0a;
        FloatVector c4a = c0a;
        FloatVector c4b = c0a;
        FloatVector c5a = c0a;
        FloatVector c5b = c0a;
        FloatVector c6a = c0a;
        FloatVector c6b = c0a;
        FloatVector c7a = c0a;
        FloatVector c7b = c0a;
        int a = ao;
        int bp = bo;
        for (int p = 0; p < k; p++, a += Gemm.MR, bp += ldb) {
            final FloatVector b0 = FloatVector.fromArray(S, b, bp);
            final FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c0a = x.fma(b0, c0a);
            c0b = x.fma(b1, c0b);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c1a = x.fma(b0, c1a);
            c1b = x.fma(b1, c1b);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c2a = x.fma(b0, c2a);
            c2b = x.fma(b1, c2b);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c3a = x.fma(b0, c3a);
            c3b = x.fma(b1, c3b);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c4a = x.fma(b0, c4a);
            c4b = x.fma(b1, c4b);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c5a = x.fma(b0, c5a);
            c5b = x.fma(b1, c5b);
            x = FloatVector.broadcast(S, ap[a + 6]);
            c6a = x.fma(b0, c6a);
            c6b = x.fma(b1, c6b);
            x = FloatVector.broadcast(S, ap[a + 7]);
            c7a = x.fma(b0, c7a);
            c7b = x.fma(b1, c7b);
        }
        int o = co;
        c0a.intoArray(c, o);
        c0b.intoArray(c, o + L);
        if (rows > 1) {
            o += ldc;
            c1a.intoArray(c, o);
            c1b.intoArray(c, o + L);
        }
        if (rows > 2) {
            o += ldc;
            c2a.intoArray(c, o);
            c2b.intoArray(c, o + L);
        }
        if (rows > 3) {
            o += ldc;
            c3a.intoArray(c, o);
            c3b.intoArray(c, o + L);
        }
        if (rows > 4) {
            o += ldc;
            c4a.intoArray(c, o);
            c4b.intoArray(c, o + L);
        }
        if (rows > 5) {
            o += ldc;
            c5a.intoArray(c, o);
            c5b.intoArray(c, o + L);
        }
        if (rows > 6) {
            o += ldc;
            c6a.intoArray(c, o);
            c6b.intoArray(c, o + L);
        }
        if (rows > 7) {
            o += ldc;
            c7a.intoArray(c, o);
            c7b.intoArray(c, o + L);
        }
    }

    private static void kernel4(final float[] ap, final int ao, final int k, final float[] b, final int bo,
                                final int ldb, final float[] c, final int co, final int ldc, final int rows) {
        FloatVector c0a = FloatVector.zero(S);
        FloatVector c0b = c0a;
        FloatVector c1a = c0a;
        FloatVector c1b = c0a;
        FloatVector c2a = c0a;
        FloatVector c2b = c0a;
        FloatVector c3a = c0a;
        FloatVector c3b = c0a;
        int a = ao;
        int bp = bo;
        for (int p = 0; p < k; p++, a += Gemm.MR_SMALL, bp += ldb) {
            final FloatVector b0 = FloatVector.fromArray(S, b, bp);
            final FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c0a = x.fma(b0, c0a);
            c0b = x.fma(b1, c0b);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c1a = x.fma(b0, c1a);
            c1b = x.fma(b1, c1b);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c2a = x.fma(b0, c2a);
            c2b = x.fma(b1, c2b);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c3a = x.fma(b0, c3a);
            c3b = x.fma(b1, c3b);
        }
        int o = co;
        c0a.intoArray(c, o);
        c0b.intoArray(c, o + L);
        if (rows > 1) {
            o += ldc;
            c1a.intoArray(c, o);
            c1b.intoArray(c, o + L);
        }
        if (rows > 2) {
            o += ldc;
            c2a.intoArray(c, o);
            c2b.intoArray(c, o + L);
        }
        if (rows > 3) {
            o += ldc;
            c3a.intoArray(c, o);
            c3b.intoArray(c, o + L);
        }
    }

    /** Dot-product form: 2 x 2 blocks of outputs, vectors along k, one lane reduction per output. */
    static void multiplyDot(final int m, final int n, final int k, final float[] a, final int aOff, final int lda,
                            final float[] b, final int bOff, final int ldb, final float[] c, final int cOff,
                            final int crs, final int ccs) {
        final int kv = k - k % L;
        int i = 0;
        for (; i + 2 <= m; i += 2) {
            final int a0 = aOff + i * lda;
            final int a1 = a0 + lda;
            int j = 0;
            for (; j + 2 <= n; j += 2) {
                final int b0 = bOff + j * ldb;
                final int b1 = b0 + ldb;
                FloatVector s00 = FloatVector.zero(S);
                FloatVector s01 = s00;
                FloatVector s10 = s00;
                FloatVector s11 = s00;
                for (int p = 0; p < kv; p += L) {
                    final FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                    final FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
                    final FloatVector y0 = FloatVector.fromArray(S, b, b0 + p);
                    final FloatVector y1 = FloatVector.fromArray(S, b, b1 + p);
                    s00 = x0.fma(y0, s00);
                    s01 = x0.fma(y1, s01);
                    s10 = x1.fma(y0, s10);
                    s11 = x1.fma(y1, s11);
                }
                float t00 = s00.reduceLanes(VectorOperators.ADD);
                float t01 = s01.reduceLanes(VectorOperators.ADD);
                float t10 = s10.reduceLanes(VectorOperators.ADD);
                float t11 = s11.reduceLanes(VectorOperators.ADD);
                for (int p = kv; p < k; p++) {
                    t00 += a[a0 + p] * b[b0 + p];
                    t01 += a[a0 + p] * b[b1 + p];
                    t10 += a[a1 + p] * b[b0 + p];
                    t11 += a[a1 + p] * b[b1 + p];
                }
                final int o = cOff + i * crs + j * ccs;
                c[o] = t00;
                c[o + ccs] = t01;
                c[o + crs] = t10;
                c[o + crs + ccs] = t11;
            }
            for (; j < n; j++) {
                c[cOff + i * crs + j * ccs] = dot(a, a0, b, bOff + j * ldb, k, kv);
                c[cOff + (i + 1) * crs + j * ccs] = dot(a, a1, b, bOff + j * ldb, k, kv);
            }
        }
        for (; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[cOff + i * crs + j * ccs] = dot(a, aOff + i * lda, b, bOff + j * ldb, k, kv);
            }
        }
    }

    private static float dot(final float[] a, final int ao, final float[] b, final int bo, final int k,
                             final int kv) {
        FloatVector s = FloatVector.zero(S);
        for (int p = 0; p < kv; p += L) {
            s = FloatVector.fromArray(S, a, ao + p).fma(FloatVector.fromArray(S, b, bo + p), s);
        }
        float t = s.reduceLanes(VectorOperators.ADD);
        for (int p = kv; p < k; p++) {
            t += a[ao + p] * b[bo + p];
        }
        return t;
    }
}
