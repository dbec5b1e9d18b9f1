package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.kernel.Gemm;
import io.mobileformer.engine.kernel.PackedA;
import io.mobileformer.engine.kernel.PackedB;
import io.mobileformer.engine.kernel.TokenGemm;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanContext;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

import java.util.List;

/**
 * {@code MatMul} over N-D operands with broadcast batch axes ({@code [1, 2, M, c]} queries against
 * {@code [N, 2, c, HW]} pixels), and {@code FusedMatMul}, the same plus a bias along the last axis (a
 * {@code MatMul + Add} of a token linear, folded by {@link io.mobileformer.engine.optimize.GraphOptimizer}).
 *
 * <p>Operands are read in place whatever their strides. The output layout is chosen so that no transpose around an
 * attention product needs a copy:
 * <ul>
 *   <li>when the only reader is a {@code Transpose} (head merge, Former→Mobile's {@code [HW, c] -> [c, HW]}), the
 *       result is written directly in the transposed order and the transpose becomes free;</li>
 *   <li>when the product is tall and thin (pixels x 3-6 tokens) and feeds only a softmax or another product, it is
 *       stored token-major, so the softmax runs with vectors across pixels.</li>
 * </ul>
 * A product whose output has unit row stride is computed as {@code C^T = B^T A^T}. The kernel is the packed form of
 * {@link Gemm} when the right operand has unit column stride, else the dot form when both operands are contiguous
 * along k.
 */
public final class MatMulOp implements Op {
    public static final String FUSED = "FusedMatMul";
    static final MatMulOp INSTANCE = new MatMulOp();
    /** Below this many columns a row-major product wastes most of each vector. */
    private static final int THIN = 16;

