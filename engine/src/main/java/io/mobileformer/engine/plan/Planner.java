package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Attributes;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles nodes into a {@link Plan} for concrete input shapes (the batch size is known here, so every shape is a
 * number): shape inference, layout choice (views for reshapes and transposes, copies only where a consumer needs
 * row-major data), in-place reuse for element-wise steps, arena offsets, then binding of each node to its kernel.
 *
 * <p>The same planner evaluates constant sub-graphs during constant folding (no inputs at all).
 */
public final class Planner {
    private final Map<String, Constant> constants;
    private final boolean vector;
    private final OperatorSet operators;

    public Planner(final Map<String, Constant> constants, final boolean vector, final OperatorSet operators) {
        this.constants = constants;
        this.vector = vector;
        this.operators = operators;
    }

    /** A node with its resolved values, before memory is assigned. */
    private record Pending(Node node, Op op, PlanValue[] in, PlanValue[] out, Buffer scratch) {
    }

    public Plan plan(final List<Node> nodes, final Map<String, int[]> inputs, final List<String> outputs,
                     final int batch) {
        return new Build(nodes, inputs, outputs).run(batch);
    }

    /** State of one planning run. */
    private final class Build implements PlanContext {
        private final List<Node> nodes;
        private final Map<String, int[]> inputShapes;
        private final List<String> outputNames;
        private final Map<String, PlanValue> values = new HashMap<>();
        private final Map<String, PlanValue> contiguousCopies = new HashMap<>();
        private final Map<String, List<Node>> consumers = new HashMap<>();
        private final List<Pending> pending = new ArrayList<>();
        private final List<Buffer> buffers = new ArrayList<>();

