package io.mobileformer.engine.kernel;

/**
 * Walking a tensor in row-major order of some axes while tracking an offset into another tensor whose strides differ
 * (broadcast strides of 0, the reduced axes of a reduction): the last axis advances, and on reaching its size it
 * wraps to 0 and carries into the axis before, like a car's odometer. The scalar kernels of the general operators
 * (Expand, Where, the Reduce family) step with it, one element at a time.
 */
public final class Odometer {
    private Odometer() {
    }

    /**
     * Advances {@code index} over {@code dims} by one element and returns {@code offset} moved accordingly along
     * {@code strides}. After the last element the index is back at zero and so is the offset's displacement.
     */
    public static int advance(final int[] index, final int[] dims, final int[] strides, int offset) {
        for (int a = dims.length - 1; a >= 0; a--) {
            offset += strides[a];
            if (++index[a] < dims[a]) {
                return offset;
            }
            offset -= strides[a] * dims[a];
            index[a] = 0;
        }
        return offset;
    }
}
