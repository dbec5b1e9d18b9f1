package io.mobileformer.engine;

import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.BinaryOp;
import io.mobileformer.engine.kernel.Broadcast;
import io.mobileformer.engine.kernel.ConvShape;
import io.mobileformer.engine.kernel.DepthwiseConv;
import io.mobileformer.engine.kernel.DirectConv;
import io.mobileformer.engine.kernel.Elementwise;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.kernel.FastMath;
import io.mobileformer.engine.kernel.Gemm;
import io.mobileformer.engine.kernel.Im2col;
import io.mobileformer.engine.kernel.LayerNorm;
import io.mobileformer.engine.kernel.PackedA;
import io.mobileformer.engine.kernel.PackedB;
import io.mobileformer.engine.kernel.Simd;
import io.mobileformer.engine.kernel.Softmax;
import io.mobileformer.engine.kernel.TokenGemm;
import io.mobileformer.engine.kernel.UnaryOp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Vector kernels against their scalar twins (the reference), and the scalar twins against textbook loops, on shapes
 * that hit every edge: rows not a multiple of the panel, columns not a multiple of the tile, planes narrower than a
 * vector.
 */
class KernelTest {
    private static final float TOL = 2e-5f;

    @BeforeAll
    static void vectorApiPresent() {
        assumeTrue(Simd.available(), "the Vector API module is not resolved in this JVM");
    }

    private static float[] random(final Random r, final int n) {
        final float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static void assertClose(final float[] expected, final float[] actual, final float tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            final float t = tol * Math.max(1f, Math.abs(expected[i]));
            final int at = i;
            assertTrue(Math.abs(expected[i] - actual[i]) <= t,
                () -> "at " + at + ": " + expected[at] + " vs " + actual[at]);
        }
    }

