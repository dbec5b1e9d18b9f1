package io.mobileformer.engine.optimize;

import io.mobileformer.engine.graph.Attributes;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.Node;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites operators into the ones the kernels implement. {@code Max}, {@code Min} and {@code Sum} of k inputs become
 * a chain of k-1 binary nodes (NumPy broadcasting composes, so the chain has the same result shape), {@code Mean} that
 * chain of {@code Add} then one {@code Div} by k, and a single input an {@code Identity}. {@code Clip} whose bounds
 * are computed (not constants) becomes {@code Max} then {@code Min}; an inference {@code Dropout} (no mask asked, no
 * training-mode input) an {@code Identity}; a {@code Conv} that {@code ConvOp}'s kernels do not cover (dilated, or not
 * 2-D) the internal {@code ConvNd} of {@code GeneralConvOp}, which fusion leaves alone; the deprecated
 * {@code Upsample} its {@code Resize}. Runs first, so every later pass sees only binary nodes.
 */
final class OperatorLowering {
    private OperatorLowering() {
    }

    static void run(final Graph g) {
        final List<Node> out = new ArrayList<>(g.nodes().size());
        for (final Node n : g.nodes()) {
            if (n.opType().equals("Clip") && n.inputs().stream().skip(1)
                .anyMatch(i -> !i.isEmpty() && !g.isConstant(i))) {
                String acc = n.input(0);
                if (!n.input(1).isEmpty()) {
                    acc = n.input(2).isEmpty() ? n.output() : n.name() + "/lo";
                    out.add(new Node(n.name() + "/max", "Max", List.of(n.input(0), n.input(1)), List.of(acc),
                        Attributes.NONE));
                }
                if (!n.input(2).isEmpty()) {
                    out.add(new Node(n.name() + "/min", "Min", List.of(acc, n.input(2)), n.outputs(),
                        Attributes.NONE));
                }
                continue;
            }
            if (n.opType().equals("Conv") && g.isConstant(n.input(1))
                && io.mobileformer.engine.ops.GeneralConvOp.needed(n, g.constant(n.input(1)).rank())) {
                out.add(new Node(n.name(), io.mobileformer.engine.ops.GeneralConvOp.TYPE, n.inputs(), n.outputs(),
                    n.attrs()));
                continue;
            }
            if (n.opType().equals("Upsample")) {
                // Upsample (opset 9, deprecated by Resize): the source coordinate is x / scale, rounded down for
                // nearest, i.e. Resize with asymmetric coordinates and floor rounding
                out.add(new Node(n.name(), "Resize", List.of(n.input(0), "", n.input(1)), n.outputs(),
                    n.attrs().with("coordinate_transformation_mode", "asymmetric").with("nearest_mode", "floor")));
                continue;
            }
            if (n.opType().equals("Dropout")) {
                if (n.outputs().size() > 1 || (!n.input(2).isEmpty() && !g.isConstant(n.input(2)))
                    || (!n.input(2).isEmpty() && g.constant(n.input(2)).asFloats()[0] != 0)) {
                    throw io.mobileformer.engine.graph.GraphException.unsupported(n, "only inference Dropout (no "
                        + "mask output, training_mode false) is supported");
                }
                out.add(new Node(n.name(), "Identity", List.of(n.input(0)), n.outputs(), Attributes.NONE));
                continue;
            }
            final String binary = switch (n.opType()) {
                case "Max", "Min" -> n.opType();
                case "Sum", "Mean" -> "Add";
                default -> null;
            };
            if (binary == null || (n.inputs().size() == 2 && !n.opType().equals("Mean") && !n.opType().equals("Sum"))) {
                out.add(n);
                continue;
            }
            final boolean mean = n.opType().equals("Mean");
            final int k = n.inputs().size();
            if (k == 1 && !mean) {
                out.add(new Node(n.name(), "Identity", n.inputs(), n.outputs(), Attributes.NONE));
                continue;
            }
            String acc = n.input(0);
            for (int i = 1; i < k; i++) {
                final boolean last = i == k - 1 && !mean;
                final String to = last ? n.output() : n.name() + "/acc" + i;
                out.add(new Node(n.name() + "/" + i, binary, List.of(acc, n.input(i)), List.of(to), Attributes.NONE));
                acc = to;
            }
            if (mean) {
                final String count = n.name() + "/count";
                g.constants().put(count, io.mobileformer.engine.graph.Constant.ofFloats(new float[] {k}));
                out.add(new Node(n.name() + "/mean", "Div", List.of(acc, count), n.outputs(), Attributes.NONE));
            }
        }
        g.setNodes(out);
    }
}
