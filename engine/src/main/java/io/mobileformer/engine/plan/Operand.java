package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Shapes;

/**
 * A tensor as a bound step sees it: a constant array or the arena (resolved per call), an offset, and strides per
 * logical axis. Steps keep operands, never arrays of the arena, so one plan serves concurrent calls.
 */
public record Operand(float[] constant, int offset, int[] shape, int[] strides) {

    public float[] array(final float[] arena) {
        return constant != null ? constant : arena;
    }

    public boolean isConstant() {
        return constant != null;
    }

    public int size() {
        return Shapes.size(shape);
    }

    public int dim(final int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public int stride(final int axis) {
        return strides[axis < 0 ? strides.length + axis : axis];
    }

    public int rank() {
        return shape.length;
    }
}
