package io.mobileformer.streams.inference.java.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector 3x3 depthwise convolution.
 *
 * <p>Stride 1: the input plane is copied into a zero-padded plane of pitch {@code ow + 2}; then
 * {@code t[i] = sum w[dy][dx] * P[i + dy * pitch + dx]} over the flat index reproduces every output at
 * {@code t[y * pitch + x]} (two junk columns per row), one vector of 16 outputs per 9 fused multiply-adds.
 *
 * <p>Stride 2: even and odd padded rows, each split into even and odd columns, all at pitch {@code ow + 1}. Output
 * {@code (y, x)} then reads {@code E[y][x], E[y][x+1], O[y][x]} of padded rows {@code 2y, 2y+1, 2y+2}, which are the
 * same flat index in those planes: the strided convolution becomes a dense flat loop with no gathers.
 * Two-source vector shuffles were slower than the scalar de-interleave on JDK 17.
 */
final class DepthwiseConvVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private DepthwiseConvVector() {
    }

    static void run(final ConvShape s, final float[] in, final int inOff, final float[] weights, final float[] out,
                    final int outOff, final int c0, final int c1, final Epilogue ep, final Epilogue.Inputs epIn) {
        final int mult = s.multiplier();
        final Scratch scratch = Scratch.get();
        final int plane = s.outPlane();
        int prepared = -1;
        for (int oc = c0; oc < c1; oc++) {
            final int ic = oc / mult;
            final int dst = outOff + oc * plane;
            if (s.sh() == 1) {
                final int pitch = s.ow() + 2;
                final float[] p = scratch.planes((s.oh() + 2) * pitch);
                if (ic != prepared) {
                    pad(s, in, inOff + ic * s.inPlane(), p, pitch);
                    prepared = ic;
                }
                final int n = (s.oh() - 1) * pitch + s.ow();
                final float[] t = scratch.flat(n + L);
                stride1(p, pitch, weights, oc * 9, t, n);
                compact(t, pitch, out, dst, s.oh(), s.ow());
            } else {
                final int pitch = s.ow() + 1;
                final int planeSize = (s.oh() + 1) * pitch;
                final float[] p = scratch.planes(4 * planeSize);
                if (ic != prepared) {
                    deinterleave(s, in, inOff + ic * s.inPlane(), p, pitch, planeSize);
                    prepared = ic;
                }
                final int n = (s.oh() - 1) * pitch + s.ow();
                final float[] t = scratch.flat(n + L);
                stride2(p, pitch, planeSize, weights, oc * 9, t, n);
                compact(t, pitch, out, dst, s.oh(), s.ow());
            }
            ep.apply(true, out, dst, plane, oc, 1, 0, plane, epIn);
        }
    }

    /** Zero-padded copy: padded (r, c) holds input (r - padTop, c - padLeft). */
    private static void pad(final ConvShape s, final float[] in, final int src, final float[] p, final int pitch) {
        final int rows = s.oh() + 2;
        java.util.Arrays.fill(p, 0, rows * pitch, 0f);
        for (int r = 0; r < rows; r++) {
            final int iy = r - s.padTop();
            if (iy < 0 || iy >= s.h()) {
                continue;
            }
            final int x0 = Math.max(0, s.padLeft());
            final int ix0 = x0 - s.padLeft();
            final int len = Math.min(s.w() - ix0, pitch - x0);
            if (len > 0) {
                System.arraycopy(in, src + iy * s.w() + ix0, p, r * pitch + x0, len);
            }
        }
    }

    /**
     * Four planes of {@code planeSize}: even padded rows split into even columns (EE) and odd columns (EO), then odd
     * padded rows likewise (OE, OO). Row j of an even plane is padded row 2j; column j of an E*-plane is padded
     * column 2j.
     */
    private static void deinterleave(final ConvShape s, final float[] in, final int src, final float[] p,
                                     final int pitch, final int planeSize) {
        java.util.Arrays.fill(p, 0, 4 * planeSize, 0f);
        final int paddedRows = 2 * s.oh() + 1;
        final int paddedCols = 2 * s.ow() + 1;
        for (int r = 0; r < paddedRows; r++) {
            final int iy = r - s.padTop();
            if (iy < 0 || iy >= s.h()) {
                continue;
            }
            final int base = (r & 1) == 0 ? 0 : 2 * planeSize;
            final int row = (r >> 1) * pitch;
            final int srcRow = src + iy * s.w();
            for (int c = 0; c < paddedCols; c++) {
                final int ix = c - s.padLeft();
                if (ix >= 0 && ix < s.w()) {
                    p[base + ((c & 1) == 0 ? 0 : planeSize) + row + (c >> 1)] = in[srcRow + ix];
                }
            }
        }
    }

    private static void stride1(final float[] p, final int pitch, final float[] w, final int wo, final float[] t,
                                final int n) {
        final FloatVector w00 = FloatVector.broadcast(S, w[wo]);
        final FloatVector w01 = FloatVector.broadcast(S, w[wo + 1]);
        final FloatVector w02 = FloatVector.broadcast(S, w[wo + 2]);
        final FloatVector w10 = FloatVector.broadcast(S, w[wo + 3]);
        final FloatVector w11 = FloatVector.broadcast(S, w[wo + 4]);
        final FloatVector w12 = FloatVector.broadcast(S, w[wo + 5]);
        final FloatVector w20 = FloatVector.broadcast(S, w[wo + 6]);
        final FloatVector w21 = FloatVector.broadcast(S, w[wo + 7]);
        final FloatVector w22 = FloatVector.broadcast(S, w[wo + 8]);
        final int r1 = pitch;
        final int r2 = 2 * pitch;
        final int nv = n - n % L;
        int i = 0;
        for (; i < nv; i += L) {
            FloatVector acc = FloatVector.fromArray(S, p, i).mul(w00);
            acc = FloatVector.fromArray(S, p, i + 1).fma(w01, acc);
            acc = FloatVector.fromArray(S, p, i + 2).fma(w02, acc);
            acc = FloatVector.fromArray(S, p, i + r1).fma(w10, acc);
            acc = FloatVector.fromArray(S, p, i + r1 + 1).fma(w11, acc);
            acc = FloatVector.fromArray(S, p, i + r1 + 2).fma(w12, acc);
            acc = FloatVector.fromArray(S, p, i + r2).fma(w20, acc);
            acc = FloatVector.fromArray(S, p, i + r2 + 1).fma(w21, acc);
            acc = FloatVector.fromArray(S, p, i + r2 + 2).fma(w22, acc);
            acc.intoArray(t, i);
        }
        for (; i < n; i++) {
            t[i] = p[i] * w[wo] + p[i + 1] * w[wo + 1] + p[i + 2] * w[wo + 2]
                + p[i + r1] * w[wo + 3] + p[i + r1 + 1] * w[wo + 4] + p[i + r1 + 2] * w[wo + 5]
                + p[i + r2] * w[wo + 6] + p[i + r2 + 1] * w[wo + 7] + p[i + r2 + 2] * w[wo + 8];
        }
    }

    private static void stride2(final float[] p, final int pitch, final int planeSize, final float[] w, final int wo,
                                final float[] t, final int n) {
        final int ee = 0;
        final int eo = planeSize;
        final int oe = 2 * planeSize;
        final int oo = 3 * planeSize;
        final FloatVector w00 = FloatVector.broadcast(S, w[wo]);
        final FloatVector w01 = FloatVector.broadcast(S, w[wo + 1]);
        final FloatVector w02 = FloatVector.broadcast(S, w[wo + 2]);
        final FloatVector w10 = FloatVector.broadcast(S, w[wo + 3]);
        final FloatVector w11 = FloatVector.broadcast(S, w[wo + 4]);
        final FloatVector w12 = FloatVector.broadcast(S, w[wo + 5]);
        final FloatVector w20 = FloatVector.broadcast(S, w[wo + 6]);
        final FloatVector w21 = FloatVector.broadcast(S, w[wo + 7]);
        final FloatVector w22 = FloatVector.broadcast(S, w[wo + 8]);
        final int nv = n - n % L;
        int i = 0;
        for (; i < nv; i += L) {
            // padded row 2y: EE[y][x], EO[y][x], EE[y][x+1]
            FloatVector acc = FloatVector.fromArray(S, p, ee + i).mul(w00);
            acc = FloatVector.fromArray(S, p, eo + i).fma(w01, acc);
            acc = FloatVector.fromArray(S, p, ee + i + 1).fma(w02, acc);
            // padded row 2y+1
            acc = FloatVector.fromArray(S, p, oe + i).fma(w10, acc);
            acc = FloatVector.fromArray(S, p, oo + i).fma(w11, acc);
            acc = FloatVector.fromArray(S, p, oe + i + 1).fma(w12, acc);
            // padded row 2y+2 is even row y+1
            acc = FloatVector.fromArray(S, p, ee + i + pitch).fma(w20, acc);
            acc = FloatVector.fromArray(S, p, eo + i + pitch).fma(w21, acc);
            acc = FloatVector.fromArray(S, p, ee + i + pitch + 1).fma(w22, acc);
            acc.intoArray(t, i);
        }
        for (; i < n; i++) {
            t[i] = p[ee + i] * w[wo] + p[eo + i] * w[wo + 1] + p[ee + i + 1] * w[wo + 2]
                + p[oe + i] * w[wo + 3] + p[oo + i] * w[wo + 4] + p[oe + i + 1] * w[wo + 5]
                + p[ee + i + pitch] * w[wo + 6] + p[eo + i + pitch] * w[wo + 7] + p[ee + i + pitch + 1] * w[wo + 8];
        }
    }

    private static void compact(final float[] t, final int pitch, final float[] out, final int dst, final int oh,
                                final int ow) {
        for (int y = 0; y < oh; y++) {
            System.arraycopy(t, y * pitch, out, dst + y * ow, ow);
        }
    }
}
