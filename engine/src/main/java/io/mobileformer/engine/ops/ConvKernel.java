package io.mobileformer.engine.ops;

import io.mobileformer.engine.kernel.Activation;
import io.mobileformer.engine.kernel.ConvShape;
import io.mobileformer.engine.kernel.DepthwiseConv;
import io.mobileformer.engine.kernel.DirectConv;
import io.mobileformer.engine.kernel.Epilogue;
import io.mobileformer.engine.kernel.Gemm;
import io.mobileformer.engine.kernel.Im2col;
import io.mobileformer.engine.kernel.PackedA;
import io.mobileformer.engine.kernel.Parallel;
import io.mobileformer.engine.plan.Tasks;

/** One image of a convolution, split over workers; built once per plan by {@link ConvOp}. */
public interface ConvKernel {

    void run(boolean vector, Parallel par, float[] x, int xOff, float[] arena, int yOff, Epilogue.Inputs in);

    /** Depthwise: workers take ranges of output channels. */
    record Depthwise(ConvShape s, float[] weights, Epilogue ep) implements ConvKernel {
        @Override
        public void run(final boolean vector, final Parallel par, final float[] x, final int xOff,
                        final float[] arena, final int yOff, final Epilogue.Inputs in) {
            final int c = s.cout();
            final int tasks = Tasks.count(par, c, s.madds());
            par.run(tasks, (t, w) -> DepthwiseConv.run(vector, s, x, xOff, weights, arena, yOff,
                Tasks.start(c, t, tasks), Tasks.start(c, t + 1, tasks), ep, in));
        }
    }

    /**
     * Dense convolution read from the input's stride phases ({@link DirectConv}): workers take ranges of output rows.
     * Bound only for vector plans.
     */
    record Direct(ConvShape s, DirectConv conv, Epilogue ep) implements ConvKernel {
        @Override
        public void run(final boolean vector, final Parallel par, final float[] x, final int xOff,
                        final float[] arena, final int yOff, final Epilogue.Inputs in) {
            final int oh = s.oh();
            final int tasks = Tasks.count(par, Math.max(1, oh / conv.band()), s.madds());
            par.run(tasks, (t, w) -> conv.run(x, xOff, arena, yOff, Tasks.start(oh, t, tasks),
                Tasks.start(oh, t + 1, tasks), ep, in));
        }
    }

    /**
     * Pointwise or unfolded: per group, C[cout/G x HW] = W_g * X_g where X_g is the group's input rows (pointwise) or
     * its im2col rows. Workers take ranges of pixels.
     */
    final class Packed implements ConvKernel {
        private final ConvShape s;
        private final PackedA[] weights;
        private final Epilogue[] epilogues;
        private final int scratchOffset;

        Packed(final ConvShape s, final float[] w, final float[] bias, final Activation act, final float lo,
               final float hi, final boolean residual, final int scratchOffset) {
            this.s = s;
            this.weights = ConvOp.packGroups(s, w);
            this.scratchOffset = scratchOffset;
            final int rows = s.cout() / s.groups();
            this.epilogues = new Epilogue[s.groups()];
            for (int g = 0; g < s.groups(); g++) {
                final float[] b = bias == null ? null : java.util.Arrays.copyOfRange(bias, g * rows, (g + 1) * rows);
                epilogues[g] = new Epilogue(b, null, act, lo, hi, residual);
            }
        }

        @Override
        public void run(final boolean vector, final Parallel par, final float[] x, final int xOff,
                        final float[] arena, final int yOff, final Epilogue.Inputs in) {
            final int plane = s.outPlane();
            final float[] src;
            final int srcOff;
            final int kPerGroup;
            if (s.isPointwise()) {
                src = x;
                srcOff = xOff;
                kPerGroup = s.cin() / s.groups();
            } else {
                final int cin = s.cin();
                final int t = Tasks.count(par, cin, (long) Im2col.size(s) * 4);
                par.run(t, (task, w) -> Im2col.run(s, x, xOff, arena, scratchOffset, Tasks.start(cin, task, t),
                    Tasks.start(cin, task + 1, t)));
                src = arena;
                srcOff = scratchOffset;
                kPerGroup = s.cin() / s.groups() * s.kh() * s.kw();
            }
            final int groups = s.groups();
            final int rows = s.cout() / groups;
            final int tasks = Tasks.count(par, Math.max(1, plane / 32) * groups, s.madds());
            final int chunks = Math.max(1, tasks / groups);
            par.run(groups * chunks, (task, w) -> {
                final int g = task / chunks;
                final int chunk = task % chunks;
                final Epilogue.Inputs gin = groups == 1 ? in : shift(in, g * rows, plane);
                Gemm.multiply(vector, weights[g], src, srcOff + g * kPerGroup * plane, plane, arena,
                    yOff + g * rows * plane, plane, Tasks.alignedStart(plane, chunk, chunks, Gemm.NR),
                    Tasks.alignedStart(plane, chunk + 1, chunks, Gemm.NR), epilogues[g], gin);
            });
        }

        /** The per-call tensors seen from output channel {@code row0}. */
        private static Epilogue.Inputs shift(final Epilogue.Inputs in, final int row0, final int plane) {
            final int slopeShift = in.slopeLd() == 0 ? row0 : row0 * plane;
            return new Epilogue.Inputs(in.residual(), in.resOff() + row0 * in.resLd(), in.resLd(), in.slope1(),
                in.slope1Off() + slopeShift, in.slope2(), in.slope2Off() + slopeShift, in.slopeLd());
        }
    }
}