    private MatMulOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] a = in[0].shape;
        final int[] b = in[1].shape;
        if (a.length < 2 || b.length < 2) {
            throw GraphException.unsupported(node, "1-D operands are not supported: " + Shapes.str(a) + " x "
                + Shapes.str(b));
        }
        if (a[a.length - 1] != b[b.length - 2]) {
            throw GraphException.invalid(node, "inner dimensions differ: " + Shapes.str(a) + " x " + Shapes.str(b));
        }
        final int[] batch;
        try {
            batch = io.mobileformer.engine.kernel.Broadcast.shape(
                java.util.Arrays.copyOf(a, a.length - 2), java.util.Arrays.copyOf(b, b.length - 2));
        } catch (final IllegalArgumentException e) {
            throw GraphException.invalid(node, e.getMessage());
        }
        final int[] out = java.util.Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = a[a.length - 2];
        out[batch.length + 1] = b[b.length - 1];
        if (in.length > 2 && in[2] != null && (!in[2].isConstant() || in[2].size() != out[out.length - 1])) {
            throw GraphException.unsupported(node, "the fused bias must be a constant of " + out[out.length - 1]);
        }
        return new int[][] {out};
    }

    @Override
    public boolean readsAnyOrder(final Node node, final int i) {
        return i < 2;
    }

    @Override
    public int[] outputOrder(final Node node, final PlanValue[] in, final int j, final int[] shape,
                             final PlanContext ctx) {
        final int r = shape.length;
        final String out = node.output();
        final List<Node> readers = ctx.consumers(out);
        if (ctx.isGraphOutput(out) || readers.isEmpty()) {
            return Shapes.identity(r);
        }
        if (readers.size() == 1 && readers.get(0).opType().equals("Transpose")) {
            final int[] perm = TransposeOp.perm(readers.get(0), r);
            if (perm[r - 1] >= r - 2) {
                return perm;
            }
        }
        final int m = shape[r - 2];
        final int n = shape[r - 1];
        if (n < THIN && m >= 4 * THIN && readers.stream().allMatch(c -> readsTokenMajor(c, out, r))) {
            final int[] order = Shapes.identity(r);
            order[r - 2] = r - 1;
            order[r - 1] = r - 2;
            return order;
        }
        return Shapes.identity(r);
    }

    private static boolean readsTokenMajor(final Node reader, final String value, final int rank) {
        return switch (reader.opType()) {
            case "Softmax" -> Shapes.axis(reader, reader.attrs().getInt("axis", -1), rank) == rank - 1;
            case "MatMul", FUSED -> !reader.input(2).equals(value);
            default -> false;
        };
    }

    @Override
    public String label(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return (in[1].isConstant() || in[0].isConstant() ? "MatMul(linear)" : "MatMul(attention)");
    }

    @Override
    public long madds(final Node node, final PlanValue[] in, final PlanValue[] out) {
        final int[] s = out[0].shape;
        return (long) Shapes.size(s) * in[0].shape[in[0].rank() - 1];
    }

    @Override
    public Step bind(final Node node, final Binding bd) {
        final Operand a = bd.in(0);
        final Operand b = bd.in(1);
        final Operand c = bd.out(0);
        final float[] bias = bd.has(2) ? bd.values()[2].floats(node) : null;
        final int r = c.rank();
        final int m = c.dim(r - 2);
        final int n = c.dim(r - 1);
        final int k = a.dim(-1);
        final int batches = Shapes.size(c.shape(), 0, r - 2);
        final int[] offA = batchOffsets(a, c, batches);
        final int[] offB = batchOffsets(b, c, batches);
        final int[] offC = batchOffsets(c, c, batches);
        final int crs = m == 1 ? n : c.stride(-2);
        final int ccs = n == 1 ? 1 : c.stride(-1);
        final boolean normal = ccs == 1;
        if (!normal && crs != 1) {
            throw GraphException.unsupported(node, "output layout without a unit stride");
        }
        // the product as computed: rows x cols = (A' x B'), C' has unit column stride and leading dimension ldc
        final Product p = normal
            ? new Product(m, n, k, a, a.stride(-2), a.stride(-1), offA, b, b.stride(-2), b.stride(-1), offB, crs)
            : new Product(n, m, k, b, b.stride(-1), b.stride(-2), offB, a, a.stride(-1), a.stride(-2), offA, ccs);
        final Epilogue ep = bias == null ? Epilogue.NONE
            : new Epilogue(normal ? null : bias, normal ? bias : null, Activation.NONE, 0, 0, false);
        return p.bind(offC, c, ep, bd.vector());
    }

    /** Offset of each output batch index in {@code x}, broadcasting axes that x lacks or has as 1. */
    private static int[] batchOffsets(final Operand x, final Operand out, final int batches) {
        final int rb = out.rank() - 2;
        final int xb = x.rank() - 2;
        final int[] offsets = new int[batches];
        for (int bi = 0; bi < batches; bi++) {
            int rem = bi;
            int off = x.offset();
            for (int d = rb - 1; d >= 0; d--) {
                final int idx = rem % out.dim(d);
                rem /= out.dim(d);
                final int xd = d - (rb - xb);
                if (xd >= 0 && x.dim(xd) != 1) {
                    off += idx * x.stride(xd);
                }
            }
            offsets[bi] = off;
        }
        return offsets;
    }

    /**
     * {@code C'[rows x cols] = A'[rows x k] * B'[k x cols]} per batch index, with strides (rs, cs) for A' and B' and
     * C' at unit column stride.
     */
    private record Product(int rows, int cols, int k, Operand a, int ars, int acs, int[] offA, Operand b, int brs,
                           int bcs, int[] offB, int ldc) {

        Step bind(final int[] offC, final Operand c, final Epilogue ep, final boolean vector) {
            final int batches = offC.length;
            final boolean packed = bcs == 1 || cols == 1;
            final boolean dot = !packed && acs == 1 && brs == 1;
            // constant operands (weights) are packed once here, per distinct offset
            final PackedA[] prepacked = a.isConstant() && !dot ? new PackedA[batches] : null;
            final PackedB[] packedB = b.isConstant() && !dot ? new PackedB[batches] : null;
            for (int bi = 0; bi < batches; bi++) {
                if (prepacked != null) {
                    prepacked[bi] = bi > 0 && offA[bi] == offA[bi - 1] ? prepacked[bi - 1]
                        : PackedA.pack(a.constant(), offA[bi], rows, k, ars, acs);
                }
                if (packedB != null) {
                    packedB[bi] = bi > 0 && offB[bi] == offB[bi - 1] ? packedB[bi - 1]
                        : PackedB.pack(b.constant(), offB[bi], k, cols, brs, bcs);
                }
            }
            // a few rows against constant weights (token linears) with at most a column bias: the kernel that reads
            // the rows in place and starts from the bias (TokenGemm); it takes columns in steps of two panels
            final float[] tokenBias = vector && packedB != null && rows <= TokenGemm.MAX_ROWS && ep.biasRow() == null
                && ep.activation() == Activation.NONE && !ep.residual() ? TokenGemm.paddedBias(ep.biasCol(), cols)
                : null;
            final int align = tokenBias != null ? 2 * Gemm.NR : Gemm.NR;
            final int colChunks = Math.max(1, (cols + 255) / 256);
            return (arena, par) -> {
                final float[] aa = a.array(arena);
                final float[] ba = b.array(arena);
                final int tasks = Tasks.count(par, batches * colChunks, (long) batches * rows * cols * k);
                if (tasks <= 1) {
                    for (int bi = 0; bi < batches; bi++) {
                        one(bi, 0, cols, aa, ba, arena, offC[bi], prepacked, packedB, ep, vector, dot, packed,
                            tokenBias);
                    }
                    return;
                }
                final int chunks = Math.min(colChunks, Math.max(1, (tasks + batches - 1) / batches));
                par.run(batches * chunks, (task, w) -> {
                    final int bi = task / chunks;
                    final int chunk = task % chunks;
                    one(bi, Tasks.alignedStart(cols, chunk, chunks, align),
                        Tasks.alignedStart(cols, chunk + 1, chunks, align), aa, ba, arena, offC[bi], prepacked,
                        packedB, ep, vector, dot, packed, tokenBias);
                });
            };
        }

        private void one(final int bi, final int c0, final int c1, final float[] aa, final float[] ba,
                         final float[] ca, final int cOff, final PackedA[] prepacked, final PackedB[] packedB,
                         final Epilogue ep, final boolean vector, final boolean dot, final boolean packed,
                         final float[] tokenBias) {
            if (tokenBias != null) {
                TokenGemm.multiply(true, rows, aa, offA[bi], ars, acs, packedB[bi], tokenBias, ca, cOff, ldc, c0, c1);
                return;
            }
            if (dot) {
                Gemm.multiplyDot(vector, rows, c1 - c0, k, aa, offA[bi], ars, ba, offB[bi] + c0 * bcs, bcs, ca,
                    cOff + c0, ldc, 1);
                applyBias(ep, ca, cOff, c0, c1);
                return;
            }
            final PackedA pa = prepacked != null ? prepacked[bi]
                : PackedA.packInto(ScratchA.get(PackedA.size(rows, k)), 0, aa, offA[bi], rows, k, ars, acs);
            if (packedB != null) {
                Gemm.multiply(vector, pa, packedB[bi], ca, cOff, ldc, c0, c1, ep, Epilogue.Inputs.NONE);
            } else if (packed) {
                Gemm.multiply(vector, pa, ba, offB[bi], brs, ca, cOff, ldc, c0, c1, ep, Epilogue.Inputs.NONE);
            } else {
                Gemm.multiplyStrided(vector, pa, ba, offB[bi] + c0 * bcs, brs, bcs, c1 - c0, ca, cOff + c0, ldc,
                    ep.biasCol() == null ? ep : new Epilogue(ep.biasRow(),
                        java.util.Arrays.copyOfRange(ep.biasCol(), c0, c1), Activation.NONE, 0, 0, false),
                    Epilogue.Inputs.NONE);
            }
        }

        private void applyBias(final Epilogue ep, final float[] ca, final int cOff, final int c0, final int c1) {
            if (ep.isIdentity()) {
                return;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = c0; j < c1; j++) {
                    float v = ca[cOff + i * ldc + j];
                    if (ep.biasRow() != null) {
                        v += ep.biasRow()[i];
                    }
                    if (ep.biasCol() != null) {
                        v += ep.biasCol()[j];
                    }
                    ca[cOff + i * ldc + j] = v;
                }
            }
        }
    }

    /** Packing space for left operands that change per call; thread-confined like the kernels' scratch. */
    static final class ScratchA {
        private static final ThreadLocal<float[][]> LOCAL = ThreadLocal.withInitial(() -> new float[1][0]);

        private ScratchA() {
        }

        static float[] get(final int size) {
            final float[][] holder = LOCAL.get();
            if (holder[0].length < size) {
                holder[0] = new float[size];
            }
            return holder[0];
        }
    }
}
