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
    ERF,
    // the rest have no vector kernel ({@link #vectorized()})
    TANH,
    /** p = alpha. */
    LEAKY_RELU,
    NEG,
    ABS,
    SQRT,
    LOG,
    RECIPROCAL,
    FLOOR,
    CEIL,
    /** ONNX's Not on a bool carried as 1 or 0. */
    NOT,
    /** {@code log(1 + exp(x))}. */
    SOFTPLUS,
    /** p = alpha: {@code x} when positive, else {@code alpha * (exp(x) - 1)}. */
    ELU,
    /** Toward zero: Cast to an integer type. */
    TRUNC,
    /** 1 where non-zero: Cast to bool. */
    NONZERO,
    /** Half to even, as ONNX's Round. */
    ROUND,
    SIGN,
    SIN,
    COS,
    /** p = alpha, q = gamma. */
    SELU,
    /** p = alpha: {@code x} above alpha, else 0. */
    THRESHOLDED_RELU,
    SOFTSIGN,
    /** p = alpha: {@code max(0, x) + min(0, alpha * (exp(x / alpha) - 1))}. */
    CELU,
    /** p = lambd, q = bias: {@code x + bias} below -lambd, {@code x - bias} above lambd, else 0. */
    SHRINK,
    TAN, ASIN, ACOS, ATAN, SINH, COSH, ASINH, ACOSH, ATANH,
    /** 1 where NaN: IsNaN. */
    IS_NAN,
    /** p, q = detect negative, detect positive (1 or 0): IsInf. */
    IS_INF;

    /** Whether {@link ElementwiseVector} has a kernel for it; the others always run the scalar loop. */
    public boolean vectorized() {
        return ordinal() <= ERF.ordinal();
    }

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
            case TANH -> (float) Math.tanh(x);
            case LEAKY_RELU -> x >= 0 ? x : p * x;
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SQRT -> (float) Math.sqrt(x);
            case LOG -> (float) Math.log(x);
            case RECIPROCAL -> 1f / x;
            case FLOOR -> (float) Math.floor(x);
            case CEIL -> (float) Math.ceil(x);
            case NOT -> x == 0 ? 1f : 0f;
            case SOFTPLUS -> (float) Math.log1p(Math.exp(x));
            case ELU -> x > 0 ? x : (float) (p * Math.expm1(x));
            case TRUNC -> x < 0 ? (float) Math.ceil(x) : (float) Math.floor(x);
            case NONZERO -> x != 0 ? 1f : 0f;
            case ROUND -> (float) Math.rint(x);
            case SIGN -> Math.signum(x);
            case SIN -> (float) Math.sin(x);
            case COS -> (float) Math.cos(x);
            case SELU -> x > 0 ? q * x : (float) (q * p * Math.expm1(x));
            case THRESHOLDED_RELU -> x > p ? x : 0f;
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case CELU -> Math.max(0f, x) + (float) Math.min(0, p * Math.expm1(x / p));
            case SHRINK -> x < -p ? x + q : x > p ? x - q : 0f;
            case TAN -> (float) Math.tan(x);
            case ASIN -> (float) Math.asin(x);
            case ACOS -> (float) Math.acos(x);
            case ATAN -> (float) Math.atan(x);
            case SINH -> (float) Math.sinh(x);
            case COSH -> (float) Math.cosh(x);
            case ASINH -> (float) Math.log(x + Math.sqrt((double) x * x + 1));
            case ACOSH -> (float) Math.log(x + Math.sqrt((double) x * x - 1));
            case ATANH -> (float) (0.5 * Math.log((1.0 + x) / (1.0 - x)));
            case IS_NAN -> Float.isNaN(x) ? 1f : 0f;
            case IS_INF -> x == Float.NEGATIVE_INFINITY && p != 0 || x == Float.POSITIVE_INFINITY && q != 0 ? 1f : 0f;
        };
    }
}
