package io.mobileformer.engine.optimize;

import io.mobileformer.engine.Tensor;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
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
        final Map<String, int[]> known = staticShapes(g);
        for (final Node n : g.nodes()) {
            if (n.opType().equals("Shape") && known.containsKey(n.input(0))) {
                // the input's shape is fixed (every graph input is, for this variant): Shape is a constant, and so
                // is the shape arithmetic after it, folded by the next iterations
                final int[] dims = io.mobileformer.engine.ops.ShapeOps.shapeSlice(n, known.get(n.input(0)));
                g.constants().put(n.output(), Constant.ofLongs(java.util.Arrays.stream(dims).asLongStream()
                    .toArray(), dims.length));
                continue;
            }
            if (n.opType().equals("Size") && known.containsKey(n.input(0))) {
                g.constants().put(n.output(), Constant.ofLongs(new long[] {Shapes.size(known.get(n.input(0)))}));
                continue;
            }
            if (!foldable(g, n)) {
                kept.add(n);
                inferShapes(g, n, known);
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
            final boolean integer = integerResult(g, n);
            out.forEach((name, t) -> g.constants().put(name, integer ? longs(t) : Constant.of(t)));
        }
        g.setNodes(kept);
        g.pruneUnused();
    }

    /** Shapes of the graph inputs when none has a dynamic axis, else an empty map (nothing to fold by shape). */
    private static Map<String, int[]> staticShapes(final Graph g) {
        final Map<String, int[]> known = new java.util.HashMap<>();
        for (final Graph.Input in : g.inputs()) {
            if (java.util.Arrays.stream(in.dims()).anyMatch(d -> d < 0)) {
                return new java.util.HashMap<>();
            }
            known.put(in.name(), in.dims());
        }
        return known;
    }

    /** Records the output shapes of a node that stays, when its operator can tell them from what is known yet. */
    private static void inferShapes(final Graph g, final Node n, final Map<String, int[]> known) {
        final PlanValue[] ins = new PlanValue[n.inputs().size()];
        for (int i = 0; i < ins.length; i++) {
            final String name = n.input(i);
            if (name.isEmpty()) {
                continue;
            }
            if (g.isConstant(name)) {
                ins[i] = PlanValue.constant(name, g.constant(name));
            } else if (known.containsKey(name)) {
                ins[i] = PlanValue.activation(name, known.get(name), Shapes.identity(known.get(name).length), null);
            } else {
                return;
            }
        }
        try {
            final int[][] out = Ops.get(n).shapes(n, ins);
            for (int j = 0; j < n.outputs().size(); j++) {
                known.put(n.outputs().get(j), out[j]);
            }
        } catch (final RuntimeException e) {
            // not inferable here (a data-dependent shape): later Shape nodes on it stay unfolded
        }
    }

    private static Constant longs(final Tensor t) {
        final float[] f = t.data();
        final long[] l = new long[f.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = Math.round((double) f[i]);
        }
        return Constant.ofLongs(l, t.shape());
    }

    /** The inputs a kernel computes with (not the shapes, axes and indices it reads at plan time). */
    private static List<String> dataInputs(final Node n) {
        return switch (n.opType()) {
            case "Where" -> List.of(n.input(0), n.input(1), n.input(2));
            case "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Mod", "Concat", "Sum", "Mean", "Equal", "Less",
                 "Greater",
                 "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor" ->
                n.inputs().stream().filter(i -> !i.isEmpty()).toList();
            default -> List.of(n.input(0));
        };
    }

    /**
     * Whether a folded node's result is an integer tensor (shape arithmetic), which later shape, axis and index
     * inputs read as longs: comparisons and logic give bools, Cast and ConstantOfShape say their type, and any other
     * operator keeps the type of its data inputs.
     */
    private static boolean integerResult(final Graph g, final Node n) {
        final int floatType = ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
        switch (n.opType()) {
            case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not":
                return true;
            case "Cast":
                return n.attrs().getInt("to", floatType) != floatType;
            case "ConstantOfShape":
                return n.attrs().getInt("value_type", floatType) != floatType;
            case "Where":
                return !g.constant(n.input(1)).isFloat() && !g.constant(n.input(2)).isFloat();
            case "Shape", "Size":
                return true;
            default:
                return dataInputs(n).stream().noneMatch(i -> g.constant(i).isFloat());
        }
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
        // the kernels compute in float32: integer data (shape arithmetic) folds when every value is exact in float,
        // anything larger stays for the planner to refuse clearly
        final String data = n.input(0);
        if (data.isEmpty()) {
            return false;
        }
        for (final String in : dataInputs(n)) {
            if (!g.constant(in).isFloat()) {
                for (final long v : g.constant(in).longs()) {
                    if (Math.abs(v) > (1 << 24)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
