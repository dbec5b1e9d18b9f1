package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.ResizeLinear;
import io.mobileformer.engine.kernel.ResizeNearest;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * {@code Resize} with mode nearest (the FPN upsampling of the CenterNet head) or linear (bilinear) over the two
 * trailing axes, with constant scales or sizes. Every coordinate transformation and nearest rounding mode of opset
 * 13-17 except tf_crop_and_resize is supported; cubic mode is refused at load.
 */
public final class ResizeOp implements Op {
    static final ResizeOp INSTANCE = new ResizeOp();

    private ResizeOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final String mode = node.attrs().getString("mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear")) {
            throw GraphException.unsupported(node, "mode '" + mode + "' is not supported (nearest, linear)");
        }
        final String ct = node.attrs().getString("coordinate_transformation_mode", "half_pixel");
        if (ct.equals("tf_crop_and_resize")) {
            throw GraphException.unsupported(node, "coordinate_transformation_mode tf_crop_and_resize");
        }
        final int[] s = in[0].shape;
        final int[] out = s.clone();
        final float[] scales = scales(node, in);
        if (in.length > 3 && in[3] != null) {
            final long[] sizes = ReshapeOp.constantInts(node, in, 3, "sizes");
            for (int i = 0; i < s.length; i++) {
                out[i] = (int) sizes[i];
            }
        } else {
            for (int i = 0; i < s.length; i++) {
                final double exact = (double) s[i] * scales[i];
                out[i] = (int) Math.floor(exact);
                // ONNX's reference divides by the unrounded length here while ONNX Runtime and PyTorch take the
                // rounded one; rather than pick a side silently, such a model is refused and names the way out
                if (ct.equals("align_corners") && out[i] != exact && out[i] != s[i]) {
                    throw GraphException.unsupported(node, "align_corners with scale " + scales[i] + " on an axis of "
                        + s[i] + " gives a fractional output length (" + exact + "), where ONNX's reference and "
                        + "ONNX Runtime disagree: export with output sizes instead of scales");
                }
            }
        }
        for (int i = 0; i < s.length - 2; i++) {
            if (out[i] != s[i]) {
                throw GraphException.unsupported(node, "only the two trailing axes may be resized");
            }
        }
        return new int[][] {out};
    }

    private static float[] scales(final Node node, final PlanValue[] in) {
        final int rank = in[0].rank();
        if (in.length > 2 && in[2] != null && in[2].size() > 0) {
            if (!in[2].isConstant()) {
                throw GraphException.unsupported(node, "scales must be a constant");
            }
            return in[2].constant.asFloats();
        }
        if (in.length > 3 && in[3] != null) {
            final long[] sizes = ReshapeOp.constantInts(node, in, 3, "sizes");
            final float[] sc = new float[rank];
            for (int i = 0; i < rank; i++) {
                sc[i] = (float) sizes[i] / in[0].shape[i];
            }
            return sc;
        }
        throw GraphException.unsupported(node, "neither scales nor sizes given");
    }

    /** The input coordinate output index {@code o} maps to along one axis (ONNX's coordinate transformation). */
    private static double sourceCoordinate(final String ct, final int o, final int inSize, final int outSize,
                                           final float scale) {
        return switch (ct) {
            case "asymmetric" -> o / (double) scale;
            case "align_corners" -> outSize == 1 ? 0 : o * (inSize - 1) / (double) (outSize - 1);
            case "pytorch_half_pixel" -> outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
            case "tf_half_pixel_for_nn" -> (o + 0.5) / scale;
            default -> (o + 0.5) / scale - 0.5;           // half_pixel
        };
    }

    /**
     * For linear mode along one axis: the two source indices of each output index and the weight of the second,
     * from the transformed coordinate clamped into the input (edges repeat, as ONNX Runtime does).
     */
    private static void linearWeights(final Node node, final int inSize, final int outSize, final float scale,
                                       final int[] i0, final int[] i1, final float[] w1) {
        final String ct = node.attrs().getString("coordinate_transformation_mode", "half_pixel");
        for (int o = 0; o < outSize; o++) {
            final double x = Math.max(0, Math.min(inSize - 1, sourceCoordinate(ct, o, inSize, outSize, scale)));
            i0[o] = (int) Math.floor(x);
            i1[o] = Math.min(i0[o] + 1, inSize - 1);
            w1[o] = (float) (x - i0[o]);
        }
    }

    /** Source index of each output index along one axis. */
    static int[] sourceIndex(final Node node, final int inSize, final int outSize, final float scale) {
        final String ct = node.attrs().getString("coordinate_transformation_mode", "half_pixel");
        final String rounding = node.attrs().getString("nearest_mode", "round_prefer_floor");
        final int[] idx = new int[outSize];
        for (int o = 0; o < outSize; o++) {
            final double x = sourceCoordinate(ct, o, inSize, outSize, scale);
            final double r = switch (rounding) {
                case "floor" -> Math.floor(x);
                case "ceil" -> Math.ceil(x);
                case "round_prefer_ceil" -> Math.floor(x + 0.5);
                default -> x == Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);   // round_prefer_floor
            };
            idx[o] = (int) Math.max(0, Math.min(inSize - 1, r));
        }
        return idx;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final int r = x.rank();
        final float[] sc = scales(node, b.values());
        final int h = x.dim(r - 2);
        final int w = x.dim(r - 1);
        if (node.attrs().getString("mode", "nearest").equals("linear")) {
            final int oh = y.dim(r - 2);
            final int ow = y.dim(r - 1);
            final int[] y0 = new int[oh];
            final int[] y1 = new int[oh];
            final float[] wy = new float[oh];
            final int[] x0 = new int[ow];
            final int[] x1 = new int[ow];
            final float[] wx = new float[ow];
            linearWeights(node, h, oh, sc[r - 2], y0, y1, wy);
            linearWeights(node, w, ow, sc[r - 1], x0, x1, wx);
            final int planes = Shapes.size(x.shape(), 0, r - 2);
            return (arena, par) -> {
                final float[] xa = x.array(arena);
                final int tasks = Tasks.count(par, planes, y.size() * 4L);
                par.run(tasks, (t, wk) -> ResizeLinear.run(xa, x.offset(), h, w, y0, y1, wy, x0, x1, wx, arena,
                    y.offset(), Tasks.start(planes, t, tasks), Tasks.start(planes, t + 1, tasks)));
            };
        }
        final int[] ys = sourceIndex(node, h, y.dim(r - 2), sc[r - 2]);
        final int[] xs = sourceIndex(node, w, y.dim(r - 1), sc[r - 1]);
        final int planes = Shapes.size(x.shape(), 0, r - 2);
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, planes, y.size());
            par.run(tasks, (t, wk) -> ResizeNearest.run(xa, x.offset(), h, w, ys, xs, arena, y.offset(),
                Tasks.start(planes, t, tasks), Tasks.start(planes, t + 1, tasks)));
        };
    }
}
