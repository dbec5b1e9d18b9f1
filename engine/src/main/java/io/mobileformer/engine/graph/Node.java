package io.mobileformer.engine.graph;

import java.util.List;

/**
 * One operator application. {@code inputs} may hold {@code ""} for an absent optional input, as in ONNX. Nodes are
 * immutable; optimization passes replace them.
 */
public record Node(String name, String opType, List<String> inputs, List<String> outputs, Attributes attrs) {

    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public String input(final int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public String output() {
        return outputs.get(0);
    }

    Node withInputs(final List<String> newInputs) {
        return new Node(name, opType, newInputs, outputs, attrs);
    }

    Node withOutputs(final List<String> newOutputs) {
        return new Node(name, opType, inputs, newOutputs, attrs);
    }

    Node withAttr(final String key, final Object value) {
        return new Node(name, opType, inputs, outputs, attrs.with(key, value));
    }

    @Override
    public String toString() {
        return opType + " '" + name + "' " + inputs + " -> " + outputs + (attrs.asMap().isEmpty() ? "" : " " + attrs);
    }
}
