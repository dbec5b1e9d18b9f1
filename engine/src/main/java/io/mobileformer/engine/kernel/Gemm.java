package io.mobileformer.engine.kernel;

/**
 * Single-precision matrix products, the kernel behind 1x1 convolutions, im2col convolutions, {@code MatMul} and
 * {@code Gemm}.
 *
 * <p>Two forms cover every operand layout our graphs produce without copying large tensors:
 * <ul>
 *   <li>{@link #multiply}: A packed into row panels ({@link PackedA}), B read in place along rows with unit column
 *       stride. The vector micro-kernel keeps an {@value #MR} x (2 vectors) tile of C in registers and broadcasts one
 *       value of A per row and step of k; this is where convolutions spend their time.</li>
 *   <li>{@link #multiplyDot}: both operands contiguous along k (attention values {@code P * X^T}, where k is the
 *       pixel count and the output is only tokens x channels). Vectors run along k.</li>
 * </ul>
 * Every kernel has a scalar twin, the reference that tests compare the vector path with.
 */
public final class Gemm {
    /** Rows of a full panel of A. */
    public static final int MR = 8;
    /** Rows of the narrow last panel used when at most this many rows remain. */
    public static final int MR_SMALL = 4;
    /** Columns of a micro-tile: two vectors; column ranges handed to workers are multiples of this. */
    public static final int NR = Simd.available() ? 2 * Simd.lanes() : 32;

    private Gemm() {
    }

    /**
     * {@code C[i][j] = sum_p A[i][p] * B[p][j]} for all rows of A and columns [n0, n1), then the epilogue.
     * B is {@code b[bOff + p * ldb + j]}; C is {@code c[cOff + i * ldc + j]}. Columns outside [n0, n1) are not
     * touched, so workers can split a product by columns.
     */
    public static void multiply(final boolean vector, final PackedA a, final float[] b, final int bOff, final int ldb,
                                final float[] c, final int cOff, final int ldc, final int n0, final int n1,
                                final Epilogue ep, final Epilogue.Inputs in) {
        if (n1 <= n0 || a.m == 0) {
            return;
        }
        if (a.k == 0) {
            for (int i = 0; i < a.m; i++) {
                java.util.Arrays.fill(c, cOff + i * ldc + n0, cOff + i * ldc + n1, 0f);
            }
            ep.apply(vector, c, cOff + n0, ldc, 0, a.m, n0, n1 - n0, in);
            return;
        }
        if (vector) {
            GemmVector.multiply(a, b, bOff, ldb, c, cOff, ldc, n0, n1, ep, in);
        } else {
            multiplyScalar(a, b, bOff, ldb, c, cOff, ldc, n0, n1, ep, in);
        }
    }

    /**
     * Like {@link #multiply} with B pre-packed in panels; {@code n0} must be a multiple of {@link #NR}. Each panel is
     * handed to the in-place kernel at row stride {@code NR}, with the base offset shifted so that global column
     * indices (which the epilogue needs) address the panel.
     */
    public static void multiply(final boolean vector, final PackedA a, final PackedB b, final float[] c,
                                final int cOff, final int ldc, final int n0, final int n1, final Epilogue ep,
                                final Epilogue.Inputs in) {
        for (int j = n0; j < n1; j += NR) {
            final int panelBase = j / NR * b.k * NR;
            multiply(vector, a, b.data, panelBase - j, NR, c, cOff, ldc, j, Math.min(j + NR, n1), ep, in);
        }
    }

    /**
     * Like {@link #multiply} for a B with any strides ({@code b[bOff + p * brs + j * bcs]}): a B without unit column
     * stride is first copied into scratch in row-major order.
     */
    public static void multiplyStrided(final boolean vector, final PackedA a, final float[] b, final int bOff,
                                       final int brs, final int bcs, final int n, final float[] c, final int cOff,
                                       final int ldc, final Epilogue ep, final Epilogue.Inputs in) {
        if (bcs == 1) {
            multiply(vector, a, b, bOff, brs, c, cOff, ldc, 0, n, ep, in);
            return;
        }
        final int k = a.k;
        final float[] t = Scratch.get().rowMajorB(k * n);
        for (int p = 0; p < k; p++) {
            final int src = bOff + p * brs;
            final int dst = p * n;
            for (int j = 0; j < n; j++) {
                t[dst + j] = b[src + j * bcs];
            }
        }
        multiply(vector, a, t, 0, n, c, cOff, ldc, 0, n, ep, in);
    }

    /**
     * {@code C[i][j] = sum_p A[aOff + i * lda + p] * B[bOff + j * ldb + p]}, written at
     * {@code c[cOff + i * crs + j * ccs]}: both operands contiguous along k, the output at any strides.
     */
    public static void multiplyDot(final boolean vector, final int m, final int n, final int k, final float[] a,
                                   final int aOff, final int lda, final float[] b, final int bOff, final int ldb,
                                   final float[] c, final int cOff, final int crs, final int ccs) {
        if (vector) {
            GemmVector.multiplyDot(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, crs, ccs);
            return;
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                final int ao = aOff + i * lda;
                final int bo = bOff + j * ldb;
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    s += a[ao + p] * b[bo + p];
                }
                c[cOff + i * crs + j * ccs] = s;
            }
        }
    }

    /** Row-major {@code C = A * B} without epilogue: for tests and benchmarks. */
    public static void multiply(final boolean vector, final int m, final int n, final int k, final float[] a,
                                final float[] b, final float[] c) {
        multiply(vector, PackedA.pack(a, 0, m, k, k, 1), b, 0, n, c, 0, n, 0, n, Epilogue.NONE,
            Epilogue.Inputs.NONE);
    }

    /** The textbook triple loop, for benchmarks to show what blocking buys. */
    public static void multiplyNaive(final int m, final int n, final int k, final float[] a, final float[] b,
                                     final float[] c) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = s;
            }
        }
    }

    /** Tiles of MR x NR_SCALAR accumulated in a small array the JIT keeps in cache (and often vectorizes). */
    private static final int NR_SCALAR = 16;

    private static void multiplyScalar(final PackedA a, final float[] b, final int bOff, final int ldb, final float[] c,
                                       final int cOff, final int ldc, final int n0, final int n1, final Epilogue ep,
                                       final Epilogue.Inputs in) {
        final float[] acc = Scratch.get().tile();
        final int m = a.m;
        final int k = a.k;
        for (int i = 0; i < m; i += MR) {
            final int w = PackedA.width(m, i);
            final int rows = Math.min(w, m - i);
            final int ao = a.offset + i * k;
            for (int j = n0; j < n1; j += NR_SCALAR) {
                final int cols = Math.min(NR_SCALAR, n1 - j);
                java.util.Arrays.fill(acc, 0f);
                for (int p = 0; p < k; p++) {
                    final int ap = ao + p * w;
                    final int bp = bOff + p * ldb + j;
                    for (int r = 0; r < rows; r++) {
                        final float av = a.data[ap + r];
                        final int t = r * NR_SCALAR;
                        for (int jj = 0; jj < cols; jj++) {
                            acc[t + jj] += av * b[bp + jj];
                        }
                    }
                }
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(acc, r * NR_SCALAR, c, cOff + (i + r) * ldc + j, cols);
                }
                ep.applyScalar(c, cOff + i * ldc + j, ldc, i, rows, j, cols, in);
            }
        }
    }
}
