package io.mobileformer.engine.kernel;

/**
 * Unfolds an image for a convolution that is neither pointwise nor depthwise (the stem's 3x3 stride-2 conv over
 * RGB, grouped 3x3 convs): row {@code (c * kh + dy) * kw + dx} of the result holds, for every output pixel, the input
 * value that kernel tap multiplies (zero in the padding). The convolution is then one {@link Gemm} per group.
 */
public final class Im2col {
    private Im2col() {
    }

    /** Floats needed for one image. */
    public static int size(final ConvShape s) {
        return s.cin() * s.kh() * s.kw() * s.outPlane();
    }

    /** Input channels [c0, c1) of one image into {@code col} (laid out for all channels). */
    public static void run(final ConvShape s, final float[] in, final int inOff, final float[] col, final int colOff,
                           final int c0, final int c1) {
        final int plane = s.outPlane();
        for (int c = c0; c < c1; c++) {
            final int src = inOff + c * s.inPlane();
            for (int dy = 0; dy < s.kh(); dy++) {
                for (int dx = 0; dx < s.kw(); dx++) {
                    final int row = colOff + ((c * s.kh() + dy) * s.kw() + dx) * plane;
                    // output columns whose input column x * sw + dx - padLeft lies inside the image
                    final int xLo = Math.max(0, ceilDiv(s.padLeft() - dx, s.sw()));
                    final int xHi = Math.min(s.ow(), ceilDiv(s.w() + s.padLeft() - dx, s.sw()));
                    for (int y = 0; y < s.oh(); y++) {
                        final int o = row + y * s.ow();
                        final int iy = y * s.sh() + dy - s.padTop();
                        if (iy < 0 || iy >= s.h() || xHi <= xLo) {
                            java.util.Arrays.fill(col, o, o + s.ow(), 0f);
                            continue;
                        }
                        java.util.Arrays.fill(col, o, o + xLo, 0f);
                        java.util.Arrays.fill(col, o + xHi, o + s.ow(), 0f);
                        final int srcRow = src + iy * s.w() + dx - s.padLeft();
                        if (s.sw() == 1) {
                            System.arraycopy(in, srcRow + xLo, col, o + xLo, xHi - xLo);
                        } else {
                            for (int x = xLo; x < xHi; x++) {
                                col[o + x] = in[srcRow + x * s.sw()];
                            }
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(final int a, final int b) {
        return -Math.floorDiv(-a, b);
    }
}
