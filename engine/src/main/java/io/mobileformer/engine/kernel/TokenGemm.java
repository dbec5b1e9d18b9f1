package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The product of a few rows (Mobile-Former's 3-6 tokens, or one pooled vector) with constant weights, plus a bias
 * per column: {@code C[i][j] = bias[j] + sum_p A[i][p] * B[p][j]} for at most {@link #MAX_ROWS} rows, B packed in
 * column panels ({@link PackedB}).
 *
 * <p>The general kernel ({@link Gemm#multiply}) packs A into panels of 4 or 8 rows, walks B one 32-column panel at a
 * time and finishes a column bias in a second pass over C ({@link Epilogue#apply}); on a {@code [3, 128] x [128, 32]}
 * token linear that set-up cost more than the arithmetic (measured in the demo model: 103 such steps per image at
 * 16-26 GFLOP/s, 12-16 % of the forward pass). Here A is read in place (one broadcast per row and step of k), the
 * accumulators start from the bias, and two panels of B (64 columns, four vectors) are walked together so that one
 * row has four independent FMA chains and four rows sixteen. Every element of B is loaded once per call and feeds
 * one FMA per row: with so few rows the loads of B, not the FMAs, set the speed.
 *
 * <p>A single row has its own loop (four loads, one broadcast, four FMAs per step of k); two to four rows share the
 * four-row loop, missing rows reading a row of zeros. Columns past {@code n1} are computed in a scratch tile and not
 * stored.
 */
public final class TokenGemm {
    /** Most rows of A the kernel takes. */
    public static final int MAX_ROWS = 4;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Columns of one step: two panels of {@link PackedB}. */
    private static final int BLOCK = 2 * Gemm.NR;

    private TokenGemm() {
    }

    /**
     * The bias for {@link #multiply}: {@code bias} (or zeros when null) padded with zeros to whole steps of the
     * kernel, so that the columns past n read zeros.
     */
    public static float[] paddedBias(final float[] bias, final int n) {
        final float[] padded = new float[(n + BLOCK - 1) / BLOCK * BLOCK];
        if (bias != null) {
            System.arraycopy(bias, 0, padded, 0, n);
        }
        return padded;
    }

    /**
     * Columns {@code [n0, n1)} of {@code C = A B + bias} for the {@code m <= MAX_ROWS} rows of A at
     * {@code a[aOff + i * ars + p * acs]}; C at {@code c[cOff + i * ldc + j]}. {@code n0} must be a multiple of
     * {@code 2 * Gemm.NR}; {@code bias} comes from {@link #paddedBias}.
     */
    public static void multiply(final boolean vector, final int m, final float[] a, final int aOff, final int ars,
                                final int acs, final PackedB b, final float[] bias, final float[] c, final int cOff,
                                final int ldc, final int n0, final int n1) {
        if (m < 1 || m > MAX_ROWS || n0 % BLOCK != 0) {
            throw new IllegalArgumentException("rows " + m + " (1.." + MAX_ROWS + "), first column " + n0
                + " (a multiple of " + BLOCK + ")");
        }
        if (!vector || !Simd.available()) {
            multiplyScalar(m, a, aOff, ars, acs, b, bias, c, cOff, ldc, n0, n1);
            return;
        }
        final int k = b.k;
        final int panels = (b.n + Gemm.NR - 1) / Gemm.NR;
        // a missing row reads zeros at step 0, so the four-row loop has no branch on m
        final float[] zeros = Constants.ZEROS;
        final float[] a1 = m > 1 ? a : zeros;
        final float[] a2 = m > 2 ? a : zeros;
        final float[] a3 = m > 3 ? a : zeros;
        final int o1 = m > 1 ? aOff + ars : 0;
        final int o2 = m > 2 ? aOff + 2 * ars : 0;
        final int o3 = m > 3 ? aOff + 3 * ars : 0;
        final int s2 = m > 2 ? acs : 0;
        final int s3 = m > 3 ? acs : 0;
        for (int j = n0; j < n1; j += BLOCK) {
            final int panel = j / Gemm.NR;
            final int b0 = panel * k * Gemm.NR;
            // a last odd panel is paired with itself; its second half is computed and dropped
            final int b1 = (panel + 1 < panels ? panel + 1 : panel) * k * Gemm.NR;
            final boolean whole = j + BLOCK <= n1;
            final float[] dst = whole ? c : Scratch.get().tile();
            final int d = whole ? cOff + j : 0;
            final int ld = whole ? ldc : BLOCK;
            if (m == 1) {
                row1(a, aOff, acs, b.data, b0, b1, k, bias, j, dst, d);
            } else {
                rows4(a, aOff, a1, o1, a2, o2, s2, a3, o3, s3, acs, b.data, b0, b1, k, bias, j, dst, d, ld, m);
            }
            if (!whole) {
                for (int i = 0; i < m; i++) {
                    System.arraycopy(dst, i * BLOCK, c, cOff + i * ldc + j, n1 - j);
                }
            }
        }
    }

    private static void row1(final float[] a, final int aOff, final int acs, final float[] b, final int b0,
                             final int b1, final int k, final float[] bias, final int j, final float[] c,
                             final int co) {
        FloatVector x0 = FloatVector.fromArray(S, bias, j);
        FloatVector x1 = FloatVector.fromArray(S, bias, j + L);
        FloatVector x2 = FloatVector.fromArray(S, bias, j + 2 * L);
        FloatVector x3 = FloatVector.fromArray(S, bias, j + 3 * L);
        int p0 = b0;
        int p1 = b1;
        int ap = aOff;
        for (int p = 0; p < k; p++, p0 += Gemm.NR, p1 += Gemm.NR, ap += acs) {
            final FloatVector v = FloatVector.broadcast(S, a[ap]);
            x0 = v.fma(FloatVector.fromArray(S, b, p0), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, p0 + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, p1), x2);
            x3 = v.fma(FloatVector.fromArray(S, b, p1 + L), x3);
        }
        x0.intoArray(c, co);
        x1.intoArray(c, co + L);
        x2.intoArray(c, co + 2 * L);
        x3.intoArray(c, co + 3 * L);
    }

    /**
     * Rows 0 and 1 step along k by {@code acs}; rows 2 and 3 by {@code s2}/{@code s3}, 0 when they are missing and
     * read the zero at {@code a2[o2]}/{@code a3[o3]}.
     */
    private static void rows4(final float[] a0, final int o0, final float[] a1, final int o1, final float[] a2,
                              final int o2, final int s2, final float[] a3, final int o3, final int s3, final int acs,
                              final float[] b, final int b0, final int b1, final int k, final float[] bias,
                              final int j, final float[] c, final int co, final int ldc, final int m) {
        final FloatVector z0 = FloatVector.fromArray(S, bias, j);
        final FloatVector z1 = FloatVector.fromArray(S, bias, j + L);
        final FloatVector z2 = FloatVector.fromArray(S, bias, j + 2 * L);
        final FloatVector z3 = FloatVector.fromArray(S, bias, j + 3 * L);
        FloatVector c00 = z0;
        FloatVector c01 = z1;
        FloatVector c02 = z2;
        FloatVector c03 = z3;
        FloatVector c10 = z0;
        FloatVector c11 = z1;
        FloatVector c12 = z2;
        FloatVector c13 = z3;
        FloatVector c20 = z0;
        FloatVector c21 = z1;
        FloatVector c22 = z2;
        FloatVector c23 = z3;
        FloatVector c30 = z0;
        FloatVector c31 = z1;
        FloatVector c32 = z2;
        FloatVector c33 = z3;
        int p0 = b0;
        int p1 = b1;
        int q0 = o0;
        int q1 = o1;
        int q2 = o2;
        int q3 = o3;
        for (int p = 0; p < k; p++, p0 += Gemm.NR, p1 += Gemm.NR, q0 += acs, q1 += acs, q2 += s2, q3 += s3) {
            final FloatVector y0 = FloatVector.fromArray(S, b, p0);
            final FloatVector y1 = FloatVector.fromArray(S, b, p0 + L);
            final FloatVector y2 = FloatVector.fromArray(S, b, p1);
            final FloatVector y3 = FloatVector.fromArray(S, b, p1 + L);
            FloatVector v = FloatVector.broadcast(S, a0[q0]);
            c00 = v.fma(y0, c00);
            c01 = v.fma(y1, c01);
            c02 = v.fma(y2, c02);
            c03 = v.fma(y3, c03);
            v = FloatVector.broadcast(S, a1[q1]);
            c10 = v.fma(y0, c10);
            c11 = v.fma(y1, c11);
            c12 = v.fma(y2, c12);
            c13 = v.fma(y3, c13);
            v = FloatVector.broadcast(S, a2[q2]);
            c20 = v.fma(y0, c20);
            c21 = v.fma(y1, c21);
            c22 = v.fma(y2, c22);
            c23 = v.fma(y3, c23);
            v = FloatVector.broadcast(S, a3[q3]);
            c30 = v.fma(y0, c30);
            c31 = v.fma(y1, c31);
            c32 = v.fma(y2, c32);
            c33 = v.fma(y3, c33);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + 2 * L);
        c03.intoArray(c, co + 3 * L);
        int o = co + ldc;
        c10.intoArray(c, o);
        c11.intoArray(c, o + L);
        c12.intoArray(c, o + 2 * L);
        c13.intoArray(c, o + 3 * L);
        if (m > 2) {
            o += ldc;
            c20.intoArray(c, o);
            c21.intoArray(c, o + L);
            c22.intoArray(c, o + 2 * L);
            c23.intoArray(c, o + 3 * L);
        }
        if (m > 3) {
            o += ldc;
            c30.intoArray(c, o);
            c31.intoArray(c, o + L);
            c32.intoArray(c, o + 2 * L);
            c33.intoArray(c, o + 3 * L);
        }
    }

    /** The scalar reference. */
    private static void multiplyScalar(final int m, final float[] a, final int aOff, final int ars, final int acs,
                                       final PackedB b, final float[] bias, final float[] c, final int cOff,
                                       final int ldc, final int n0, final int n1) {
        final int k = b.k;
        for (int i = 0; i < m; i++) {
            for (int j = n0; j < n1; j++) {
                final int base = j / Gemm.NR * k * Gemm.NR + j % Gemm.NR;
                float s = bias[j];
                for (int p = 0; p < k; p++) {
                    s += a[aOff + i * ars + p * acs] * b.data[base + p * Gemm.NR];
                }
                c[cOff + i * ldc + j] = s;
            }
        }
    }
}
