package io.mobileformer.engine.kernel;

/** Element-wise functions of one tensor. {@code p} and {@code q} are the operator's two parameters, if any. */
public enum UnaryOp {
    IDENTITY,
    RELU,
    /** p = min, q = max. */
    CLIP,
    /** {@code max(0, min(1, p * x + q))}; Mobile-Former uses p = 1/6, q = 0.5 (spec section 0). */
    HARD_SIGMOID,
    /** {@code x * hard_sigmoid(x)} with p = 1/6, q = 0.5. */
    HARD_SWISH,
    SIGMOID,
    EXP,
    ERF;

    public float apply(final float x, final float p, final float q) {
        return switch (this) {
            case IDENTITY -> x;
            case RELU -> Math.max(x, 0f);
            case CLIP -> Math.min(Math.max(x, p), q);
            case HARD_SIGMOID -> Math.max(0f, Math.min(1f, p * x + q));
            case HARD_SWISH -> x * Math.max(0f, Math.min(1f, p * x + q));
            case SIGMOID -> FastMath.sigmoid(x);
            case EXP -> FastMath.exp(x);
            case ERF -> FastMath.erf(x);
        };
    }
}
