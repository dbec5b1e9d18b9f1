package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;

import java.util.Arrays;

/**
 * The window geometry shared by pooling, the general convolution and the transposed one, per spatial axis of
 * {@code [N, C, spatial...]}: input and output sizes, kernel, strides, dilations and the padding at each end.
 * Position {@code o} of the output reads (or, transposed, writes) input position
 * {@code o * stride - padBegin + k * dilation} for each kernel offset {@code k}.
 */
record SlidingWindow(int[] in, int[] out, int[] kernel, int[] strides, int[] dilations, int[] padBegin,
                     int[] padEnd) {

    /** An attribute of one value per spatial axis, {@code dflt} where absent. */
    static int[] ints(final Node node, final String name, final int n, final int dflt) {
        final long[] v = node.attrs().getInts(name, null);
        final int[] r = new int[n];
        Arrays.fill(r, dflt);
        if (v != null && v.length > 0) {
            if (v.length != n) {
                throw GraphException.invalid(node, name + " has " + v.length + " values for " + n + " spatial axes");
            }
            for (int i = 0; i < n; i++) {
                r[i] = Math.toIntExact(v[i]);
            }
        }
        return r;
    }

    /**
     * A forward window (convolution, pooling) over input {@code x} with this kernel: strides, dilations, explicit
     * pads or {@code auto_pad}, and {@code ceil_mode} when {@code ceil} (pooling).
     */
    static SlidingWindow forward(final Node node, final int[] x, final int[] kernel, final boolean ceil) {
        final int n = x.length - 2;
        final int[] in = Arrays.copyOfRange(x, 2, x.length);
        final int[] strides = ints(node, "strides", n, 1);
        final int[] dil = ints(node, "dilations", n, 1);
        final long[] pads = node.attrs().getInts("pads", new long[2 * n]);
        if (pads.length != 2 * n) {
            throw GraphException.invalid(node, "pads has " + pads.length + " values for " + n + " spatial axes");
        }
        final String auto = node.attrs().getString("auto_pad", "NOTSET");
        final int[] out = new int[n];
        final int[] pb = new int[n];
        final int[] pe = new int[n];
        for (int i = 0; i < n; i++) {
            final int span = (kernel[i] - 1) * dil[i] + 1;
            switch (auto) {
                case "NOTSET" -> {
                    pb[i] = (int) pads[i];
                    pe[i] = (int) pads[i + n];
                    final int room = in[i] + pb[i] + pe[i] - span;
                    out[i] = (ceil ? Math.floorDiv(room + strides[i] - 1, strides[i]) : Math.floorDiv(room, strides[i]))
                        + 1;
                    // ceil mode: a last window that would start inside the end padding is dropped (PyTorch's
                    // rule, which ONNX Runtime follows)
                    if (ceil && (out[i] - 1) * strides[i] >= in[i] + pb[i]) {
                        out[i]--;
                    }
                }
                case "VALID" -> out[i] = Math.floorDiv(in[i] - span, strides[i]) + 1;
                case "SAME_UPPER", "SAME_LOWER" -> {
                    out[i] = (in[i] + strides[i] - 1) / strides[i];
                    final int total = Math.max(0, (out[i] - 1) * strides[i] + span - in[i]);
                    pb[i] = auto.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                    pe[i] = total - pb[i];
                }
                default -> throw GraphException.unsupported(node, "auto_pad '" + auto + "' is not supported");
            }
            if (out[i] < 1) {
                throw GraphException.invalid(node, "the window does not fit axis " + (i + 2) + " of "
                    + Shapes.str(x));
            }
        }
        return new SlidingWindow(in, out, kernel.clone(), strides, dil, pb, pe);
    }

    /**
     * The row-major offset, in a plane of size {@code extent} with {@code planeStrides}, of the position window
     * {@code o} reaches with kernel offset {@code k}, or -1 when that position lies in the padding. Forward ops pass
     * the input's extent (where they read); the transposed convolution the output's (where it writes).
     */
    int at(final int[] o, final int[] k, final int[] extent, final int[] planeStrides) {
        int at = 0;
        for (int a = 0; a < o.length; a++) {
            final int pos = o[a] * strides[a] - padBegin[a] + k[a] * dilations[a];
            if (pos < 0 || pos >= extent[a]) {
                return -1;
            }
            at += pos * planeStrides[a];
        }
        return at;
    }

    /** Output shape {@code [N, channels, out...]} for input {@code x}. */
    int[] outputShape(final int[] x, final int channels) {
        final int[] s = new int[x.length];
        s[0] = x[0];
        s[1] = channels;
        System.arraycopy(out, 0, s, 2, out.length);
        return s;
    }
}
