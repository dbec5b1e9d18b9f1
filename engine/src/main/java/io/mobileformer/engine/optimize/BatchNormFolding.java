package io.mobileformer.engine.optimize;

import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Folds an inference {@code BatchNormalization} into the convolution before it (spec section 5: every BN follows a
 * bias-free conv or a Linear, and DY-ReLU comes after it, so folding is exact): {@code W' = W * s},
 * {@code b' = (b - mean) * s + beta} with {@code s = gamma / sqrt(var + eps)}. Our exports arrive folded by the
 * exporter; this keeps hand-made or other exporters' graphs fast. A BN that does not follow a convolution runs as
 * a per-channel affine step.
 */
public final class BatchNormFolding {
    private BatchNormFolding() {
    }

    static void run(final Graph g) {
        final Map<String, List<Node>> readers = g.consumers();
        final Map<String, Node> producers = g.producers();
        final List<Node> out = new ArrayList<>(g.nodes());
        for (final Node bn : g.nodes()) {
            if (!bn.opType().equals("BatchNormalization") || bn.outputs().size() != 1) {
                continue;
            }
            final Node conv = producers.get(bn.input(0));
            if (conv == null || !conv.opType().equals("Conv") || readers.get(bn.input(0)).size() != 1
                || !g.isConstant(conv.input(1)) || !constants(g, bn)) {
                continue;
            }
            final Constant w = g.constant(conv.input(1));
            final int cout = w.shape()[0];
            final float[] gamma = g.constant(bn.input(1)).asFloats();
            final float[] beta = g.constant(bn.input(2)).asFloats();
            final float[] mean = g.constant(bn.input(3)).asFloats();
            final float[] var = g.constant(bn.input(4)).asFloats();
            final float eps = bn.attrs().getFloat("epsilon", 1e-5f);
            final float[] b = conv.input(2).isEmpty() ? new float[cout] : g.constant(conv.input(2)).asFloats();
            final float[] nw = w.floats().clone();
            final float[] nb = new float[cout];
            final int per = nw.length / cout;
            for (int o = 0; o < cout; o++) {
                final float s = (float) (gamma[o] / Math.sqrt(var[o] + eps));
                for (int i = 0; i < per; i++) {
                    nw[o * per + i] *= s;
                }
                nb[o] = (b[o] - mean[o]) * s + beta[o];
            }
            final String wName = conv.name() + "/W_bn";
            final String bName = conv.name() + "/B_bn";
            g.constants().put(wName, Constant.ofFloats(nw, w.shape()));
            g.constants().put(bName, Constant.ofFloats(nb, cout));
            final Node folded = new Node(conv.name(), "Conv", List.of(conv.input(0), wName, bName), bn.outputs(),
                conv.attrs());
            out.set(out.indexOf(conv), folded);
            out.remove(bn);
        }
        g.setNodes(out);
        g.pruneUnused();
    }

    private static boolean constants(final Graph g, final Node bn) {
        for (int i = 1; i <= 4; i++) {
            if (!g.isConstant(bn.input(i))) {
                return false;
            }
        }
        return true;
    }
}
