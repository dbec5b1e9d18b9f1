package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.ConvShape;
import io.mobileformer.engine.kernel.DirectConv;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.kernel.Im2col;
import io.mobileformer.engine.kernel.PackedA;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

/**
 * 2-D {@code Conv} (NCHW, dilation 1) and {@code FusedConv}, a convolution whose bias, residual add and activation
 * run in its epilogue. FusedConv's inputs are {@code X, W, B, residual, slope1, slope2} (absent ones empty) and its
 * attribute {@code activation} is {@code relu}, {@code clip} (with {@code clip_min}, {@code clip_max}) or
 * {@code dyrelu}.
 *
 * <p>Four kernels by geometry: pointwise convolutions are one {@link Gemm} per group with the weights packed once;
 * depthwise ones (including depth multipliers) run {@link DepthwiseConv}; dense ones with rows of at least a
 * micro-tile read their input's stride phases directly ({@link DirectConv}, vector plans only: the stem); anything
 * else unfolds with {@link Im2col} into arena scratch, one image at a time, then multiplies.
 */
public final class ConvOp implements Op {
    public static final String FUSED = "FusedConv";
    public static final int RESIDUAL = 3;
    public static final int SLOPE1 = 4;
    public static final int SLOPE2 = 5;
    static final ConvOp INSTANCE = new ConvOp();

    private ConvOp() {
    }

    /** Geometry of one image of this node. */
    static ConvShape geometry(final Node node, final int[] x, final int[] w) {
        if (x.length != 4 || w.length != 4) {
            throw GraphException.unsupported(node, "only 2-D convolutions are supported: " + Shapes.str(x));
        }
        for (final long d : node.attrs().getInts("dilations", new long[] {1, 1})) {
            if (d != 1) {
                throw GraphException.unsupported(node, "dilation " + d + " is not supported");
            }
        }
        final int groups = (int) node.attrs().getInt("group", 1);
        final long[] strides = node.attrs().getInts("strides", new long[] {1, 1});
        final int kh = w[2];
        final int kw = w[3];
        final long[] pads = pads(node, x, kh, kw, strides);
        if (x[1] != w[1] * groups || w[0] % groups != 0) {
            throw GraphException.invalid(node, "weights " + Shapes.str(w) + " do not match input " + Shapes.str(x)
                + " with " + groups + " groups");
        }
        return ConvShape.of(x[1], x[2], x[3], w[0], kh, kw, (int) strides[0], (int) strides[1], (int) pads[0],
            (int) pads[1], (int) pads[2], (int) pads[3], groups);
    }

    private static long[] pads(final Node node, final int[] x, final int kh, final int kw, final long[] strides) {
        final String auto = node.attrs().getString("auto_pad", "NOTSET");
        if (auto.equals("NOTSET")) {
            return node.attrs().getInts("pads", new long[] {0, 0, 0, 0});
        }
        if (auto.equals("VALID")) {
            return new long[] {0, 0, 0, 0};
        }
        final long[] p = new long[4];
        final int[] k = {kh, kw};
        for (int i = 0; i < 2; i++) {
            final long out = (x[2 + i] + strides[i] - 1) / strides[i];
            final long total = Math.max(0, (out - 1) * strides[i] + k[i] - x[2 + i]);
            final long small = total / 2;
            p[i] = auto.equals("SAME_LOWER") ? total - small : small;
            p[i + 2] = total - p[i];
        }
        return p;
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (!in[1].isConstant() || in.length > 2 && in[2] != null && !in[2].isConstant()) {
            throw GraphException.unsupported(node, "weights and bias must be constants");
        }
        final ConvShape s = geometry(node, in[0].shape, in[1].shape);
        final int[] out = {in[0].shape[0], s.cout(), s.oh(), s.ow()};
        if (in.length > RESIDUAL && in[RESIDUAL] != null && !java.util.Arrays.equals(in[RESIDUAL].shape, out)) {
            throw GraphException.invalid(node, "residual " + Shapes.str(in[RESIDUAL].shape) + " for output "
                + Shapes.str(out));
        }
        return new int[][] {out};
    }

