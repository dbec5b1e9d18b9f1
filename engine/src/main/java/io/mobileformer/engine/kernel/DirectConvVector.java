package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector body of {@link DirectConv}.
 *
 * <p>The product is the micro-kernel of {@link GemmVector} (8 rows of A x 2 vectors of C in registers, one broadcast
 * of A per row and step of k) with row {@code p} of B at {@code base + taps[p]} instead of {@code base + p * ldb}. It
 * is a hand-unrolled copy rather than a shared method because C2 keeps the accumulators in registers only as plain
 * locals of one straight-line body, and an offset table in GEMM's loop would cost the 1x1 convolutions a load per k.
 * Tiles run column panel outermost, so the K x {@link #NR} panel of B read from the phase planes stays in L1 while
 * every row panel of the weights passes over it. Per-row epilogues finish each full tile in one tight loop
 * ({@link EpilogueVector#finishTile}): with K = 27 a tile is only ~250 cycles of FMAs, and the general epilogue pass
 * per tile cost about as much again (stem with 16 outputs: 85 us of product, +70 us with that pass).
 *
 * <p>Stride-2 phases are split with vectors: L floats of an input row reinterpreted as L/2 longs, whose low and high
 * halves (narrowed with {@code L2I}) are the even and odd columns: 4.7 us against 12.2 us for a scalar loop on a
 * 256x256 plane; no two-source shuffle is involved (those were slower than scalar code on JDK 17, see
 * {@link DepthwiseConvVector}).
 */
final class DirectConvVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int NR = 2 * L;
    /**
     * Ints of the same shape as {@link #S}. Narrowing into a half-size shape instead made C2 box the accumulators of
     * the product kernels: the float vectors of two shapes left the shared Vector API methods with a bimorphic
     * profile (688 kB of garbage per stem, 2x slower).
     */
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    private DirectConvVector() {
    }

    /** Output rows [y0, y1) from phases at {@code p[pOff ...]} whose first row belongs to output row {@code y0}. */
    static void multiply(final ConvShape s, final PackedA a, final int[] taps, final float[] p, final int pOff,
                         final int pitch, final float[] out, final int outOff, final int y0, final int y1,
                         final Epilogue ep, final Epilogue.Inputs in) {
        final int m = a.m;
        final int ow = s.ow();
        final int plane = s.outPlane();
        final Scratch scratch = Scratch.get();
        final float[] tile = scratch.tile();
        final RowFinish fin = RowFinish.covers(ep, in) ? scratch.rowFinish().set(ep, in, 0, m) : null;
        for (int y = y0; y < y1; y++) {
            final int base = pOff + (y - y0) * pitch;
            for (int x = 0; x < ow; x += NR) {
                final int cols = Math.min(NR, ow - x);
                final int pixel = y * ow + x;
                for (int i = 0; i < m; i += Gemm.MR) {
                    final int w = PackedA.width(m, i);
                    final int rows = Math.min(w, m - i);
                    final int ao = a.offset + i * a.k;
                    final int co = outOff + i * plane + pixel;
                    if (cols == NR && fin != null) {
                        kernel(w, a.data, ao, taps, p, base + x, tile, 0, NR, rows);
                        EpilogueVector.finishTile(tile, NR, out, co, plane, rows, fin, i, pixel);
                        continue;
                    }
                    if (cols == NR) {
                        kernel(w, a.data, ao, taps, p, base + x, out, co, plane, rows);
                    } else {
                        kernel(w, a.data, ao, taps, p, base + x, tile, 0, NR, rows);
                        for (int r = 0; r < rows; r++) {
                            System.arraycopy(tile, r * NR, out, co + r * plane, cols);
                        }
                    }
                    ep.apply(true, out, co, plane, i, rows, pixel, cols, in);
                }
            }
        }
    }

    private static void kernel(final int width, final float[] ap, final int ao, final int[] taps, final float[] b,
                               final int base, final float[] c, final int co, final int ldc, final int rows) {
        if (width == Gemm.MR) {
            kernel8(ap, ao, taps, b, base, c, co, ldc, rows);
        } else {
            kernel4(ap, ao, taps, b, base, c, co, ldc, rows);
        }
    }

    private static void kernel8(final float[] ap, final int ao, final int[] taps, final float[] b,
                                final int base, final float[] c, final int co, final int ldc, final int rows) {
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
        for (int p = 0; p < taps.length; p++, a += Gemm.MR) {
            final int bp = base + taps[p];
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

    private static void kernel4(final float[] ap, final int ao, final int[] taps, final float[] b,
                                final int base, final float[] c, final int co, final int ldc, final int rows) {
        FloatVector c0a = FloatVector.zero(S);
        FloatVector c0b = c0a;
        FloatVector c1a = c0a;
        FloatVector c1b = c0a;
        FloatVector c2a = c0a;
        FloatVector c2b = c0a;
        FloatVector c3a = c0a;
        FloatVector c3b = c0a;
        int a = ao;
        for (int p = 0; p < taps.length; p++, a += Gemm.MR_SMALL) {
            final int bp = base + taps[p];
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

    /**
     * Stride-2 columns of one input row into two phase rows: padded column {@code pc = ix + padLeft} goes to row
     * {@code even} or {@code odd} by its parity, at {@code pc >> 1}, for the columns below {@code 2 * pitch}. The
     * caller zeroes the padding first: each vector step stores L/2 values followed by L/2 zeros, which the next step,
     * the scalar tail or the padding overwrite or agree with.
     */
    static void splitRow2(final float[] in, final int src, final int w, final int padLeft, final float[] p,
                          final int even, final int odd, final int pitch) {
        final int end = Math.min(w, 2 * pitch - padLeft);
        // pairs start at the first input column whose padded column is even
        int ix = padLeft & 1;
        if (ix == 1 && end > 0) {
            p[odd + (padLeft >> 1)] = in[src];
        }
        for (int j = (ix + padLeft) >> 1; ix + L <= end && j + L <= pitch; ix += L, j += L / 2) {
            final LongVector pairs = FloatVector.fromArray(S, in, src + ix).reinterpretAsLongs();
            ((IntVector) pairs.convertShape(VectorOperators.L2I, I, 0)).reinterpretAsFloats().intoArray(p, even + j);
            ((IntVector) pairs.lanewise(VectorOperators.LSHR, 32).convertShape(VectorOperators.L2I, I, 0))
                .reinterpretAsFloats().intoArray(p, odd + j);
        }
        for (; ix < end; ix++) {
            final int pc = ix + padLeft;
            p[((pc & 1) == 0 ? even : odd) + (pc >> 1)] = in[src + ix];
        }
    }
}
