package io.mobileformer.engine.optimize;

import io.mobileformer.engine.graph.Attributes;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.ops.ChannelAffineOp;
import io.mobileformer.engine.ops.ConvOp;
import io.mobileformer.engine.ops.Ops;
import io.mobileformer.engine.plan.ShapeInference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Moves work that follows a convolution into its epilogue, while the output tile is still in registers:
 * <ol>
 *   <li>{@code Max(Mul(x, a1), Mul(x, a2))}, DY-ReLU as exported (spec section 2.2), becomes one {@code DyRelu}
 *       node instead of three passes and two temporaries;</li>
 *   <li>a convolution followed only by an {@code Add} of a same-shaped tensor takes it as its residual (the
 *       inverted-bottleneck skip, the Mobile-Former↓ internal residual);</li>
 *   <li>a convolution followed only by {@code Relu}, {@code Clip} (ReLU6) or {@code DyRelu} applies it.</li>
 * </ol>
 * Shapes come from {@link ShapeInference} at batch 2, so a tensor broadcast over the batch is never taken for a
 * per-image one.
 */
public final class ActivationFusion {
    private static final int BATCH = 2;

    private ActivationFusion() {
    }

    static void run(final Graph g) {
        try {
            fuse(g);
        } catch (final io.mobileformer.engine.graph.GraphException e) {
            // shapes cannot be inferred without the inputs (a dynamic axis other than the batch): no fusion checks
            // are possible, so the rest is left unfused; what was fused before is a valid graph, and a malformed
            // model is still refused when the engine plans it
            g.pruneUnused();
        }
    }

    private static void fuse(final Graph g) {
        Map<String, int[]> shapes = ShapeInference.run(g, BATCH, Ops::get);
        while (fuseDyRelu(g, shapes)) {
            shapes = ShapeInference.run(g, BATCH, Ops::get);
        }
        while (fuseResidual(g, shapes)) {
            shapes = ShapeInference.run(g, BATCH, Ops::get);
        }
        while (fuseActivation(g)) {
            shapes = ShapeInference.run(g, BATCH, Ops::get);
        }
        g.pruneUnused();
    }

    private static boolean fuseDyRelu(final Graph g, final Map<String, int[]> shapes) {
        final Map<String, List<Node>> readers = g.consumers();
        final Map<String, Node> producers = g.producers();
        for (final Node max : g.nodes()) {
            if (!max.opType().equals("Max") || max.inputs().size() != 2) {
                continue;
            }
            final Node m1 = producers.get(max.input(0));
            final Node m2 = producers.get(max.input(1));
            if (m1 == null || m2 == null || !m1.opType().equals("Mul") || !m2.opType().equals("Mul")
                || readers.get(m1.output()).size() != 1 || readers.get(m2.output()).size() != 1
                || g.outputs().contains(m1.output()) || g.outputs().contains(m2.output())) {
                continue;
            }
            final String x = common(m1, m2, shapes);
            if (x == null) {
                continue;
            }
            final String s1 = other(m1, x);
            final String s2 = other(m2, x);
            if (g.isConstant(s1) || g.isConstant(s2)
                || ChannelAffineOp.slopeLd(shapes.get(x), shapes.get(s1)) < 0
                || ChannelAffineOp.slopeLd(shapes.get(x), shapes.get(s2)) < 0) {
                continue;
            }
            LinearFolding.replace(g, List.of(max, m1, m2), new Node(max.name(), ChannelAffineOp.DYRELU,
                List.of(x, s1, s2), max.outputs(), Attributes.NONE));
            return true;
        }
        return false;
    }

    /** The input both products multiply, when it is the bigger operand of each. */
    private static String common(final Node m1, final Node m2, final Map<String, int[]> shapes) {
        for (final String a : m1.inputs()) {
            if (m2.inputs().contains(a) && Arrays.equals(shapes.get(a), shapes.get(m1.output()))
                && Arrays.equals(shapes.get(a), shapes.get(m2.output()))) {
                return a;
            }
        }
        return null;
    }

