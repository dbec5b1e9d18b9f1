package io.mobileformer.engine.kernel;

/** Element-wise functions of two tensors, with NumPy broadcasting handled by {@link Broadcast}. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN;

    public float apply(final float a, final float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }
}
