package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.PlanValue;

/**
 * {@code Transpose}: a view with permuted strides. Attention graphs transpose heads in and out of every product;
 * MatMul reads such views in place and can write its result pre-transposed, so most transposes cost nothing.
 */
public final class TransposeOp implements Op.View {
    static final TransposeOp INSTANCE = new TransposeOp();

    private TransposeOp() {
    }

    static int[] perm(final Node node, final int rank) {
        final long[] p = node.attrs().getInts("perm", null);
        final int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = p == null ? rank - 1 - i : Shapes.axis(node, p[i], rank);
        }
        return perm;
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0].shape;
        final long[] p = node.attrs().getInts("perm", null);
        if (p != null && p.length != s.length) {
            throw GraphException.invalid(node, "perm has " + p.length + " axes, input has " + s.length);
        }
        final int[] perm = perm(node, s.length);
        final int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[perm[i]];
        }
        return new int[][] {out};
    }

    /** Output axis i is input axis perm[i]; storage position k held input axis order[k], now output axis inv[...]. */
    @Override
    public int[] viewOrder(final Node node, final PlanValue in, final int[] outShape) {
        final int[] perm = perm(node, in.rank());
        final int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
        }
        final int[] order = new int[perm.length];
        for (int k = 0; k < perm.length; k++) {
            order[k] = inverse[in.order[k]];
        }
        return order;
    }

    @Override
    public Constant constant(final Node node, final Constant in, final int[] outShape) {
        final int[] perm = perm(node, in.rank());
        final int[] inStrides = Shapes.strides(in.shape());
        final int[] outStrides = Shapes.strides(outShape);
        final int n = in.size();
        final float[] f = in.isFloat() ? new float[n] : null;
        final long[] l = in.isFloat() ? null : new long[n];
        for (int o = 0; o < n; o++) {
            int rem = o;
            int src = 0;
            for (int i = 0; i < outShape.length; i++) {
                final int idx = rem / outStrides[i];
                rem %= outStrides[i];
                src += idx * inStrides[perm[i]];
            }
            if (f != null) {
                f[o] = in.floats()[src];
            } else {
                l[o] = in.longs()[src];
            }
        }
        return f != null ? Constant.ofFloats(f, outShape) : Constant.ofLongs(l, outShape);
    }
}
