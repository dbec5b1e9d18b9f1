package io.mobileformer.engine.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model as the engine sees it: nodes in topological order, constants by name, the declared inputs and the named
 * outputs with their element types. Optimization passes rewrite {@link #nodes()} and {@link #constants()} in place;
 * everything else is fixed at load.
 *
 * <p>Image detectors have one float input {@code [N, C, H, W]} with N dynamic ({@link #input()} and
 * {@link #inputShape()} describe it); general models may have any number of inputs of any declared shape, and
 * integer or bool inputs are bound to constants per call ({@link #bind}) because the engine computes in float32 and
 * reads shapes, axes and indices at plan time.
 */
public final class Graph {
    /** A declared graph input: {@code dims} holds -1 for a dynamic axis; {@code type} is ONNX's element type code. */
    public record Input(String name, int type, int[] dims) {
        public boolean isFloat() {
            return type == ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
        }
    }

    private final List<Input> inputs;
    private final List<String> outputs;
    private final Map<String, Integer> outputTypes;
    private final Map<String, Constant> constants;
    private List<Node> nodes;

    Graph(final List<Input> inputs, final List<String> outputs, final Map<String, Integer> outputTypes,
          final List<Node> nodes, final Map<String, Constant> constants) {
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.outputTypes = Map.copyOf(outputTypes);
        this.nodes = new ArrayList<>(nodes);
        this.constants = new LinkedHashMap<>(constants);
    }

    /** Every declared input that is not an initializer, in the file's order. */
    public List<Input> inputs() {
        return inputs;
    }

    /**
     * Whether this is an image-style model: exactly one float input of rank 2 or more whose only possibly dynamic
     * axis is the first (the batch). {@link #input()} and {@link #inputShape()} are defined only then.
     */
    public boolean batched() {
        if (inputs.size() != 1 || !inputs.get(0).isFloat() || inputs.get(0).dims().length < 2) {
            return false;
        }
        final int[] d = inputs.get(0).dims();
        for (int i = 1; i < d.length; i++) {
            if (d[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** The name of the single batched input (see {@link #batched()}). */
    public String input() {
        if (!batched()) {
            throw new IllegalStateException("the graph has no single batched input: " + inputNames());
        }
        return inputs.get(0).name();
    }

    /** The single batched input's shape without its batch axis (see {@link #batched()}). */
    public int[] inputShape() {
        input();
        final int[] d = inputs.get(0).dims();
        return java.util.Arrays.copyOfRange(d, 1, d.length);
    }

    private List<String> inputNames() {
        return inputs.stream().map(Input::name).toList();
    }

    public List<String> outputs() {
        return outputs;
    }

    /** ONNX element type code the model declares for output {@code name} (float when it declares none). */
    public int outputType(final String name) {
        return outputTypes.getOrDefault(name, ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE);
    }

    /**
     * A copy with the given inputs replaced by constants (their values known for this call), for optimization and
     * planning of one specialization. This graph is not changed.
     */
    public Graph bind(final Map<String, Constant> values) {
        return bind(values, Map.of());
    }

    /**
     * A copy with the given inputs replaced by constants and the given input shapes fixed (their dynamic axes
     * resolved), so that {@code Shape} and the arithmetic on it fold at load. This graph is not changed.
     */
    public Graph bind(final Map<String, Constant> values, final Map<String, int[]> shapes) {
        final List<Input> rest = inputs.stream().filter(i -> !values.containsKey(i.name()))
            .map(i -> shapes.containsKey(i.name()) ? new Input(i.name(), i.type(), shapes.get(i.name()).clone()) : i)
            .toList();
        final Map<String, Constant> c = new LinkedHashMap<>(constants);
        c.putAll(values);
        return new Graph(rest, outputs, outputTypes, nodes, c);
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
