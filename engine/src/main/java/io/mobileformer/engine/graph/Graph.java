package io.mobileformer.engine.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model as the engine sees it: nodes in topological order, constants by name, one float input
 * {@code [N, C, H, W]} with N dynamic, and the named outputs. Optimization passes rewrite {@link #nodes()} and
 * {@link #constants()} in place; everything else is fixed at load.
 */
public final class Graph {
    private final String input;
    private final int[] inputShape;     // without the batch axis
    private final List<String> outputs;
    private final Map<String, Constant> constants;
    private List<Node> nodes;

    Graph(final String input, final int[] inputShape, final List<String> outputs, final List<Node> nodes,
          final Map<String, Constant> constants) {
        this.input = input;
        this.inputShape = inputShape.clone();
        this.outputs = List.copyOf(outputs);
        this.nodes = new ArrayList<>(nodes);
        this.constants = new LinkedHashMap<>(constants);
    }

    public String input() {
        return input;
    }

    /** The input shape without its batch axis. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    public List<String> outputs() {
        return outputs;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public void setNodes(final List<Node> replacement) {
        nodes = new ArrayList<>(replacement);
    }

    public Map<String, Constant> constants() {
        return constants;
    }

    public boolean isConstant(final String value) {
        return constants.containsKey(value);
    }

    public Constant constant(final String value) {
        return constants.get(value);
    }

    /** value name to the nodes that read it (a node reading a value twice is listed twice). */
    public Map<String, List<Node>> consumers() {
        final Map<String, List<Node>> c = new HashMap<>();
        for (final Node n : nodes) {
            for (final String in : n.inputs()) {
                if (!in.isEmpty()) {
                    c.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }
        return c;
    }

    /** value name to the node that writes it. */
    public Map<String, Node> producers() {
        final Map<String, Node> p = new HashMap<>();
        for (final Node n : nodes) {
            for (final String out : n.outputs()) {
                p.put(out, n);
            }
        }
        return p;
    }

    /** Removes nodes whose outputs nobody reads and constants nobody references. */
    public void pruneUnused() {
        boolean changed = true;
        while (changed) {
            changed = false;
            final Map<String, List<Node>> readers = consumers();
            final List<Node> kept = new ArrayList<>(nodes.size());
            for (final Node n : nodes) {
                final boolean used = n.outputs().stream().anyMatch(o -> readers.containsKey(o) || outputs.contains(o));
                if (used) {
                    kept.add(n);
                } else {
                    changed = true;
                }
            }
            nodes = kept;
        }
        final Map<String, List<Node>> readers = consumers();
        constants.keySet().removeIf(k -> !readers.containsKey(k) && !outputs.contains(k));
    }
}