    @Override
    public int scratch(final Node node, final PlanValue[] in, final PlanValue[] out) {
        final ConvShape s = geometry(node, in[0].shape, in[1].shape);
        // a DirectConv kernel keeps its phases in per-thread scratch and leaves this unused
        return s.isPointwise() || s.isDepthwise() ? 0 : Im2col.size(s);
    }

    @Override
    public String label(final Node node, final PlanValue[] in, final PlanValue[] out) {
        final ConvShape s = geometry(node, in[0].shape, in[1].shape);
        final String kind = s.isPointwise() ? (s.groups() == 1 ? "1x1" : "1x1/g" + s.groups())
            : s.isDepthwise() ? "dw" + s.kh() + "x" + s.kw() + "/s" + s.sh()
            : s.kh() + "x" + s.kw() + "/s" + s.sh() + (s.groups() == 1 ? "" : "/g" + s.groups());
        final String act = node.attrs().getString("activation", "");
        return "Conv(" + kind + ")" + (act.isEmpty() ? "" : "+" + act)
            + (in.length > RESIDUAL && in[RESIDUAL] != null ? "+add" : "");
    }

    @Override
    public long madds(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return geometry(node, in[0].shape, in[1].shape).madds() * in[0].shape[0];
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final ConvShape s = geometry(node, x.shape(), b.in(1).shape());
        final float[] weights = b.values()[1].floats(node);
        final float[] bias = b.has(2) ? b.values()[2].floats(node) : null;
        final Activation act = switch (node.attrs().getString("activation", "")) {
            case "relu" -> Activation.RELU;
            case "clip" -> Activation.CLIP;
            case "dyrelu" -> Activation.DYRELU;
            default -> Activation.NONE;
        };
        final float lo = node.attrs().getFloat("clip_min", Float.NEGATIVE_INFINITY);
        final float hi = node.attrs().getFloat("clip_max", Float.POSITIVE_INFINITY);
        final Operand residual = b.in(RESIDUAL);
        final Operand slope1 = b.in(SLOPE1);
        final Operand slope2 = b.in(SLOPE2);
        final int slopeLd = slope1 == null ? 0 : ChannelAffineOp.slopeLd(y.shape(), slope1.shape());
        final ConvKernel kernel;
        if (s.isDepthwise()) {
            kernel = new ConvKernel.Depthwise(s, weights, new Epilogue(bias, null, act, lo, hi, residual != null));
        } else if (b.vector() && DirectConv.covers(s)) {
            kernel = new ConvKernel.Direct(s, new DirectConv(s, weights),
                new Epilogue(bias, null, act, lo, hi, residual != null));
        } else {
            kernel = new ConvKernel.Packed(s, weights, bias, act, lo, hi, residual != null, b.scratchOffset());
        }
        final boolean vector = b.vector();
        final int images = x.dim(0);
        final int cout = s.cout();
        final int plane = s.outPlane();
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            for (int n = 0; n < images; n++) {
                final Epilogue.Inputs in = new Epilogue.Inputs(
                    residual == null ? null : residual.array(arena),
                    residual == null ? 0 : residual.offset() + n * cout * plane, plane,
                    slope1 == null ? null : slope1.array(arena),
                    slope1 == null ? 0 : slope1.offset() + n * cout * (slopeLd == 0 ? 1 : plane),
                    slope2 == null ? null : slope2.array(arena),
                    slope2 == null ? 0 : slope2.offset() + n * cout * (slopeLd == 0 ? 1 : plane), slopeLd);
                kernel.run(vector, par, xa, x.offset() + n * s.cin() * s.inPlane(), arena,
                    y.offset() + n * cout * plane, in);
            }
        };
    }

    /** Pack weights of each group for {@link Gemm}: group g is rows [g*cout/G, (g+1)*cout/G). */
    static PackedA[] packGroups(final ConvShape s, final float[] weights) {
        final int groups = s.groups();
        final int rows = s.cout() / groups;
        final int k = s.cin() / groups * s.kh() * s.kw();
        final PackedA[] packed = new PackedA[groups];
        for (int g = 0; g < groups; g++) {
            packed[g] = PackedA.pack(weights, g * rows * k, rows, k, k, 1);
        }
        return packed;
    }
}
