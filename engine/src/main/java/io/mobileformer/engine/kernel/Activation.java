package io.mobileformer.engine.kernel;

/**
 * The activations a convolution or matrix product can apply while its output tile is still in cache, instead of a
 * separate pass over the tensor.
 */
public enum Activation {
    NONE,
    RELU,
    /** {@code min(max(x, lo), hi)}: ReLU6 in the stem, bneck-lite and head (spec section 3). */
    CLIP,
    /**
     * DY-ReLU without intercepts (spec section 2.2): {@code max(a1 * x, a2 * x)} with slopes per image and channel, or
     * per element for the spatially-aware form of the DETR decoder.
     */
    DYRELU
}
