package io.mobileformer.engine.kernel;

/**
 * Mean over one contiguous run of axes of a contiguous tensor seen as {@code [outer, reduced, inner]}: the DETR
 * decoder's mean of bridge logits over heads is {@code [N, 2, Q*HW] -> [N, Q*HW]}, a mean of planes.
 */
public final class ReduceMean {
    private ReduceMean() {
    }

    /** Outer slices [o0, o1); the output is {@code [outer, inner]}. */
    public static void run(final float[] x, final int xo, final float[] y, final int yo, final int reduced,
                           final int inner, final int o0, final int o1) {
        final float inv = 1f / reduced;
        for (int o = o0; o < o1; o++) {
            final int src = xo + o * reduced * inner;
            final int dst = yo + o * inner;
            if (inner == 1) {
                float s = 0f;
                for (int r = 0; r < reduced; r++) {
                    s += x[src + r];
                }
                y[dst] = s * inv;
                continue;
            }
            System.arraycopy(x, src, y, dst, inner);
            for (int r = 1; r < reduced; r++) {
                final int row = src + r * inner;
                for (int i = 0; i < inner; i++) {
                    y[dst + i] += x[row + i];
                }
            }
            for (int i = 0; i < inner; i++) {
                y[dst + i] *= inv;
            }
        }
    }
}
