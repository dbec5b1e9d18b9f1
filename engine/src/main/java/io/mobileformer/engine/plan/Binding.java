package io.mobileformer.engine.plan;

/**
 * Where a step's operands are once memory is planned, and how to run it: operands, the arena offset of its scratch,
 * the kernel family, and the input values (constants whose data a step reads at bind time: weights, bounds, axes).
 */
public record Binding(Operand[] in, Operand[] out, int scratchOffset, boolean vector, PlanValue[] values) {

    public Operand in(final int i) {
        return i < in.length ? in[i] : null;
    }

    public Operand out(final int j) {
        return out[j];
    }

    public boolean has(final int i) {
        return in(i) != null;
    }
}
