package io.mobileformer.engine.kernel;

/**
 * Per-thread scratch for kernels, one array per purpose so that a kernel calling another never hands it a buffer
 * it is about to overwrite (a strided B copied for {@link Gemm} is itself cut into edge panels). Each array grows to
 * the largest request and is then reused: steady-state inference allocates nothing here. Thread confinement makes it
 * safe for concurrent engine calls and pool workers alike.
 */
public final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    private float[] rowMajorB = new float[0];
    private float[] edgePanel = new float[0];
    private float[] planes = new float[0];
    private float[] flat = new float[0];
    private float[] softmaxRows = new float[0];
    private float[] erfInput = new float[0];
    private final RowFinish rowFinish = new RowFinish();
    private final float[] finish = new float[5];
    private final float[] tile = new float[Gemm.MR * 128];
    private final float[][] splats = {new float[64], new float[64]};

    private Scratch() {
    }

    static Scratch get() {
        return LOCAL.get();
    }

    /** A right operand copied to row-major order ({@link Gemm#multiplyStrided}). */
    float[] rowMajorB(final int size) {
        if (rowMajorB.length < size) {
            rowMajorB = new float[size];
        }
        return rowMajorB;
    }

    /** A zero-padded last column panel of B. */
    float[] edgePanel(final int size) {
        if (edgePanel.length < size) {
            edgePanel = new float[size];
        }
        return edgePanel;
    }

    /** Padded or de-interleaved input planes of a depthwise convolution, or a band's phases of a {@link DirectConv}. */
    float[] planes(final int size) {
        if (planes.length < size) {
            planes = new float[size];
        }
        return planes;
    }

    /** A depthwise output plane at the padded pitch, before compaction. */
    float[] flat(final int size) {
        if (flat.length < size) {
            flat = new float[size];
        }
        return flat;
    }

    /** A copy of an in-place erf's input. */
    float[] erfInput(final float[] x, final int xo, final int n) {
        if (erfInput.length < n) {
            erfInput = new float[n];
        }
        System.arraycopy(x, xo, erfInput, 0, n);
        return erfInput;
    }

    /** The five per-channel epilogue values of a depthwise convolution. */
    float[] finish() {
        return finish;
    }

    /** The per-row epilogue that the vector products finish their tiles with. */
    RowFinish rowFinish() {
        return rowFinish;
    }

    /** Rows of maxima and sums of a token-major softmax. */
    float[] softmaxRows(final int size) {
        if (softmaxRows.length < size) {
            softmaxRows = new float[size];
        }
        return softmaxRows;
    }

    /** Slot {@code slot} (0 or 1) filled with {@code value}: a broadcast operand as a row one vector wide. */
    float[] splat(final float value, final int slot) {
        final float[] s = splats[slot];
        java.util.Arrays.fill(s, value);
        return s;
    }

    /** A fixed tile of {@code MR x 128} floats for edge tiles of products. */
    float[] tile() {
        return tile;
    }
}