    private static String other(final Node mul, final String x) {
        return mul.input(0).equals(x) ? mul.input(1) : mul.input(0);
    }

    private static boolean fuseResidual(final Graph g, final Map<String, int[]> shapes) {
        final Map<String, List<Node>> readers = g.consumers();
        for (final Node conv : g.nodes()) {
            if (!plainConv(conv) || conv.inputs().size() > ConvOp.RESIDUAL || g.outputs().contains(conv.output())) {
                continue;
            }
            final List<Node> r = readers.getOrDefault(conv.output(), List.of());
            if (r.size() != 1 || !r.get(0).opType().equals("Add")) {
                continue;
            }
            final Node add = r.get(0);
            final String other = add.input(0).equals(conv.output()) ? add.input(1) : add.input(0);
            if (other.equals(conv.output()) || g.isConstant(other)
                || !Arrays.equals(shapes.get(other), shapes.get(conv.output()))) {
                continue;
            }
            final List<String> in = convInputs(conv);
            in.set(ConvOp.RESIDUAL, other);
            LinearFolding.replace(g, List.of(conv, add), new Node(conv.name(), ConvOp.FUSED, trim(in),
                add.outputs(), conv.attrs()));
            return true;
        }
        return false;
    }

    private static boolean fuseActivation(final Graph g) {
        final Map<String, List<Node>> readers = g.consumers();
        for (final Node conv : g.nodes()) {
            if (!plainConv(conv) || g.outputs().contains(conv.output())) {
                continue;
            }
            final List<Node> r = readers.getOrDefault(conv.output(), List.of());
            if (r.size() != 1) {
                continue;
            }
            final Node act = r.get(0);
            final List<String> in = convInputs(conv);
            Attributes attrs = conv.attrs();
            switch (act.opType()) {
                case "Relu" -> attrs = attrs.with("activation", "relu");
                case "Clip" -> {
                    if (!constantOrAbsent(g, act.input(1)) || !constantOrAbsent(g, act.input(2))) {
                        continue;
                    }
                    attrs = attrs.with("activation", "clip")
                        .with("clip_min", act.input(1).isEmpty() ? Float.NEGATIVE_INFINITY
                            : g.constant(act.input(1)).scalar())
                        .with("clip_max", act.input(2).isEmpty() ? Float.POSITIVE_INFINITY
                            : g.constant(act.input(2)).scalar());
                }
                case ChannelAffineOp.DYRELU -> {
                    if (!act.input(0).equals(conv.output())) {
                        continue;
                    }
                    attrs = attrs.with("activation", "dyrelu");
                    in.set(ConvOp.SLOPE1, act.input(1));
                    in.set(ConvOp.SLOPE2, act.input(2));
                }
                default -> {
                    continue;
                }
            }
            LinearFolding.replace(g, List.of(conv, act), new Node(conv.name(), ConvOp.FUSED, trim(in),
                act.outputs(), attrs));
            return true;
        }
        return false;
    }

    /** A convolution without activation yet. */
    private static boolean plainConv(final Node n) {
        return (n.opType().equals("Conv") || n.opType().equals(ConvOp.FUSED))
            && n.attrs().getString("activation", "").isEmpty();
    }

    private static boolean constantOrAbsent(final Graph g, final String v) {
        return v.isEmpty() || g.isConstant(v);
    }

    /** The six FusedConv input slots, filled from a Conv or FusedConv. */
    private static List<String> convInputs(final Node conv) {
        final List<String> in = new ArrayList<>(List.of("", "", "", "", "", ""));
        for (int i = 0; i < conv.inputs().size(); i++) {
            in.set(i, conv.input(i));
        }
        return in;
    }

    private static List<String> trim(final List<String> in) {
        final List<String> t = new ArrayList<>(in);
        while (!t.isEmpty() && t.get(t.size() - 1).isEmpty()) {
            t.remove(t.size() - 1);
        }
        return t;
    }
}
