package io.mobileformer.engine.kernel;

/**
 * Element-wise functions of two tensors, with NumPy broadcasting handled by {@link Broadcast}. Comparisons give 1 or 0
 * (ONNX's bool, which the engine carries as float). Only the first six have vector kernels ({@link #vectorized()}).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW, EQUAL, LESS, GREATER, LESS_OR_EQUAL, GREATER_OR_EQUAL, AND, OR, XOR,
    /** {@code x} where non-negative, else {@code slope * x}. */
    PRELU,
    /** Integer modulo with the divisor's sign (Python's %), ONNX's Mod with fmod=0. */
    MOD,
    /** C's fmod: the dividend's sign, ONNX's Mod with fmod=1. */
    FMOD;

    /** Whether {@link ElementwiseVector} has a kernel for it; the others always run the scalar loop. */
    public boolean vectorized() {
        return ordinal() <= MIN.ordinal();
    }

    public float apply(final float a, final float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> (float) Math.pow(a, b);
            case EQUAL -> a == b ? 1f : 0f;
            case LESS -> a < b ? 1f : 0f;
            case GREATER -> a > b ? 1f : 0f;
            case LESS_OR_EQUAL -> a <= b ? 1f : 0f;
            case GREATER_OR_EQUAL -> a >= b ? 1f : 0f;
            case AND -> a != 0 && b != 0 ? 1f : 0f;
            case OR -> a != 0 || b != 0 ? 1f : 0f;
            case XOR -> (a != 0) != (b != 0) ? 1f : 0f;
            case PRELU -> a < 0 ? a * b : a;
            case MOD -> b == 0 ? 0f : (float) (a - Math.floor((double) a / b) * b);
            case FMOD -> a % b;
        };
    }
}
