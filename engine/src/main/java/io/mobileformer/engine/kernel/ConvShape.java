package io.mobileformer.engine.kernel;

/**
 * Geometry of a 2-D convolution of one image: input {@code [cin, h, w]}, output {@code [cout, oh, ow]}, kernel
 * {@code kh x kw}, strides, leading pads (trailing pads follow from the output size), and groups. Dilation is 1.
 */
public record ConvShape(int cin, int h, int w, int cout, int oh, int ow, int kh, int kw, int sh, int sw, int padTop,
                        int padLeft, int groups) {

    public static ConvShape of(final int cin, final int h, final int w, final int cout, final int kh, final int kw,
                               final int sh, final int sw, final int padTop, final int padLeft, final int padBottom,
                               final int padRight, final int groups) {
        final int oh = (h + padTop + padBottom - kh) / sh + 1;
        final int ow = (w + padLeft + padRight - kw) / sw + 1;
        return new ConvShape(cin, h, w, cout, oh, ow, kh, kw, sh, sw, padTop, padLeft, groups);
    }

    public int inPlane() {
        return h * w;
    }

    public int outPlane() {
        return oh * ow;
    }

    /** Output channels per input channel when every group has one input channel (depthwise, depth multiplier). */
    public int multiplier() {
        return cout / cin;
    }

    public boolean isDepthwise() {
        return groups == cin && cout % cin == 0;
    }

    public boolean isPointwise() {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0;
    }

    /** Multiply-adds per image. */
    public long madds() {
        return (long) cout * outPlane() * (cin / groups) * kh * kw;
    }
}
