package io.mobileformer.engine.optimize;

import io.mobileformer.engine.graph.Attributes;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.ops.MatMulOp;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites {@code Gemm} (the DY-ReLU hyper-MLPs, spec section 2.2) into {@code MatMul} forms the planner runs:
 * constant weights are transposed and scaled by alpha once, a bias of one value per column becomes the bias of a
 * {@code FusedMatMul}; anything else becomes explicit {@code Transpose}, {@code Mul} and {@code Add} nodes.
 */
public final class GemmLowering {
    private GemmLowering() {
    }

    static void run(final Graph g) {
        final List<Node> out = new ArrayList<>();
        for (final Node n : g.nodes()) {
            if (n.opType().equals("Gemm")) {
                lower(g, n, out);
            } else {
                out.add(n);
            }
        }
        g.setNodes(out);
    }

    private static void lower(final Graph g, final Node n, final List<Node> out) {
        final float alpha = n.attrs().getFloat("alpha", 1f);
        final float beta = n.attrs().getFloat("beta", 1f);
        final boolean transA = n.attrs().getInt("transA", 0) != 0;
        final boolean transB = n.attrs().getInt("transB", 0) != 0;
        final String name = n.name();
        String a = n.input(0);
        if (transA) {
            a = transpose(n, a, name + "/transA", out);
        }
        final String c = n.input(2);
        final Constant cc = c.isEmpty() ? null : g.constant(c);
        if (g.isConstant(n.input(1))) {
            Constant w = g.constant(n.input(1));
            if (w.rank() != 2) {
                throw GraphException.invalid(n, "B must be 2-D");
            }
            if (transB) {
                w = transpose2d(w);
            }
            final String wName = name + "/B";
            g.constants().put(wName, Constant.ofFloats(scaled(w.floats(), alpha), w.shape()));
            final int cols = w.shape()[1];
            if (cc != null && cc.isFloat() && cc.size() == cols && cc.shape()[cc.rank() - 1] == cols) {
                final String bName = name + "/bias";
                g.constants().put(bName, Constant.ofFloats(scaled(cc.floats(), beta), cols));
                out.add(new Node(name, MatMulOp.FUSED, List.of(a, wName, bName), n.outputs(), Attributes.NONE));
                return;
            }
            addBias(g, n, a, wName, c, cc, beta, out);
            return;
        }
        String b = n.input(1);
        if (transB) {
            b = transpose(n, b, name + "/transB", out);
        }
        String product = b;
        if (alpha != 1f) {
            final String mm = name + "/matmul";
            out.add(new Node(mm, "MatMul", List.of(a, b), List.of(mm + "_output"), Attributes.NONE));
            final String alphaName = name + "/alpha";
            g.constants().put(alphaName, Constant.ofFloats(new float[] {alpha}));
            final String scaledOut = c.isEmpty() ? n.output() : name + "/scaled_output";
            out.add(new Node(name + "/scale", "Mul", List.of(mm + "_output", alphaName), List.of(scaledOut),
                Attributes.NONE));
            if (!c.isEmpty()) {
                addAdd(g, n, scaledOut, c, cc, beta, out);
            }
            return;
        }
        addBias(g, n, a, product, c, cc, beta, out);
    }

    /** MatMul(a, b) followed by + beta * C when there is a C. */
    private static void addBias(final Graph g, final Node n, final String a, final String b, final String c,
                                final Constant cc, final float beta, final List<Node> out) {
        if (c.isEmpty()) {
            out.add(new Node(n.name(), "MatMul", List.of(a, b), n.outputs(), Attributes.NONE));
            return;
        }
        final String mm = n.name() + "/matmul_output";
        out.add(new Node(n.name() + "/matmul", "MatMul", List.of(a, b), List.of(mm), Attributes.NONE));
        addAdd(g, n, mm, c, cc, beta, out);
    }

    private static void addAdd(final Graph g, final Node n, final String x, final String c, final Constant cc,
                               final float beta, final List<Node> out) {
        String term = c;
        if (beta != 1f) {
            if (cc != null && cc.isFloat()) {
                term = n.name() + "/beta_c";
                g.constants().put(term, Constant.ofFloats(scaled(cc.floats(), beta), cc.shape()));
            } else {
                final String betaName = n.name() + "/beta";
                g.constants().put(betaName, Constant.ofFloats(new float[] {beta}));
                term = n.name() + "/beta_c";
                out.add(new Node(n.name() + "/scale_c", "Mul", List.of(c, betaName), List.of(term), Attributes.NONE));
            }
        }
        out.add(new Node(n.name() + "/add_c", "Add", List.of(x, term), n.outputs(), Attributes.NONE));
    }

    private static String transpose(final Node n, final String value, final String name, final List<Node> out) {
        out.add(new Node(name, "Transpose", List.of(value), List.of(name + "_output"),
            new Attributes(java.util.Map.of("perm", new long[] {1, 0}))));
        return name + "_output";
    }

    static Constant transpose2d(final Constant w) {
        final int r = w.shape()[0];
        final int c = w.shape()[1];
        final float[] t = new float[r * c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                t[j * r + i] = w.floats()[i * c + j];
            }
        }
        return Constant.ofFloats(t, c, r);
    }

    static float[] scaled(final float[] v, final float s) {
        if (s == 1f) {
            return v;
        }
        final float[] r = new float[v.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = v[i] * s;
        }
        return r;
    }
}
