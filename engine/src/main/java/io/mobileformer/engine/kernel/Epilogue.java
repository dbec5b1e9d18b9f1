package io.mobileformer.engine.kernel;

/**
 * What happens to each output of a convolution or matrix product after the sum of products, in this order: add a
 * bias per row and/or per column, add a residual tensor, apply the activation. The fixed part (biases, activation,
 * clip bounds) is bound once per plan; tensors that live in the per-call arena (residual, DY-ReLU slopes) arrive per
 * call as {@link Inputs}.
 *
 * <p>Rows and columns are those of the product as computed: for a 1x1 convolution rows are output channels and
 * columns pixels.
 */
public record Epilogue(float[] biasRow, float[] biasCol, Activation activation, float lo, float hi,
                       boolean residual) {

    public static final Epilogue NONE = new Epilogue(null, null, Activation.NONE, 0, 0, false);

    public static Epilogue bias(final float[] biasRow) {
        return new Epilogue(biasRow, null, Activation.NONE, 0, 0, false);
    }

    public boolean isIdentity() {
        return biasRow == null && biasCol == null && activation == Activation.NONE && !residual;
    }

    /**
     * The activation's lower clamp as the vector kernels write it, {@code min(max(max(v * s1, v * s2), floor),
     * ceiling)}: 0 for ReLU, {@link #lo} for Clip, none otherwise.
     */
    float floor() {
        return activation == Activation.RELU ? 0f : activation == Activation.CLIP ? lo : Float.NEGATIVE_INFINITY;
    }

    /** The activation's upper clamp: {@link #hi} for Clip, none otherwise. */
    float ceiling() {
        return activation == Activation.CLIP ? hi : Float.POSITIVE_INFINITY;
    }

    /**
     * Per-call tensors. {@code residual[resOff + row * resLd + col]} is added when the epilogue has a residual. Slope
     * k is read at {@code slopeK[slopeKOff + row]} when {@code slopeLd == 0} (per channel), else at
     * {@code slopeK[slopeKOff + row * slopeLd + col]}.
     */
    public record Inputs(float[] residual, int resOff, int resLd, float[] slope1, int slope1Off, float[] slope2,
                         int slope2Off, int slopeLd) {
        public static final Inputs NONE = new Inputs(null, 0, 0, null, 0, null, 0, 0);

        public static Inputs residual(final float[] residual, final int resOff, final int resLd) {
            return new Inputs(residual, resOff, resLd, null, 0, null, 0, 0);
        }
    }

    /**
     * Applies the epilogue to {@code rows x cols} outputs at {@code c[cOff + r * ldc + j]}; {@code row0}/{@code col0}
     * say where that block sits in the whole product (for the biases).
     */
    public void apply(final boolean vector, final float[] c, final int cOff, final int ldc, final int row0,
                      final int rows, final int col0, final int cols, final Inputs in) {
        if (isIdentity()) {
            return;
        }
        if (vector) {
            EpilogueVector.apply(this, c, cOff, ldc, row0, rows, col0, cols, in);
        } else {
            applyScalar(c, cOff, ldc, row0, rows, col0, cols, in);
        }
    }

    void applyScalar(final float[] c, final int cOff, final int ldc, final int row0, final int rows, final int col0,
                     final int cols, final Inputs in) {
        for (int r = 0; r < rows; r++) {
            final int row = row0 + r;
            final float br = biasRow == null ? 0f : biasRow[row];
            final int o = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = c[o + j] + br;
                if (biasCol != null) {
                    v += biasCol[col0 + j];
                }
                if (residual) {
                    v += in.residual()[in.resOff() + row * in.resLd() + col0 + j];
                }
                c[o + j] = activate(v, row, col0 + j, in);
            }
        }
    }

    float activate(final float v, final int row, final int col, final Inputs in) {
        switch (activation) {
            case RELU:
                return Math.max(v, 0f);
            case CLIP:
                return Math.min(Math.max(v, lo), hi);
            case DYRELU: {
                final int s = in.slopeLd() == 0 ? row : row * in.slopeLd() + col;
                return Math.max(v * in.slope1()[in.slope1Off() + s], v * in.slope2()[in.slope2Off() + s]);
            }
            default:
                return v;
        }
    }
}
