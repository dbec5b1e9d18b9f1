package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector 3x3 depthwise convolution.
 *
 * <p>Stride 1: the input plane is copied into a zero-padded plane of pitch {@code ow + 2}. Stride 2: even and odd
 * padded rows, each split into even and odd columns, all at pitch {@code ow + 1}; output {@code (y, x)} then reads
 * {@code E[y][x], E[y][x+1], O[y][x]} of padded rows {@code 2y, 2y+1, 2y+2}, so the strided convolution is a dense
 * loop with no gathers (two-source vector shuffles were slower than a scalar de-interleave on JDK 17).
 *
 * <p>Rows at least a vector wide are computed straight into the output (at stride 1 four rows per pass,
 * {@link #channel4}), the last vector of a row overlapping the one before it instead of a scalar tail, with bias and
 * activation applied in registers. Narrower planes whose rows tile a vector (8x8 and 4x4 in "same" padding, the end of
 * the network) are stored without side padding and computed as whole vectors ({@link #channelNarrow}); other narrow
 * planes run one flat loop over the padded plane, junk columns included, and are compacted afterwards.
 */
public final class DepthwiseConvVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private DepthwiseConvVector() {
    }

    /** Geometry of the padded planes of one channel: where each tap's row starts, relative to the output. */
    private record Taps(int pitch, int planeSize, boolean stride2) {
        /** Offsets of the 9 taps for output flat index {@code y * pitch + x}. */
        int[] offsets() {
            if (!stride2) {
                return new int[] {0, 1, 2, pitch, pitch + 1, pitch + 2, 2 * pitch, 2 * pitch + 1, 2 * pitch + 2};
            }
            final int ee = 0;
            final int eo = planeSize;
            final int oe = 2 * planeSize;
            final int oo = 3 * planeSize;
            return new int[] {ee, eo, ee + 1, oe, oo, oe + 1, ee + pitch, eo + pitch, ee + pitch + 1};
        }
    }

    static void run(final ConvShape s, final float[] in, final int inOff, final float[] weights, final float[] out,
                    final int outOff, final int c0, final int c1, final Epilogue ep, final Epilogue.Inputs epIn) {
        final int mult = s.multiplier();
        final Scratch scratch = Scratch.get();
        final int plane = s.outPlane();
        final boolean stride2 = s.sh() == 2;
        final int pitch = stride2 ? s.ow() + 1 : s.ow() + 2;
        final int planeSize = stride2 ? (s.oh() + 1) * pitch : (s.oh() + 2) * pitch;
        // narrow planes in "same" padding whose rows tile a vector exactly (8x8, 4x4): see channelNarrow
        final boolean narrow = !stride2 && s.ow() < L && L % s.ow() == 0 && s.outPlane() % L == 0
            && s.w() == s.ow() && s.h() == s.oh() && s.padTop() == 1 && s.padLeft() == 1;
        final int scratchSize = narrow ? (s.oh() + 2) * s.ow() + 2 : stride2 ? 4 * planeSize : planeSize;
        final float[] p = scratch.planes(scratchSize);
        final int[] taps = new Taps(pitch, planeSize, stride2).offsets();
        // bias and a per-channel activation fit in registers; a residual or per-pixel slopes need the epilogue pass
        final boolean inRegisters = !ep.residual() && ep.biasCol() == null
            && (ep.activation() != Activation.DYRELU || epIn.slopeLd() == 0);
        final boolean rows = s.ow() >= L;
        // pad and deinterleave write the same cells for every channel, so the padding is zeroed once per call: the
        // small fills around each row of each channel were 20-28 % of the time on the 16x16 and 8x8 planes of the
        // late blocks (288 channels of 16x16 at stride 1: 72 -> 52 us; 576 of 8x8: 70 -> 60 us)
        java.util.Arrays.fill(p, 0, scratchSize, 0f);
        final VectorMask<Float>[] edges = narrow ? EDGES[Integer.numberOfTrailingZeros(s.ow())] : null;
        int prepared = -1;
        for (int oc = c0; oc < c1; oc++) {
            final int ic = oc / mult;
            if (ic != prepared) {
                if (narrow) {
                    System.arraycopy(in, inOff + ic * s.inPlane(), p, 1 + s.ow(), plane);
                } else if (stride2) {
                    deinterleave(s, in, inOff + ic * s.inPlane(), p, pitch, planeSize);
                } else {
                    pad(s, in, inOff + ic * s.inPlane(), p, pitch);
                }
                prepared = ic;
            }
            final int dst = outOff + oc * plane;
            final float[] f = scratch.finish();
            finish(inRegisters ? ep : Epilogue.NONE, epIn, oc, f);
            if (narrow) {
                channelNarrow(p, weights, oc * 9, f, s.ow(), plane, edges[0], edges[1], out, dst);
            } else if (rows && !stride2) {
                final int blocked = s.oh() - s.oh() % BLOCK;
                channel4(p, weights, oc * 9, f, pitch, blocked, s.ow(), out, dst);
                channel(p, taps, weights, oc * 9, f, pitch, blocked, s.oh(), s.ow(), out, dst);
            } else if (rows) {
                channel(p, taps, weights, oc * 9, f, pitch, 0, s.oh(), s.ow(), out, dst);
            } else {
                final int n = (s.oh() - 1) * pitch + s.ow();
                final float[] t = scratch.flat(n + L);
                channel(p, taps, weights, oc * 9, f, 0, 0, 1, n, t, 0);
                for (int y = 0; y < s.oh(); y++) {
                    System.arraycopy(t, y * pitch, out, dst + y * s.ow(), s.ow());
                }
            }
            if (!inRegisters) {
                ep.apply(true, out, dst, plane, oc, 1, 0, plane, epIn);
            }
        }
    }

    /**
     * Lanes at the left and right edge of a row, for plane widths 1, 2, 4, ... L ({@code EDGES[log2(width)]}); the
     * vector starts at a multiple of L, which the width divides, so lane l sits at column {@code l % width}.
     */
    private static final VectorMask<Float>[][] EDGES = edges();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[][] edges() {
        final int n = Integer.numberOfTrailingZeros(L) + 1;
        final VectorMask<Float>[][] masks = new VectorMask[n][2];
        for (int t = 0; t < n; t++) {
            final int width = 1 << t;
            final boolean[] first = new boolean[L];
            final boolean[] last = new boolean[L];
            for (int l = 0; l < L; l++) {
                first[l] = l % width == 0;
                last[l] = l % width == width - 1;
            }
            masks[t][0] = VectorMask.fromArray(S, first, 0);
            masks[t][1] = VectorMask.fromArray(S, last, 0);
        }
        return masks;
    }

    /**
     * Stride 1 on a plane narrower than a vector whose rows tile vectors exactly (8x8 and 4x4 with 16 lanes): the
     * plane is stored without side padding ({@code p[1 + (y + 1) * width + x]}, a zero row above and below, one zero
     * float at each end), so output vector {@code i} reads each tap as one contiguous vector and the outputs are
     * stored in place. A left tap of column 0 then reads the previous row's last value and a right tap of the last
     * column the next row's first; those lanes are replaced by zeros ({@code left}/{@code right}) before their FMA,
     * the padding's value, so that even a non-finite neighbour leaves them as the reference has them. Before, such
     * planes ran flat over a padded copy, junk columns included, and were compacted row by row: 576 channels of 8x8
     * took 0.060 ms, 11 GFLOP/s.
     */
    private static void channelNarrow(final float[] p, final float[] w, final int wo, final float[] f,
                                      final int width, final int n, final VectorMask<Float> left,
                                      final VectorMask<Float> right, final float[] out, final int dst) {
        final FloatVector w0 = FloatVector.broadcast(S, w[wo]);
        final FloatVector w1 = FloatVector.broadcast(S, w[wo + 1]);
        final FloatVector w2 = FloatVector.broadcast(S, w[wo + 2]);
        final FloatVector w3 = FloatVector.broadcast(S, w[wo + 3]);
        final FloatVector w4 = FloatVector.broadcast(S, w[wo + 4]);
        final FloatVector w5 = FloatVector.broadcast(S, w[wo + 5]);
        final FloatVector w6 = FloatVector.broadcast(S, w[wo + 6]);
        final FloatVector w7 = FloatVector.broadcast(S, w[wo + 7]);
        final FloatVector w8 = FloatVector.broadcast(S, w[wo + 8]);
        final FloatVector bias = FloatVector.broadcast(S, f[0]);
        final FloatVector lo = FloatVector.broadcast(S, f[1]);
        final FloatVector hi = FloatVector.broadcast(S, f[2]);
        final FloatVector s1 = FloatVector.broadcast(S, f[3]);
        final FloatVector s2 = FloatVector.broadcast(S, f[4]);
        final FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < n; i += L) {
            // tap (dy, dx) of output i is p[1 + i + (dy + 1) * width + dx]
            final int r0 = 1 + i;
            final int r1 = r0 + width;
            final int r2 = r1 + width;
            FloatVector acc = FloatVector.fromArray(S, p, r0 - 1).blend(zero, left).fma(w0, bias);
            acc = FloatVector.fromArray(S, p, r0).fma(w1, acc);
            acc = FloatVector.fromArray(S, p, r0 + 1).blend(zero, right).fma(w2, acc);
            acc = FloatVector.fromArray(S, p, r1 - 1).blend(zero, left).fma(w3, acc);
            acc = FloatVector.fromArray(S, p, r1).fma(w4, acc);
            acc = FloatVector.fromArray(S, p, r1 + 1).blend(zero, right).fma(w5, acc);
            acc = FloatVector.fromArray(S, p, r2 - 1).blend(zero, left).fma(w6, acc);
            acc = FloatVector.fromArray(S, p, r2).fma(w7, acc);
            acc = FloatVector.fromArray(S, p, r2 + 1).blend(zero, right).fma(w8, acc);
            acc.mul(s1).max(acc.mul(s2)).max(lo).min(hi).intoArray(out, dst + i);
        }
    }

    /** Output rows that {@link #channel4} computes together. */
    private static final int BLOCK = 4;

    /**
     * Stride 1, rows {@code [0, rows)} (a multiple of {@link #BLOCK}) of one channel, four output rows at a time.
     * One row at a time, each output vector costs 9 vector loads for 9 FMAs, and loads are the dearer of the two: on
     * the build host an unaligned 512-bit load costs about 0.47 ns of throughput against 0.14 ns for an FMA (every
     * Java array starts 16 bytes into a cache line, so nearly every 64-byte load splits two lines). Output rows y..y+3
     * read padded rows y..y+5, so each padded row's three shifted vectors are loaded once and feed up to three
     * accumulators: 18 loads for 36 FMAs. Measured in the demo model: 36 channels of 64x64 0.092 -> 0.066 ms, 64 of
     * 32x32 0.088 -> 0.065 ms. Registers: 9 weights, 5 finish terms, 4 accumulators, one loaded vector. All four
     * results are finished and stored at the end of the iteration.
     */
    private static void channel4(final float[] p, final float[] w, final int wo, final float[] f, final int pitch,
                                 final int rows, final int width, final float[] out, final int dst) {
        final FloatVector w0 = FloatVector.broadcast(S, w[wo]);
        final FloatVector w1 = FloatVector.broadcast(S, w[wo + 1]);
        final FloatVector w2 = FloatVector.broadcast(S, w[wo + 2]);
        final FloatVector w3 = FloatVector.broadcast(S, w[wo + 3]);
        final FloatVector w4 = FloatVector.broadcast(S, w[wo + 4]);
        final FloatVector w5 = FloatVector.broadcast(S, w[wo + 5]);
        final FloatVector w6 = FloatVector.broadcast(S, w[wo + 6]);
        final FloatVector w7 = FloatVector.broadcast(S, w[wo + 7]);
        final FloatVector w8 = FloatVector.broadcast(S, w[wo + 8]);
        final FloatVector bias = FloatVector.broadcast(S, f[0]);
        final FloatVector lo = FloatVector.broadcast(S, f[1]);
        final FloatVector hi = FloatVector.broadcast(S, f[2]);
        final FloatVector s1 = FloatVector.broadcast(S, f[3]);
        final FloatVector s2 = FloatVector.broadcast(S, f[4]);
        final int last = width - L;
        for (int y = 0; y < rows; y += BLOCK) {
            final int o = dst + y * width;
            for (int x = 0; ; x += L) {
                final int at = Math.min(x, last);
                // padded row y + r starts at i + r * pitch; output row y + q takes taps 3r'..3r'+2 from padded row
                // y + q + r'
                final int i = y * pitch + at;
                FloatVector v = FloatVector.fromArray(S, p, i);
                FloatVector a0 = v.fma(w0, bias);
                a0 = FloatVector.fromArray(S, p, i + 1).fma(w1, a0);
                a0 = FloatVector.fromArray(S, p, i + 2).fma(w2, a0);
                int r = i + pitch;
                v = FloatVector.fromArray(S, p, r);
                a0 = v.fma(w3, a0);
                FloatVector a1 = v.fma(w0, bias);
                v = FloatVector.fromArray(S, p, r + 1);
                a0 = v.fma(w4, a0);
                a1 = v.fma(w1, a1);
                v = FloatVector.fromArray(S, p, r + 2);
                a0 = v.fma(w5, a0);
                a1 = v.fma(w2, a1);
                r += pitch;
                v = FloatVector.fromArray(S, p, r);
                a0 = v.fma(w6, a0);
                a1 = v.fma(w3, a1);
                FloatVector a2 = v.fma(w0, bias);
                v = FloatVector.fromArray(S, p, r + 1);
                a0 = v.fma(w7, a0);
                a1 = v.fma(w4, a1);
                a2 = v.fma(w1, a2);
                v = FloatVector.fromArray(S, p, r + 2);
                a0 = v.fma(w8, a0);
                a1 = v.fma(w5, a1);
                a2 = v.fma(w2, a2);
                r += pitch;
                v = FloatVector.fromArray(S, p, r);
                a1 = v.fma(w6, a1);
                a2 = v.fma(w3, a2);
                FloatVector a3 = v.fma(w0, bias);
                v = FloatVector.fromArray(S, p, r + 1);
                a1 = v.fma(w7, a1);
                a2 = v.fma(w4, a2);
                a3 = v.fma(w1, a3);
                v = FloatVector.fromArray(S, p, r + 2);
                a1 = v.fma(w8, a1);
                a2 = v.fma(w5, a2);
                a3 = v.fma(w2, a3);
                r += pitch;
                v = FloatVector.fromArray(S, p, r);
                a2 = v.fma(w6, a2);
                a3 = v.fma(w3, a3);
                v = FloatVector.fromArray(S, p, r + 1);
                a2 = v.fma(w7, a2);
                a3 = v.fma(w4, a3);
                v = FloatVector.fromArray(S, p, r + 2);
                a2 = v.fma(w8, a2);
                a3 = v.fma(w5, a3);
                r += pitch;
                a3 = FloatVector.fromArray(S, p, r).fma(w6, a3);
                a3 = FloatVector.fromArray(S, p, r + 1).fma(w7, a3);
                a3 = FloatVector.fromArray(S, p, r + 2).fma(w8, a3);
                a0.mul(s1).max(a0.mul(s2)).max(lo).min(hi).intoArray(out, o + at);
                a1.mul(s1).max(a1.mul(s2)).max(lo).min(hi).intoArray(out, o + width + at);
                a2.mul(s1).max(a2.mul(s2)).max(lo).min(hi).intoArray(out, o + 2 * width + at);
                a3.mul(s1).max(a3.mul(s2)).max(lo).min(hi).intoArray(out, o + 3 * width + at);
                if (at == last) {
                    break;
                }
            }
        }
    }

    /**
     * Runs {@code [from, rows)} of {@code width} outputs; run y reads the planes from flat index {@code y * pitch} and
     * writes {@code out[dst + y * width ...]}. A run of at least one vector ends with a vector overlapping its
     * predecessor; shorter runs finish in scalar code. Taps, weights and activation are locals here so C2 keeps them
     * in registers.
     */
    private static void channel(final float[] p, final int[] taps, final float[] w, final int wo, final float[] f,
                                final int pitch, final int from, final int rows, final int width, final float[] out,
                                final int dst) {
        final int t0 = taps[0];
        final int t1 = taps[1];
        final int t2 = taps[2];
        final int t3 = taps[3];
        final int t4 = taps[4];
        final int t5 = taps[5];
        final int t6 = taps[6];
        final int t7 = taps[7];
        final int t8 = taps[8];
        final FloatVector w0 = FloatVector.broadcast(S, w[wo]);
        final FloatVector w1 = FloatVector.broadcast(S, w[wo + 1]);
        final FloatVector w2 = FloatVector.broadcast(S, w[wo + 2]);
        final FloatVector w3 = FloatVector.broadcast(S, w[wo + 3]);
        final FloatVector w4 = FloatVector.broadcast(S, w[wo + 4]);
        final FloatVector w5 = FloatVector.broadcast(S, w[wo + 5]);
        final FloatVector w6 = FloatVector.broadcast(S, w[wo + 6]);
        final FloatVector w7 = FloatVector.broadcast(S, w[wo + 7]);
        final FloatVector w8 = FloatVector.broadcast(S, w[wo + 8]);
        final FloatVector bias = FloatVector.broadcast(S, f[0]);
        final FloatVector lo = FloatVector.broadcast(S, f[1]);
        final FloatVector hi = FloatVector.broadcast(S, f[2]);
        final FloatVector s1 = FloatVector.broadcast(S, f[3]);
        final FloatVector s2 = FloatVector.broadcast(S, f[4]);
        final int last = width - L;
        for (int y = from; y < rows; y++) {
            final int base = y * pitch;
            final int o = dst + y * width;
            if (last < 0) {
                for (int x = 0; x < width; x++) {
                    final float v = scalarTapSum(p, base + x, taps, w, wo) + f[0];
                    out[o + x] = Math.min(Math.max(Math.max(v * f[3], v * f[4]), f[1]), f[2]);
                }
                continue;
            }
            for (int x = 0; ; x += L) {
                final int at = Math.min(x, last);
                final int i = base + at;
                FloatVector acc = FloatVector.fromArray(S, p, i + t0).fma(w0, bias);
                acc = FloatVector.fromArray(S, p, i + t1).fma(w1, acc);
                acc = FloatVector.fromArray(S, p, i + t2).fma(w2, acc);
                acc = FloatVector.fromArray(S, p, i + t3).fma(w3, acc);
                acc = FloatVector.fromArray(S, p, i + t4).fma(w4, acc);
                acc = FloatVector.fromArray(S, p, i + t5).fma(w5, acc);
                acc = FloatVector.fromArray(S, p, i + t6).fma(w6, acc);
                acc = FloatVector.fromArray(S, p, i + t7).fma(w7, acc);
                acc = FloatVector.fromArray(S, p, i + t8).fma(w8, acc);
                // every activation as one branch-free formula (see EpilogueVector)
                acc.mul(s1).max(acc.mul(s2)).max(lo).min(hi).intoArray(out, o + at);
                if (at == last) {
                    break;
                }
            }
        }
    }

    private static float scalarTapSum(final float[] p, final int i, final int[] t, final float[] w, final int wo) {
        float acc = 0f;
        for (int k = 0; k < 9; k++) {
            acc += p[i + t[k]] * w[wo + k];
        }
        return acc;
    }

    /**
     * Bias and per-channel activation of one output channel as {bias, lo, hi, s1, s2}, applied to accumulators before
     * they are stored as {@code min(max(max(v * s1, v * s2), lo), hi)}.
     */
    private static void finish(final Epilogue ep, final Epilogue.Inputs in, final int channel, final float[] f) {
        f[0] = ep.biasRow() == null ? 0f : ep.biasRow()[channel];
        f[1] = ep.floor();
        f[2] = ep.ceiling();
        final boolean dy = ep.activation() == Activation.DYRELU;
        f[3] = dy ? in.slope1()[in.slope1Off() + channel] : 1f;
        f[4] = dy ? in.slope2()[in.slope2Off() + channel] : 1f;
    }

    /**
     * Zero-padded copy: padded (r, c) holds input (r - padTop, c - padLeft). Only the cells inside the input are
     * written; the caller has zeroed the rest.
     */
    private static void pad(final ConvShape s, final float[] in, final int src, final float[] p, final int pitch) {
        final int rows = s.oh() + 2;
        final int x0 = Math.max(0, s.padLeft());
        final int ix0 = x0 - s.padLeft();
        final int len = Math.min(s.w() - ix0, pitch - x0);
        if (len <= 0) {
            return;
        }
        for (int r = Math.max(0, s.padTop()); r < rows; r++) {
            final int iy = r - s.padTop();
            if (iy >= s.h()) {
                break;
            }
            System.arraycopy(in, src + iy * s.w() + ix0, p, r * pitch + x0, len);
        }
    }

    /**
     * Four planes of {@code planeSize}: even padded rows split into even columns (EE) and odd columns (EO), then odd
     * padded rows likewise (OE, OO). Row j of an even plane is padded row 2j; column j of an E*-plane is padded
     * column 2j. Only the cells inside the input are written; the caller has zeroed the rest.
     */
    private static void deinterleave(final ConvShape s, final float[] in, final int src, final float[] p,
                                     final int pitch, final int planeSize) {
        final int paddedRows = 2 * s.oh() + 1;
        final int paddedCols = 2 * s.ow() + 1;
        final int pl = s.padLeft();
        // padded columns whose input column c - pl exists
        final int cLo = Math.max(0, pl);
        final int cHi = Math.min(paddedCols, s.w() + pl);
        for (int r = 0; r < paddedRows; r++) {
            final int iy = r - s.padTop();
            if (iy < 0 || iy >= s.h()) {
                continue;
            }
            final int base = ((r & 1) == 0 ? 0 : 2 * planeSize) + (r >> 1) * pitch;
            final int srcRow = src + iy * s.w() - pl;
            int c = cLo;
            if ((c & 1) == 1) {
                p[base + planeSize + (c >> 1)] = in[srcRow + c];
                c++;
            }
            final int even = base + (c >> 1);
            final int odd = base + planeSize + (c >> 1);
            final int pairs = (cHi - c) >> 1;
            for (int j = 0; j < pairs; j++) {
                p[even + j] = in[srcRow + c + 2 * j];
                p[odd + j] = in[srcRow + c + 2 * j + 1];
            }
            if (c + 2 * pairs < cHi) {
                p[even + pairs] = in[srcRow + c + 2 * pairs];
            }
        }
    }
}
