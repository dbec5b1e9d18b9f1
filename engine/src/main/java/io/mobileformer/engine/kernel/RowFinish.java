package io.mobileformer.engine.kernel;

/**
 * An {@link Epilogue} reduced to a table that finishes each full tile of a vector product in one tight loop right
 * after the kernel stored it ({@link EpilogueVector#finishTile}), instead of {@link Epilogue#apply}, whose per-row
 * set-up on tiles of 2 vectors was as costly as a short product (measured per tile with per-channel DY-ReLU: +100 %
 * for a 48 x 16 x 16384 product, +42 % for 576 x 96 x 256, +4 % for 96 x 576 x 256).
 *
 * <p>Covers the epilogues whose terms are per row of the product (per output channel) plus a residual: bias per row,
 * residual, and the activation written as {@code min(max(max(v * s1, v * s2), lo), hi)} with per-row slopes (see
 * {@link EpilogueVector}). A column bias or per-pixel slopes stay with {@link Epilogue#apply}.
 *
 * <p>One per thread ({@link Scratch#rowFinish()}); {@link #set} fills it for one call of a kernel.
 */
final class RowFinish {
    /** {@code lo, hi}, then {@code bias, s1, s2} of each row, for whole panels of rows. */
    float[] table = new float[2];
    /** The residual, or a row of zeros read at offset 0 with {@link #resLd} 0. */
    float[] residual = Constants.ZEROS;
    /** Offset of the residual of product row 0, column 0. */
    int resOff;
    int resLd;

    /** True when {@code ep} has only per-row terms (and a residual), so {@link EpilogueVector#finishTile} covers it. */
    static boolean covers(final Epilogue ep, final Epilogue.Inputs in) {
        return !ep.isIdentity() && ep.biasCol() == null && (ep.activation() != Activation.DYRELU || in.slopeLd() == 0);
    }

    /** Fills this for {@code m} rows of a product starting at row {@code row0} of the epilogue; returns this. */
    RowFinish set(final Epilogue ep, final Epilogue.Inputs in, final int row0, final int m) {
        final int n = 2 + 3 * PackedA.panels(m) * Gemm.MR;
        if (table.length < n) {
            table = new float[n];
        }
        final float[] f = table;
        f[0] = ep.floor();
        f[1] = ep.ceiling();
        final boolean dy = ep.activation() == Activation.DYRELU;
        for (int r = 0; 2 + 3 * r < n; r++) {
            final int o = 2 + 3 * r;
            final int row = row0 + r;
            f[o] = ep.biasRow() == null || r >= m ? 0f : ep.biasRow()[row];
            f[o + 1] = dy && r < m ? in.slope1()[in.slope1Off() + row] : 1f;
            f[o + 2] = dy && r < m ? in.slope2()[in.slope2Off() + row] : 1f;
        }
        residual = ep.residual() ? in.residual() : Constants.ZEROS;
        resOff = ep.residual() ? in.resOff() + row0 * in.resLd() : 0;
        resLd = ep.residual() ? in.resLd() : 0;
        return this;
    }

    /** Offset of the residual of product row {@code i}, column {@code j}. */
    int residualAt(final int i, final int j) {
        return resLd == 0 ? 0 : resOff + i * resLd + j;
    }
}
