package io.mobileformer.engine.kernel;

/**
 * Direct depthwise convolution (one input channel per group; a depth multiplier gives several output channels per
 * input channel, as in bneck-lite and the first dw of Mobile-Former↓, spec section 3). NCHW planes, weights
 * {@code [cout, 1, kh, kw]}; bias and activation come from the {@link Epilogue}.
 *
 * <p>The vector path handles 3x3 at stride 1 and 2 (every depthwise kernel of the network) through a zero-padded
 * copy of the input plane and one flat loop over the output, so planes as narrow as 8 pixels still fill whole
 * vectors; other geometries run the scalar loop.
 */
public final class DepthwiseConv {
    private DepthwiseConv() {
    }

    /** True when the vector path covers this geometry. */
    public static boolean vectorizable(final ConvShape s) {
        return s.kh() == 3 && s.kw() == 3 && (s.sh() == 1 && s.sw() == 1 || s.sh() == 2 && s.sw() == 2);
    }

    /** Output channels [c0, c1) of one image. */
    public static void run(final boolean vector, final ConvShape s, final float[] in, final int inOff,
                           final float[] weights, final float[] out, final int outOff, final int c0, final int c1,
                           final Epilogue ep, final Epilogue.Inputs epIn) {
        if (vector && vectorizable(s)) {
            DepthwiseConvVector.run(s, in, inOff, weights, out, outOff, c0, c1, ep, epIn);
            return;
        }
        final int mult = s.multiplier();
        final int plane = s.outPlane();
        for (int oc = c0; oc < c1; oc++) {
            final int src = inOff + (oc / mult) * s.inPlane();
            final int dst = outOff + oc * plane;
            final int wo = oc * s.kh() * s.kw();
            for (int y = 0; y < s.oh(); y++) {
                for (int x = 0; x < s.ow(); x++) {
                    float acc = 0f;
                    for (int dy = 0; dy < s.kh(); dy++) {
                        final int iy = y * s.sh() + dy - s.padTop();
                        if (iy < 0 || iy >= s.h()) {
                            continue;
                        }
                        for (int dx = 0; dx < s.kw(); dx++) {
                            final int ix = x * s.sw() + dx - s.padLeft();
                            if (ix >= 0 && ix < s.w()) {
                                acc += weights[wo + dy * s.kw() + dx] * in[src + iy * s.w() + ix];
                            }
                        }
                    }
                    out[dst + y * s.ow() + x] = acc;
                }
            }
            ep.apply(false, out, dst, plane, oc, 1, 0, plane, epIn);
        }
    }
}