        Build(final List<Node> nodes, final Map<String, int[]> inputs, final List<String> outputs) {
            this.nodes = nodes;
            this.inputShapes = inputs;
            this.outputNames = outputs;
            for (final Node n : nodes) {
                for (final String in : n.inputs()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }

        @Override
        public List<Node> consumers(final String value) {
            return consumers.getOrDefault(value, List.of());
        }

        @Override
        public boolean isGraphOutput(final String value) {
            return outputNames.contains(value);
        }

        Plan run(final int batch) {
            for (final Map.Entry<String, int[]> e : inputShapes.entrySet()) {
                final Buffer b = newBuffer(Shapes.size(e.getValue()));
                b.use(-1);
                values.put(e.getKey(), PlanValue.activation(e.getKey(), e.getValue(),
                    Shapes.identity(e.getValue().length), b));
            }
            for (final Node node : nodes) {
                add(node);
            }
            final Map<String, PlanValue> results = new LinkedHashMap<>();
            for (final String name : outputNames) {
                PlanValue v = value(null, name);
                if (!v.isConstant() && !v.isContiguous()) {
                    v = contiguous(v);
                }
                results.put(name, v);
            }
            final int end = pending.size();
            for (final PlanValue v : results.values()) {
                if (!v.isConstant()) {
                    v.buffer.pinned = true;
                    v.buffer.use(end);
                }
            }
            // the memory plan (MemoryPlanner explains it): lifetimes of every buffer in step indices, in-place reuse
            // by element-wise steps, then one arena offset per remaining buffer
            liveness();
            mergeInPlace();
            final List<Buffer> roots = buffers.stream().filter(b -> b.root() == b).toList();
            final int arena = MemoryPlanner.assign(roots);
            final List<Plan.PlannedStep> steps = new ArrayList<>(pending.size());
            for (final Pending p : pending) {
                final Operand[] in = new Operand[p.in().length];
                for (int i = 0; i < in.length; i++) {
                    in[i] = p.in()[i] == null ? null : operand(p.in()[i]);
                }
                final Operand[] out = new Operand[p.out().length];
                for (int j = 0; j < out.length; j++) {
                    out[j] = operand(p.out()[j]);
                }
                final int scratchOffset = p.scratch() == null ? 0 : p.scratch().root().offset;
                final Binding b = new Binding(in, out, scratchOffset, vector, p.in());
                steps.add(new Plan.PlannedStep(p.op().label(p.node(), p.in(), p.out()), p.op().bind(p.node(), b),
                    p.op().madds(p.node(), p.in(), p.out()), shapes(p.in())));
            }
            final Map<String, Operand> inOps = new LinkedHashMap<>();
            for (final String name : inputShapes.keySet()) {
                inOps.put(name, operand(values.get(name)));
            }
            final Map<String, Operand> outOps = new LinkedHashMap<>();
            results.forEach((k, v) -> outOps.put(k, operand(v)));
            return new Plan(batch, steps, arena, inOps, outOps);
        }

        private void add(final Node node) {
            final Op op = operators.of(node);
            final PlanValue[] in = new PlanValue[node.inputs().size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = node.input(i).isEmpty() ? null : value(node, node.input(i));
            }
            final int[][] shapes = op.shapes(node, in);
            if (op instanceof Op.View view) {
                addView(node, view, in[0], shapes[0]);
                return;
            }
            for (int i = 0; i < in.length; i++) {
                if (in[i] != null && !in[i].isConstant() && !op.readsAnyOrder(node, i) && !in[i].isContiguous()) {
                    in[i] = contiguous(in[i]);
                }
            }
            final PlanValue[] out = new PlanValue[node.outputs().size()];
            for (int j = 0; j < out.length; j++) {
                final int[] order = op.outputOrder(node, in, j, shapes[j], this);
                out[j] = PlanValue.activation(node.outputs().get(j), shapes[j], order,
                    newBuffer(Shapes.size(shapes[j])));
                values.put(out[j].name, out[j]);
            }
            final int scratch = op.scratch(node, in, out);
            pending.add(new Pending(node, op, in, out, scratch > 0 ? newBuffer(scratch) : null));
        }

        private void addView(final Node node, final Op.View view, final PlanValue in, final int[] shape) {
            final String name = node.output();
            if (in.isConstant()) {
                values.put(name, PlanValue.constant(name, view.constant(node, in.constant, shape)));
                return;
            }
            int[] order = view.viewOrder(node, in, shape);
            PlanValue source = in;
            if (order == null) {
                if (!in.isContiguous()) {
                    source = contiguous(in);
                }
                order = Shapes.identity(shape.length);
            }
            values.put(name, PlanValue.activation(name, shape, order, source.buffer));
        }

        /** A row-major copy of {@code v}, made once however many consumers need it. */
        private PlanValue contiguous(final PlanValue v) {
            final PlanValue cached = contiguousCopies.get(v.name);
            if (cached != null) {
                return cached;
            }
            final String name = v.name + "#rowmajor";
            final Node copy = new Node("copy " + v.name, Op.COPY_TYPE, List.of(v.name), List.of(name),
                Attributes.NONE);
            final PlanValue out = PlanValue.activation(name, v.shape, Shapes.identity(v.rank()),
                newBuffer(v.size()));
            values.put(name, out);
            pending.add(new Pending(copy, operators.of(copy), new PlanValue[] {v}, new PlanValue[] {out}, null));
            contiguousCopies.put(v.name, out);
            return out;
        }

        private PlanValue value(final Node node, final String name) {
            PlanValue v = values.get(name);
            if (v == null) {
                final Constant c = constants.get(name);
                if (c == null) {
                    throw node == null ? GraphException.invalid("graph output '" + name + "' is never computed")
                        : GraphException.invalid(node, "input '" + name + "' is not computed by any earlier node");
                }
                v = PlanValue.constant(name, c);
                values.put(name, v);
            }
            return v;
        }

        private Buffer newBuffer(final int size) {
            final Buffer b = new Buffer(buffers.size(), size);
            buffers.add(b);
            return b;
        }

        /** Records, for every buffer, the first and last step that reads or writes it (scratch space included). */
        private void liveness() {
            for (int s = 0; s < pending.size(); s++) {
                final Pending p = pending.get(s);
                for (final PlanValue v : p.in()) {
                    if (v != null && !v.isConstant()) {
                        v.buffer.use(s);
                    }
                }
                for (final PlanValue v : p.out()) {
                    v.buffer.use(s);
                }
                if (p.scratch() != null) {
                    p.scratch().use(s);
                }
            }
        }

        /**
         * Lets an element-wise step overwrite an input that nothing reads afterwards: the input's buffer dies at this
         * step ({@code from.last == s}), has the output's size, and both are contiguous, so writing element i after
         * reading element i is safe. Pinned buffers (graph inputs and outputs) are never merged.
         */
        private void mergeInPlace() {
            for (int s = 0; s < pending.size(); s++) {
                final Pending p = pending.get(s);
                final int i = p.op().inPlaceInput(p.node(), p.in());
                if (i < 0 || p.in()[i] == null || p.in()[i].isConstant()) {
                    continue;
                }
                final PlanValue in = p.in()[i];
                final PlanValue out = p.out()[0];
                final Buffer from = in.buffer.root();
                final Buffer to = out.buffer.root();
                if (from == to || from.pinned || to.pinned || from.last != s || from.size != to.size
                    || !in.isContiguous() || !out.isContiguous()) {
                    continue;
                }
                final int first = Math.min(from.first, to.first);
                final int last = Math.max(from.last, to.last);
                to.merge(from);
                from.first = first;
                from.last = last;
            }
        }

        private Operand operand(final PlanValue v) {
            if (v.isConstant()) {
                return new Operand(v.constant.isFloat() ? v.constant.floats() : v.constant.asFloats(), 0, v.shape,
                    Shapes.strides(v.shape));
            }
            return new Operand(null, v.buffer.root().offset, v.shape, v.strides());
        }
    }

    /** The shapes of a step's first two inputs, for profiles by shape: {@code [1,36,64,64]x[36,1,3,3]}. */
    private static String shapes(final PlanValue[] in) {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(2, in.length); i++) {
            if (in[i] != null) {
                b.append(b.length() == 0 ? "" : "x").append(java.util.Arrays.toString(in[i].shape).replace(" ", ""));
            }
        }
        return b.toString();
    }
}
