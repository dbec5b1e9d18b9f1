package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;

/**
 * One tensor of a plan: its shape for this batch size and where its values are. Activations live in a
 * {@link Buffer} of the arena, contiguous in the storage order {@link #order} ({@code order[i]} is the logical axis
 * stored at position i; identity means row-major). A transpose changes the order, not the data, and only consumers
 * that can read strided operands (MatMul, Softmax, copies) accept a non-identity order. Constants carry their data.
 */
public final class PlanValue {
    final String name;
    public final int[] shape;
    public final int[] order;
    public final Constant constant;
    final Buffer buffer;

    private PlanValue(final String name, final int[] shape, final int[] order, final Constant constant,
                      final Buffer buffer) {
        this.name = name;
        this.shape = shape.clone();
        this.order = order.clone();
        this.constant = constant;
        this.buffer = buffer;
    }

    public static PlanValue constant(final String name, final Constant c) {
        return new PlanValue(name, c.shape(), Shapes.identity(c.rank()), c, null);
    }

    public static PlanValue activation(final String name, final int[] shape, final int[] order, final Buffer buffer) {
        return new PlanValue(name, shape, order, null, buffer);
    }

    public boolean isConstant() {
        return constant != null;
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return Shapes.size(shape);
    }

    /** Element strides of each logical axis. */
    int[] strides() {
        final int[] s = new int[shape.length];
        int stride = 1;
        for (int i = order.length - 1; i >= 0; i--) {
            s[order[i]] = stride;
            stride *= shape[order[i]];
        }
        return s;
    }

    /** Row-major, ignoring axes of size 1 (their order does not matter). */
    boolean isContiguous() {
        final int[] s = strides();
        final int[] rm = Shapes.strides(shape);
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1 && s[i] != rm[i]) {
                return false;
            }
        }
        return true;
    }

    /** Constant float data; refuses int64 constants where a float tensor is needed. */
    public float[] floats(final Node node) {
        if (!constant.isFloat()) {
            throw GraphException.unsupported(node, "input '" + name + "' is int64; only float32 tensors are computed");
        }
        return constant.floats();
    }

    @Override
    public String toString() {
        return name + Shapes.str(shape) + (Shapes.isIdentity(order) ? "" : " order " + Shapes.str(order));
    }
}
