package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.kernel.StridedCopy;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * Materializes a view whose consumer needs row-major data (a transpose feeding a reshape, a channel shuffle). The
 * planner inserts these; no ONNX node maps to it.
 */
public final class CopyOp implements Op {
    public static final String TYPE = Op.COPY_TYPE;
    public static final CopyOp INSTANCE = new CopyOp();

    private CopyOp() {
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        return new int[][] {in[0].shape};
    }

    @Override
    public boolean readsAnyOrder(final Node node, final int i) {
        return true;
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand src = b.in(0);
        final Operand dst = b.out(0);
        return stridedCopy(src.shape(), src.strides(), src, src.offset(), dst);
    }

    /** A step copying {@code shape} elements read at {@code strides} from {@code srcOffset} into row-major dst. */
    static Step stridedCopy(final int[] shape, final int[] strides, final Operand src, final int srcOffset,
                            final Operand dst) {
        final StridedCopy copy = new StridedCopy(shape, strides);
        final int rows = copy.rows();
        return (arena, par) -> {
            final float[] s = src.array(arena);
            final int tasks = Tasks.count(par, rows, dst.size());
            par.run(tasks, (t, w) -> copy.run(s, srcOffset, arena, dst.offset(), Tasks.start(rows, t, tasks),
                Tasks.start(rows, t + 1, tasks)));
        };
    }
}
