package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.kernel.BinaryOp;
import io.mobileformer.engine.kernel.Broadcast;
import io.mobileformer.engine.kernel.Elementwise;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

import java.util.Map;

/**
 * {@code Add}, {@code Sub}, {@code Mul}, {@code Div}, {@code Max}, {@code Min} of two tensors with NumPy broadcasting:
 * the learned tokens {@code [1, M, d]} meet {@code [N, M, d]}, DY-ReLU slopes {@code [N, E, 1, 1]} meet feature maps.
 * The output may overwrite a same-shaped input that dies here (residual adds).
 */
public final class BinaryElementwiseOp implements Op {
    static final BinaryElementwiseOp INSTANCE = new BinaryElementwiseOp();
    private static final Map<String, BinaryOp> OPS = Map.ofEntries(Map.entry("Add", BinaryOp.ADD),
        Map.entry("Sub", BinaryOp.SUB), Map.entry("Mul", BinaryOp.MUL), Map.entry("Div", BinaryOp.DIV),
        Map.entry("Max", BinaryOp.MAX), Map.entry("Min", BinaryOp.MIN), Map.entry("Pow", BinaryOp.POW),
        Map.entry("Equal", BinaryOp.EQUAL), Map.entry("Less", BinaryOp.LESS), Map.entry("Greater", BinaryOp.GREATER),
        Map.entry("LessOrEqual", BinaryOp.LESS_OR_EQUAL), Map.entry("GreaterOrEqual", BinaryOp.GREATER_OR_EQUAL),
        Map.entry("And", BinaryOp.AND), Map.entry("Or", BinaryOp.OR), Map.entry("Xor", BinaryOp.XOR),
        Map.entry("PRelu", BinaryOp.PRELU), Map.entry("Mod", BinaryOp.MOD));

    private BinaryElementwiseOp() {
    }

    static boolean handles(final String opType) {
        return OPS.containsKey(opType);
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (in.length != 2 || in[0] == null || in[1] == null) {
            throw GraphException.unsupported(node, "exactly two inputs are supported, found " + in.length);
        }
        try {
            return new int[][] {Broadcast.shape(in[0].shape, in[1].shape)};
        } catch (final IllegalArgumentException e) {
            throw GraphException.invalid(node, e.getMessage());
        }
    }

    @Override
    public int inPlaceInput(final Node node, final PlanValue[] in) {
        final int[] out = Broadcast.shape(in[0].shape, in[1].shape);
        if (java.util.Arrays.equals(in[0].shape, out) && !in[0].isConstant()) {
            return 0;
        }
        return java.util.Arrays.equals(in[1].shape, out) && !in[1].isConstant() ? 1 : -1;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final BinaryOp op = node.opType().equals("Mod") && node.attrs().getInt("fmod", 0) != 0 ? BinaryOp.FMOD
            : OPS.get(node.opType());
        final Operand a = b.in(0);
        final Operand c = b.in(1);
        final Operand out = b.out(0);
        final Broadcast bc = Broadcast.of(out.shape(), a.shape(), c.shape());
        final boolean vector = b.vector();
        final int rows = bc.rows();
        return (arena, par) -> {
            final float[] aa = a.array(arena);
            final float[] ca = c.array(arena);
            final int tasks = Tasks.count(par, rows, out.size());
            par.run(tasks, (t, w) -> Elementwise.binary(vector, op, bc, aa, a.offset(), ca, c.offset(), arena,
                out.offset(), Tasks.start(rows, t, tasks), Tasks.start(rows, t + 1, tasks)));
        };
    }
}