    @ParameterizedTest(name = "gemm {0}x{1}x{2}")
    @CsvSource({"1, 1, 1", "3, 17, 5", "8, 32, 16", "13, 70, 33", "6, 4096, 8", "96, 49, 576", "5, 300, 1"})
    void gemmVectorMatchesScalarAndNaive(final int m, final int n, final int k) {
        final Random r = new Random(m * 1000L + n * 10L + k);
        final float[] a = random(r, m * k);
        final float[] b = random(r, k * n);
        final float[] naive = new float[m * n];
        Gemm.multiplyNaive(m, n, k, a, b, naive);
        final float[] scalar = new float[m * n];
        Gemm.multiply(false, m, n, k, a, b, scalar);
        final float[] vector = new float[m * n];
        Gemm.multiply(true, m, n, k, a, b, vector);
        assertClose(naive, scalar, TOL);
        assertClose(scalar, vector, TOL);
        // the same with B packed in panels, a bias per row and per column, a residual and ReLU6
        final float[] biasRow = random(r, m);
        final float[] biasCol = random(r, n);
        final float[] residual = random(r, m * n);
        final Epilogue ep = new Epilogue(biasRow, biasCol, Activation.CLIP, 0f, 6f, true);
        final Epilogue.Inputs in = Epilogue.Inputs.residual(residual, 0, n);
        final float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                final float v = naive[i * n + j] + biasRow[i] + biasCol[j] + residual[i * n + j];
                expected[i * n + j] = Math.min(Math.max(v, 0f), 6f);
            }
        }
        final PackedA pa = PackedA.pack(a, 0, m, k, k, 1);
        final PackedB pb = PackedB.pack(b, 0, k, n, n, 1);
        for (final boolean vector2 : new boolean[] {false, true}) {
            final float[] c = new float[m * n];
            Gemm.multiply(vector2, pa, pb, c, 0, n, 0, n, ep, in);
            assertClose(expected, c, TOL);
        }
    }

    /**
     * Epilogues with per-row terms only, which the vector product applies to full tiles as it copies them from the
     * kernel's staging tile into C (and with a pass over edge tiles): bias and ReLU; a residual with per-channel DY-ReLU
     * slopes; ReLU6 alone.
     * Against the scalar product, with B in place and packed, on shapes with narrow last panels and edge tiles.
     */
    @ParameterizedTest(name = "gemm with row epilogue {0}x{1}x{2}")
    @CsvSource({"3, 17, 5", "8, 32, 16", "13, 70, 33", "20, 96, 7", "4, 64, 40", "96, 49, 576", "1, 33, 2"})
    void gemmRowEpiloguesInRegisters(final int m, final int n, final int k) {
        final Random r = new Random(m * 77L + n * 3L + k);
        final float[] a = random(r, m * k);
        final float[] b = random(r, k * n);
        final float[] bias = random(r, m);
        final float[] residual = random(r, 3 + m * n);
        final float[] s1 = random(r, 2 + m);
        final float[] s2 = random(r, 1 + m);
        final Epilogue[] epilogues = {new Epilogue(bias, null, Activation.RELU, 0, 0, false),
            new Epilogue(bias, null, Activation.DYRELU, 0, 0, true), new Epilogue(null, null, Activation.CLIP, 0f, 6f,
            false)};
        final Epilogue.Inputs[] inputs = {Epilogue.Inputs.NONE,
            new Epilogue.Inputs(residual, 3, n, s1, 2, s2, 1, 0), Epilogue.Inputs.NONE};
        final PackedA pa = PackedA.pack(a, 0, m, k, k, 1);
        final PackedB pb = PackedB.pack(b, 0, k, n, n, 1);
        for (int e = 0; e < epilogues.length; e++) {
            final float[] expected = new float[m * n];
            Gemm.multiply(false, pa, b, 0, n, expected, 0, n, 0, n, epilogues[e], inputs[e]);
            final float[] inPlace = new float[m * n];
            Gemm.multiply(true, pa, b, 0, n, inPlace, 0, n, 0, n, epilogues[e], inputs[e]);
            assertClose(expected, inPlace, TOL);
            final float[] packed = new float[m * n];
            Gemm.multiply(true, pa, pb, packed, 0, n, 0, n, epilogues[e], inputs[e]);
            assertClose(expected, packed, TOL);
        }
    }

    @ParameterizedTest(name = "dot {0}x{1}x{2}")
    @CsvSource({"3, 8, 4096", "6, 12, 1000", "1, 1, 7", "5, 3, 17"})
    void dotFormWithStridedOutput(final int m, final int n, final int k) {
        final Random r = new Random(k);
        final float[] a = random(r, m * k);
        final float[] bt = random(r, n * k);          // B transposed: n rows of k
        final float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * bt[j * k + p];
                }
                expected[j * m + i] = (float) s;     // written transposed: row stride 1, column stride m
            }
        }
        for (final boolean vector : new boolean[] {false, true}) {
            final float[] c = new float[m * n];
            Gemm.multiplyDot(vector, m, n, k, a, 0, k, bt, 0, k, c, 0, 1, m);
            assertClose(expected, c, 1e-4f);
        }
    }

    /**
     * The token kernel, vector and scalar, against a double-precision sum: every row count it takes, A read at a
     * column stride other than 1 (a transposed token matrix), widths that end inside a panel (24, 48, 130), in the
     * second panel of a step (96) or on a step (64), and a column range that starts past 0 and stops short of n (a
     * worker's chunk). Columns outside the range must be left as they were.
     */
    @ParameterizedTest(name = "token gemm m {0} k {1} n {2} acs {3} columns [{4}, {5})")
    @CsvSource({"1, 128, 32, 1, 0, 32", "3, 128, 128, 1, 0, 128", "3, 128, 24, 1, 0, 24", "2, 12, 130, 1, 0, 130",
        "4, 33, 96, 1, 0, 96", "3, 64, 48, 5, 0, 48", "1, 32, 1152, 1, 64, 1000", "4, 7, 200, 3, 128, 200"})
    void tokenGemmMatchesDoubleSums(final int m, final int k, final int n, final int acs, final int n0,
                                    final int n1) {
        final Random r = new Random(m * 1000L + k * 10L + n);
        final int ars = acs == 1 ? k : 1;
        final float[] a = random(r, m * k * Math.max(acs, 1) + 7);
        final float[] b = random(r, k * n);
        final float[] bias = random(r, n);
        final int aOff = 3;
        final int ldc = n + 5;
        final float[] expected = new float[m * ldc];
        java.util.Arrays.fill(expected, -7f);
        for (int i = 0; i < m; i++) {
            for (int j = n0; j < n1; j++) {
                double sum = bias[j];
                for (int p = 0; p < k; p++) {
                    sum += (double) a[aOff + i * ars + p * acs] * b[p * n + j];
                }
                expected[i * ldc + j] = (float) sum;
            }
        }
        final PackedB packed = PackedB.pack(b, 0, k, n, n, 1);
        for (final boolean vector : new boolean[] {false, Simd.available()}) {
            final float[] c = new float[m * ldc];
            java.util.Arrays.fill(c, -7f);
            TokenGemm.multiply(vector, m, a, aOff, ars, acs, packed, TokenGemm.paddedBias(bias, n), c, 0, ldc, n0, n1);
            assertClose(expected, c, 1e-4f);
        }
    }

    @ParameterizedTest(name = "depthwise {0}x{1} stride {2} multiplier {3}")
    @CsvSource({"25, 42, 2, 1", "13, 21, 1, 1", "8, 8, 1, 2", "16, 16, 2, 3", "5, 3, 1, 1", "7, 9, 2, 1",
        "64, 64, 1, 1", "18, 16, 1, 1", "7, 33, 1, 1", "4, 17, 1, 2", "9, 64, 2, 1", "12, 37, 2, 2", "8, 8, 1, 1", "4, 4, 1, 3", "6, 8, 1, 1", "2, 2, 1, 1", "4, 8, 1, 1"})
    void depthwiseVectorMatchesScalar(final int h, final int w, final int stride, final int mult) {
        final int cin = 5;
        final ConvShape s = ConvShape.of(cin, h, w, cin * mult, 3, 3, stride, stride, 1, 1, 1, 1, cin);
        final Random r = new Random(h * 100L + w);
        final float[] x = random(r, cin * h * w);
        final float[] wts = random(r, cin * mult * 9);
        final float[] bias = random(r, cin * mult);
        final float[] s1 = random(r, cin * mult);
        final float[] s2 = random(r, cin * mult);
        final Epilogue ep = new Epilogue(bias, null, Activation.DYRELU, 0, 0, false);
        final Epilogue.Inputs in = new Epilogue.Inputs(null, 0, 0, s1, 0, s2, 0, 0);
        final float[] scalar = new float[cin * mult * s.outPlane()];
        DepthwiseConv.run(false, s, x, 0, wts, scalar, 0, 0, cin * mult, ep, in);
        final float[] vector = new float[scalar.length];
        DepthwiseConv.run(true, s, x, 0, wts, vector, 0, 0, cin * mult, ep, in);
        assertClose(scalar, vector, TOL);
        assertEquals((h + 2 - 3) / stride + 1, s.oh());
    }

    /**
     * Narrow planes store rows without side padding, so a left or right tap of an edge column reads the neighbouring
     * row; those lanes must read the padding's zero. An infinite value at a row's end (and a NaN at a row's start) must
     * then reach exactly the outputs the scalar reference gives it, not the next (or previous) row's edge outputs
     * through a zero weight (0 x inf is NaN).
     */
    @Test
    void narrowDepthwiseEdgesReadZerosNotTheNeighbouringRow() {
        assumeTrue(Simd.available());
        final ConvShape s = ConvShape.of(2, 8, 8, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        final Random r = new Random(5);
        final float[] x = random(r, 2 * 64);
        x[7] = Float.POSITIVE_INFINITY;            // channel 0, row 0, last column
        x[64 + 3 * 8] = Float.NaN;                 // channel 1, row 3, first column
        final float[] wts = random(r, 2 * 9);
        final Epilogue ep = Epilogue.bias(random(r, 2));
        final float[] scalar = new float[2 * 64];
        DepthwiseConv.run(false, s, x, 0, wts, scalar, 0, 0, 2, ep, Epilogue.Inputs.NONE);
        final float[] vector = new float[scalar.length];
        DepthwiseConv.run(true, s, x, 0, wts, vector, 0, 0, 2, ep, Epilogue.Inputs.NONE);
        int nonFinite = 0;
        for (int i = 0; i < scalar.length; i++) {
            if (!Float.isFinite(scalar[i])) {
                nonFinite++;
                assertTrue(!Float.isFinite(vector[i]), "output " + i);
            } else {
                assertEquals(scalar[i], vector[i], 1e-4f, "output " + i);
            }
        }
        assertEquals(4 + 6, nonFinite);            // a corner cell reaches 4 outputs, an edge cell 6
    }

    /**
     * The direct dense convolution against im2col plus the scalar product (the path it replaces), with every epilogue
     * input it may see: bias and ReLU6 as in the stem and per-channel DY-ReLU slopes (both applied in registers), then
     * a residual and per-pixel slopes (the epilogue pass). Shapes cover a
     * narrow last weight panel (cout 12, 5, 1), rows that end in a partial tile (ow 33, 47, 20), one phase (stride 1)
     * and several (strides 2 and 3, unequal), odd kernels and asymmetric or no padding.
     */
    @ParameterizedTest(name = "direct conv cin {0} {1}x{2} -> {3}, k {4}x{5}, stride {6}x{7}, pads {8} {9} {10} {11}")
    @CsvSource({"3, 64, 64, 16, 3, 3, 2, 2, 1, 1, 1, 1", "3, 66, 94, 12, 3, 3, 2, 2, 0, 1, 1, 0",
        "1, 40, 33, 5, 3, 3, 1, 1, 1, 1, 1, 1", "4, 17, 40, 1, 5, 5, 1, 1, 2, 2, 2, 2",
        "2, 30, 99, 9, 1, 3, 2, 3, 0, 1, 0, 1", "6, 9, 64, 16, 3, 1, 1, 2, 1, 0, 1, 0",
        "3, 24, 39, 8, 2, 2, 2, 2, 0, 0, 0, 0", "5, 12, 20, 7, 3, 3, 1, 1, 1, 1, 1, 1",
        "3, 45, 77, 10, 5, 5, 2, 2, 2, 2, 2, 2", "2, 7, 13, 3, 3, 3, 2, 2, 1, 1, 1, 1"})
    void directConvMatchesIm2colProduct(final int cin, final int h, final int w, final int cout, final int kh,
                                        final int kw, final int sh, final int sw, final int pt, final int pl,
                                        final int pb, final int pr) {
        final ConvShape s = ConvShape.of(cin, h, w, cout, kh, kw, sh, sw, pt, pl, pb, pr, 1);
        assertEquals(s.ow() >= Gemm.NR, DirectConv.covers(s));
        final Random r = new Random(cin * 7919L + h * 31L + w);
        final int k = cin * kh * kw;
        final int plane = s.outPlane();
        final float[] x = random(r, cin * h * w);
        final float[] wts = random(r, cout * k);
        final float[] bias = random(r, cout);
        final float[] residual = random(r, cout * plane);
        final float[] s1 = random(r, cout * plane);
        final float[] s2 = random(r, cout * plane);
        final float[] channelS1 = random(r, cout);
        final float[] channelS2 = random(r, cout);
        final float[] shifted = new float[2 + x.length];
        System.arraycopy(x, 0, shifted, 2, x.length);
        final PackedA packed = PackedA.pack(wts, 0, cout, k, k, 1);
        final Epilogue[] epilogues = {new Epilogue(bias, null, Activation.CLIP, 0f, 6f, false),
            new Epilogue(bias, null, Activation.DYRELU, 0, 0, false),
            new Epilogue(bias, null, Activation.DYRELU, 0, 0, true)};
        final Epilogue.Inputs[] inputs = {Epilogue.Inputs.NONE,
            new Epilogue.Inputs(null, 0, 0, channelS1, 0, channelS2, 0, 0),
            new Epilogue.Inputs(residual, 0, plane, s1, 0, s2, 0, plane)};
        for (int e = 0; e < epilogues.length; e++) {
            final float[] col = new float[Im2col.size(s)];
            Im2col.run(s, x, 0, col, 0, 0, cin);
            final float[] expected = new float[cout * plane];
            Gemm.multiply(false, packed, col, 0, plane, expected, 0, plane, 0, plane, epilogues[e], inputs[e]);
            // input and output at offsets, rows in two calls as two workers would take them, in bands of one row, of
            // three rows and of the default size (which may hold the whole image)
            for (final DirectConv conv : new DirectConv[] {new DirectConv(s, wts, 1), new DirectConv(s, wts, 3),
                new DirectConv(s, wts)}) {
                final float[] out = new float[5 + cout * plane];
                final int third = s.oh() / 3;
                conv.run(shifted, 2, out, 5, 0, third, epilogues[e], inputs[e]);
                conv.run(shifted, 2, out, 5, third, s.oh(), epilogues[e], inputs[e]);
                assertClose(expected, java.util.Arrays.copyOfRange(out, 5, out.length), TOL);
            }
        }
    }

    @Test
    void softmaxRowsAndColumns() {
        final Random r = new Random(3);
        for (final int[] shape : new int[][] {{4, 1000, 1}, {3, 6, 4096}, {2, 3, 17}, {5, 7, 1}}) {
            final float[] x = random(r, shape[0] * shape[1] * shape[2]);
            for (int i = 0; i < x.length; i++) {
                x[i] *= 30f;
            }
            final float[] scalar = new float[x.length];
            Softmax.run(false, x, 0, scalar, 0, shape[1], shape[2], 0, shape[0]);
            final float[] vector = x.clone();
            Softmax.run(true, vector, 0, vector, 0, shape[1], shape[2], 0, shape[0]);     // in place
            assertClose(scalar, vector, 1e-5f);
            for (int o = 0; o < shape[0]; o++) {
                for (int i = 0; i < shape[2]; i++) {
                    double sum = 0;
                    for (int a = 0; a < shape[1]; a++) {
                        sum += vector[(o * shape[1] + a) * shape[2] + i];
                    }
                    assertEquals(1.0, sum, 1e-5);
                }
            }
        }
    }

    @Test
    void layerNormAndElementwise() {
        final Random r = new Random(4);
        final int d = 192;
        final float[] x = random(r, 6 * d);
        final float[] g = random(r, d);
        final float[] b = random(r, d);
        final float[] scalar = new float[x.length];
        LayerNorm.run(false, x, 0, scalar, 0, d, g, b, 1e-5f, 0, 6);
        final float[] vector = new float[x.length];
        LayerNorm.run(true, x, 0, vector, 0, d, g, b, 1e-5f, 0, 6);
        assertClose(scalar, vector, TOL);
        // only the functions with a vector kernel: the others run the scalar loop either way (and some are NaN here)
        for (final UnaryOp op : java.util.Arrays.stream(UnaryOp.values()).filter(UnaryOp::vectorized).toList()) {
            final float[] ys = new float[x.length];
            final float[] yv = new float[x.length];
            Elementwise.unary(false, op, 1f / 6f, 0.5f, x, 0, ys, 0, x.length);
            Elementwise.unary(true, op, 1f / 6f, 0.5f, x, 0, yv, 0, x.length);
            assertClose(ys, yv, TOL);
        }
        final int[] out = {3, 4, 5, 6};
        final int[] small = {3, 4, 1, 1};
        final Broadcast bc = Broadcast.of(out, out, small);
        final float[] big = random(r, 360);
        final float[] per = random(r, 12);
        for (final BinaryOp op : java.util.Arrays.stream(BinaryOp.values()).filter(BinaryOp::vectorized).toList()) {
            final float[] ys = new float[360];
            final float[] yv = new float[360];
            Elementwise.binary(false, op, bc, big, 0, per, 0, ys, 0, 0, bc.rows());
            Elementwise.binary(true, op, bc, big, 0, per, 0, yv, 0, 0, bc.rows());
            assertClose(ys, yv, TOL);
            assertEquals(op.apply(big[359], per[11]), ys[359], 1e-6f);
        }
    }

    @Test
    void expAndErfAreAccurate() {
        for (float x = -59f; x < 80f; x += 0.37f) {
            assertEquals(Math.exp(x), FastMath.exp(x), Math.exp(x) * 2e-7);
        }
        final double[][] erf = {{0, 0}, {0.5, 0.5204998778}, {1, 0.8427007929}, {-2, -0.9953222650}, {3, 0.9999779095}};
        for (final double[] e : erf) {
            assertEquals(e[1], FastMath.erf((float) e[0]), 2e-7);
        }
    }
}
