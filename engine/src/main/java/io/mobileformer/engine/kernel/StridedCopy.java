package io.mobileformer.engine.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * Copies a strided view of a tensor into contiguous storage: transposes that no consumer can read in place, slices,
 * gathers of one index and splits. Axes that stay contiguous are merged at plan time, so a channel shuffle of NCHW
 * planes becomes one {@link System#arraycopy} per plane.
 */
public final class StridedCopy {
    private final int[] dims;
    private final int[] strides;
    private final int inner;
    private final int innerStride;
    private final int rows;

    /** {@code out[i0, i1, ...] = src[base + sum(i_k * strides[k])]} for the given output shape. */
    public StridedCopy(final int[] shape, final int[] srcStrides) {
        final List<int[]> merged = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            if (!merged.isEmpty()) {
                final int[] last = merged.get(merged.size() - 1);
                if (last[1] == srcStrides[i] * shape[i]) {
                    last[0] *= shape[i];
                    last[1] = srcStrides[i];
                    continue;
                }
            }
            merged.add(new int[] {shape[i], srcStrides[i]});
        }
        if (merged.isEmpty()) {
            merged.add(new int[] {1, 1});
        }
        this.dims = merged.stream().mapToInt(d -> d[0]).toArray();
        this.strides = merged.stream().mapToInt(d -> d[1]).toArray();
        this.inner = dims[dims.length - 1];
        this.innerStride = strides[strides.length - 1];
        int r = 1;
        for (int i = 0; i < dims.length - 1; i++) {
            r *= dims[i];
        }
        this.rows = r;
    }

    public int rows() {
        return rows;
    }

    /** Output rows [r0, r1) of length {@code inner}. */
    public void run(final float[] src, final int srcOff, final float[] out, final int outOff, final int r0,
                    final int r1) {
        for (int row = r0; row < r1; row++) {
            int rem = row;
            int s = srcOff;
            for (int d = dims.length - 2; d >= 0; d--) {
                s += (rem % dims[d]) * strides[d];
                rem /= dims[d];
            }
            final int o = outOff + row * inner;
            if (innerStride == 1) {
                System.arraycopy(src, s, out, o, inner);
            } else {
                for (int i = 0; i < inner; i++) {
                    out[o + i] = src[s + i * innerStride];
                }
            }
        }
    }
}
