package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;

import java.util.HashMap;
import java.util.Map;

/**
 * Shapes of every value for one batch size (every dynamic input axis takes that size), without planning memory: what
 * fusion passes check before they merge nodes (a residual must have the output's shape, DY-ReLU slopes must be per
 * image and channel).
 */
public final class ShapeInference {
    private ShapeInference() {
    }

    public static Map<String, int[]> run(final Graph g, final int batch, final OperatorSet operators) {
        final Map<String, PlanValue> values = new HashMap<>();
        final Map<String, int[]> shapes = new HashMap<>();
        for (final Graph.Input in : g.inputs()) {
            // a dynamic axis takes the batch size: the batch axis of an image model; for other models a guess
            // that fusion passes only use to compare shapes with each other
            final int[] shape = in.dims().clone();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0) {
                    shape[i] = batch;
                }
            }
            values.put(in.name(), PlanValue.activation(in.name(), shape, Shapes.identity(shape.length), null));
            shapes.put(in.name(), shape);
        }
        for (final Node node : g.nodes()) {
            final PlanValue[] ins = new PlanValue[node.inputs().size()];
            for (int i = 0; i < ins.length; i++) {
                final String name = node.input(i);
                if (name.isEmpty()) {
                    continue;
                }
                ins[i] = values.get(name);
                if (ins[i] == null && g.isConstant(name)) {
                    ins[i] = PlanValue.constant(name, g.constant(name));
                }
                if (ins[i] == null) {
                    throw GraphException.invalid(node, "input '" + name + "' is not computed by any earlier node");
                }
            }
            final int[][] out = operators.of(node).shapes(node, ins);
            for (int j = 0; j < node.outputs().size(); j++) {
                final String name = node.outputs().get(j);
                values.put(name, PlanValue.activation(name, out[j], Shapes.identity(out[j].length), null));
                shapes.put(name, out[j]);
            }
        }
        for (final Map.Entry<String, Constant> c : g.constants().entrySet()) {
            shapes.putIfAbsent(c.getKey(), c.getValue().shape());
        }
        return shapes;
    }
}
