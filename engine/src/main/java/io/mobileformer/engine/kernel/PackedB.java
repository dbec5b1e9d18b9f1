package io.mobileformer.engine.kernel;

/**
 * A constant right operand of {@link Gemm} (token-linear weights) stored as consecutive column panels of
 * {@link Gemm#NR} columns, each k-major and zero-padded. The micro-kernel then streams the weights strictly in
 * order: read in place, a {@code 192 x 384} Former weight is walked 128 bytes per 1.5 KB row, which defeated the
 * prefetchers and left token linears at ~4 GB/s, a fifth of a batch-1 forward pass.
 */
public final class PackedB {
    final float[] data;
    final int k;
    final int n;

    private PackedB(final float[] data, final int k, final int n) {
        this.data = data;
        this.k = k;
        this.n = n;
    }

    public int columns() {
        return n;
    }

    /** Packs {@code b[off + p * rs + j * cs]} (k x n, any strides). */
    public static PackedB pack(final float[] b, final int off, final int k, final int n, final int rs, final int cs) {
        final int nr = Gemm.NR;
        final int panels = (n + nr - 1) / nr;
        final float[] dst = new float[panels * k * nr];
        for (int panel = 0; panel < panels; panel++) {
            final int j0 = panel * nr;
            final int w = Math.min(nr, n - j0);
            for (int p = 0; p < k; p++) {
                final int d = (panel * k + p) * nr;
                for (int j = 0; j < w; j++) {
                    dst[d + j] = b[off + p * rs + (j0 + j) * cs];
                }
            }
        }
        return new PackedB(dst, k, n);
    }
}
