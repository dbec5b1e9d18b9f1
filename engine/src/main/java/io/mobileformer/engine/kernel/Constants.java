package io.mobileformer.engine.kernel;

/** Read-only rows that stand in for an absent operand, so vector loops need no branch (one vector wide at least). */
public final class Constants {
    static final float[] ZEROS = new float[64];
    static final float[] ONES = filled(1f);

    private Constants() {
    }

    private static float[] filled(final float v) {
        final float[] a = new float[64];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
