package io.mobileformer.engine.optimize;

import io.mobileformer.engine.graph.Attributes;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.ops.MatMulOp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Token linears in our exports are {@code MatMul(Z, W) + b}, often followed by {@code * scale} (the attention
 * scale of spec section 5, applied to queries and keys). This pass makes them one {@code FusedMatMul} with the bias
 * in its epilogue and the scale folded into W and b: three passes over the tokens become one.
 */
public final class LinearFolding {
    private LinearFolding() {
    }

    static void run(final Graph g) {
        boolean changed = true;
        while (changed) {
            changed = fuseBias(g) || foldScale(g);
        }
        g.pruneUnused();
    }

    private static boolean fuseBias(final Graph g) {
        final Map<String, List<Node>> readers = g.consumers();
        for (final Node mm : g.nodes()) {
            if (!mm.opType().equals("MatMul") || !g.isConstant(mm.input(1)) || !g.constant(mm.input(1)).isFloat()) {
                continue;
            }
            final List<Node> r = readers.getOrDefault(mm.output(), List.of());
            if (r.size() != 1 || !r.get(0).opType().equals("Add") || g.outputs().contains(mm.output())) {
                continue;
            }
            final Node add = r.get(0);
            final String other = add.input(0).equals(mm.output()) ? add.input(1) : add.input(0);
            final Constant w = g.constant(mm.input(1));
            final int cols = w.shape()[w.rank() - 1];
            if (!g.isConstant(other) || !isRowVector(g.constant(other), cols)) {
                continue;
            }
            replace(g, List.of(mm, add), new Node(mm.name(), MatMulOp.FUSED, List.of(mm.input(0), mm.input(1), other),
                add.outputs(), Attributes.NONE));
            return true;
        }
        return false;
    }

    private static boolean foldScale(final Graph g) {
        final Map<String, List<Node>> readers = g.consumers();
        for (final Node mm : g.nodes()) {
            final boolean fused = mm.opType().equals(MatMulOp.FUSED);
            if (!fused && !mm.opType().equals("MatMul") || !g.isConstant(mm.input(1))
                || !g.constant(mm.input(1)).isFloat()) {
                continue;
            }
            final List<Node> r = readers.getOrDefault(mm.output(), List.of());
            if (r.size() != 1 || !r.get(0).opType().equals("Mul") || g.outputs().contains(mm.output())) {
                continue;
            }
            final Node mul = r.get(0);
            final String other = mul.input(0).equals(mm.output()) ? mul.input(1) : mul.input(0);
            if (!g.isConstant(other) || g.constant(other).size() != 1) {
                continue;
            }
            final float s = g.constant(other).scalar();
            final Constant w = g.constant(mm.input(1));
            final String wName = mm.name() + "/W_scaled";
            g.constants().put(wName, Constant.ofFloats(GemmLowering.scaled(w.floats(), s), w.shape()));
            final List<String> inputs = new ArrayList<>(List.of(mm.input(0), wName));
            if (fused) {
                final Constant b = g.constant(mm.input(2));
                final String bName = mm.name() + "/B_scaled";
                g.constants().put(bName, Constant.ofFloats(GemmLowering.scaled(b.floats(), s), b.shape()));
                inputs.add(bName);
            }
            replace(g, List.of(mm, mul), new Node(mm.name(), mm.opType(), inputs, mul.outputs(), Attributes.NONE));
            return true;
        }
        return false;
    }

    /** A constant that adds one value per output column: shape [..., 1, cols] with cols values in all. */
    private static boolean isRowVector(final Constant c, final int cols) {
        return c.isFloat() && c.size() == cols && c.rank() >= 1 && c.rank() <= 2 && c.shape()[c.rank() - 1] == cols;
    }

    /**
     * Puts {@code with} where the first of {@code nodes} was, removes the rest and restores a topological order (the
     * fused node may read values the first node did not).
     */
    static void replace(final Graph g, final List<Node> nodes, final Node with) {
        final List<Node> out = new ArrayList<>(g.nodes());
        out.set(out.indexOf(nodes.get(0)), with);
        for (int i = 1; i < nodes.size(); i++) {
            out.remove(nodes.get(i));
        }
        g.setNodes(out);
        GraphOptimizer.sortTopologically(g);
    }
}
