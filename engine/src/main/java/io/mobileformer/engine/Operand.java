package io.mobileformer.engine;

/**
 * A tensor as a bound step sees it: a constant array or the arena (resolved per call), an offset, and strides per
 * logical axis. Steps keep operands, never arrays of the arena, so one plan serves concurrent calls.
 */
record Operand(float[] constant, int offset, int[] shape, int[] strides) {

    float[] array(final float[] arena) {
        return constant != null ? constant : arena;
    }

    boolean isConstant() {
        return constant != null;
    }

    int size() {
        return Shapes.size(shape);
    }

    int dim(final int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    int stride(final int axis) {
        return strides[axis < 0 ? strides.length + axis : axis];
    }

    int rank() {
        return shape.length;
    }
}
