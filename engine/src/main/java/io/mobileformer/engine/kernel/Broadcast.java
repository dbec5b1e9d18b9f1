package io.mobileformer.engine.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How two operands of an element-wise operator line up with a contiguous output, computed once per plan: NumPy
 * broadcasting gives every output axis a stride per operand (0 where the operand is broadcast), then neighbouring axes
 * that stay contiguous for both are merged. {@code [N,C,H,W] * [N,C,1,1]} becomes two loops, N*C rows of H*W with the
 * second operand one value per row, so the inner loop is a vector times a scalar.
 */
public final class Broadcast {
    final int[] dims;
    final int[] aStrides;
    final int[] bStrides;
    final int inner;
    final int rows;

    private Broadcast(final int[] dims, final int[] aStrides, final int[] bStrides) {
        this.dims = dims;
        this.aStrides = aStrides;
        this.bStrides = bStrides;
        this.inner = dims[dims.length - 1];
        int r = 1;
        for (int i = 0; i < dims.length - 1; i++) {
            r *= dims[i];
        }
        this.rows = r;
    }

    /** NumPy's result shape of two shapes; throws {@link IllegalArgumentException} when they do not broadcast. */
    public static int[] shape(final int[] a, final int[] b) {
        final int r = Math.max(a.length, b.length);
        final int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            final int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            final int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** The loops for {@code out = op(a, b)}, all three stored contiguously in row-major order. */
    public static Broadcast of(final int[] out, final int[] a, final int[] b) {
        final int r = out.length;
        final int[] sa = strides(out, a);
        final int[] sb = strides(out, b);
        final List<int[]> merged = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (out[i] == 1) {
                continue;
            }
            if (!merged.isEmpty()) {
                final int[] last = merged.get(merged.size() - 1);
                if (last[1] == sa[i] * out[i] && last[2] == sb[i] * out[i]) {
                    last[0] *= out[i];
                    last[1] = sa[i];
                    last[2] = sb[i];
                    continue;
                }
            }
            merged.add(new int[] {out[i], sa[i], sb[i]});
        }
        if (merged.isEmpty()) {
            merged.add(new int[] {1, 0, 0});
        }
        final int n = merged.size();
        final int[] dims = new int[n];
        final int[] as = new int[n];
        final int[] bs = new int[n];
        for (int i = 0; i < n; i++) {
            dims[i] = merged.get(i)[0];
            as[i] = merged.get(i)[1];
            bs[i] = merged.get(i)[2];
        }
        return new Broadcast(dims, as, bs);
    }

    /** Strides of {@code operand} (right-aligned, row-major) along each axis of {@code out}; 0 where broadcast. */
    private static int[] strides(final int[] out, final int[] operand) {
        final int r = out.length;
        final int[] s = new int[r];
        int stride = 1;
        for (int i = operand.length - 1; i >= 0; i--) {
            final int axis = i + r - operand.length;
            s[axis] = operand[i] == 1 ? 0 : stride;
            stride *= operand[i];
        }
        return s;
    }

    /** Number of inner rows; {@link #rowOffsets} maps a row to its operand offsets. */
    public int rows() {
        return rows;
    }

    public int inner() {
        return inner;
    }

    int innerStrideA() {
        return aStrides[aStrides.length - 1];
    }

    int innerStrideB() {
        return bStrides[bStrides.length - 1];
    }

    /** Offsets of row {@code row} in a and b, relative to their bases: {@code out[0]} for a, {@code out[1]} for b. */
    void rowOffsets(final int row, final int[] out) {
        int rem = row;
        int oa = 0;
        int ob = 0;
        for (int d = dims.length - 2; d >= 0; d--) {
            final int i = rem % dims[d];
            rem /= dims[d];
            oa += i * aStrides[d];
            ob += i * bStrides[d];
        }
        out[0] = oa;
        out[1] = ob;
    }
}
