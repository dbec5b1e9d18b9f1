package io.mobileformer.engine.kernel;

/**
 * The left operand of {@link Gemm} rearranged for the micro-kernel: consecutive panels of {@link Gemm#MR} rows, each
 * stored k-major ({@code panel[p * width + r]}), so one broadcast per row and step of k reads memory in order. The
 * last panel is {@link Gemm#MR_SMALL} rows wide when at most that many rows remain, so a 6-token attention product
 * does not pay for 8 rows. Missing rows are zero.
 *
 * <p>Convolution weights are packed once per plan; activations that enter a product on the left are packed per call
 * into {@link Scratch}.
 */
public final class PackedA {
    final float[] data;
    final int offset;
    final int m;
    final int k;

    PackedA(final float[] data, final int offset, final int m, final int k) {
        this.data = data;
        this.offset = offset;
        this.m = m;
        this.k = k;
    }

    public int rows() {
        return m;
    }

    public int depth() {
        return k;
    }

    /** Floats a packed m x k operand occupies. */
    public static int size(final int m, final int k) {
        return panels(m) * Gemm.MR * k;
    }

    static int panels(final int m) {
        return (m + Gemm.MR - 1) / Gemm.MR;
    }

    /** Width of the panel that starts at row {@code i}. */
    static int width(final int m, final int i) {
        return m - i <= Gemm.MR_SMALL ? Gemm.MR_SMALL : Gemm.MR;
    }

    /** Packs {@code a[off + i * rs + p * cs]} (m x k, any strides) into a new array. */
    public static PackedA pack(final float[] a, final int off, final int m, final int k, final int rs, final int cs) {
        final float[] dst = new float[size(m, k)];
        packInto(dst, 0, a, off, m, k, rs, cs);
        return new PackedA(dst, 0, m, k);
    }

    /** Packs into {@code dst} at {@code dstOff} (which needs {@link #size} floats) and returns the view. */
    public static PackedA packInto(final float[] dst, final int dstOff, final float[] a, final int off, final int m,
                                   final int k, final int rs, final int cs) {
        int d = dstOff;
        for (int i = 0; i < m; i += Gemm.MR) {
            final int w = width(m, i);
            final int rows = Math.min(w, m - i);
            for (int p = 0; p < k; p++) {
                final int src = off + i * rs + p * cs;
                for (int r = 0; r < rows; r++) {
                    dst[d + r] = a[src + r * rs];
                }
                for (int r = rows; r < w; r++) {
                    dst[d + r] = 0f;
                }
                d += w;
            }
        }
        return new PackedA(dst, dstOff, m, k);
    }
}
