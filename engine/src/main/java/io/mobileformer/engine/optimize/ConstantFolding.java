package io.mobileformer.engine.optimize;

import io.mobileformer.engine.Tensor;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.kernel.Parallel;
import io.mobileformer.engine.ops.Ops;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Plan;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates at load every node whose inputs are all constants, with the same kernels that run at inference: the first
 * block's Mobile→Former query projection of the learned tokens, reshapes of weights, scale constants. What remains
 * depends on the image.
 */
public final class ConstantFolding {
    private ConstantFolding() {
    }

    static void run(final Graph g, final boolean vector) {
        final List<Node> kept = new ArrayList<>();
        final Planner planner = new Planner(g.constants(), vector, Ops::get);
        for (final Node n : g.nodes()) {
            if (!foldable(g, n)) {
                kept.add(n);
                continue;
            }
            final Op op = Ops.get(n);
            if (op instanceof Op.View view) {
                final PlanValue in = PlanValue.constant(n.input(0), g.constant(n.input(0)));
                final PlanValue[] ins = new PlanValue[n.inputs().size()];
                for (int i = 0; i < ins.length; i++) {
                    ins[i] = n.input(i).isEmpty() ? null : PlanValue.constant(n.input(i), g.constant(n.input(i)));
                }
                g.constants().put(n.output(), view.constant(n, in.constant, op.shapes(n, ins)[0]));
                continue;
            }
            final Plan plan = planner.plan(List.of(n), Map.of(), n.outputs(), 1);
            final Map<String, Tensor> out = plan.run(Map.of(), 0, new float[plan.arenaSize()], Parallel.SEQUENTIAL,
                null);
            out.forEach((name, t) -> g.constants().put(name, Constant.of(t)));
        }
        g.setNodes(kept);
        g.pruneUnused();
    }

    private static boolean foldable(final Graph g, final Node n) {
        for (final String in : n.inputs()) {
            if (!in.isEmpty() && !g.isConstant(in)) {
                return false;
            }
        }
        if (Ops.get(n) instanceof Op.View) {
            return true;
        }
        // float kernels only: an int64 data input (shape arithmetic) stays for the planner to refuse clearly
        final String data = n.input(0);
        return !data.isEmpty() && g.constant(data).isFloat();
    }
}
