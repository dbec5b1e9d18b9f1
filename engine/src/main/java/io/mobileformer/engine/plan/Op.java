package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;

/**
 * One supported operator: shape inference, the layouts it can read and write, and binding to a kernel. Implementations
 * are stateless singletons registered in {@link Ops}; everything about a particular node comes in as arguments.
 */
public interface Op {
    /** Type of the copy node the planner inserts where a consumer needs row-major data (not an ONNX operator). */
    String COPY_TYPE = "Copy";


    /** Output shapes of {@code node} for these inputs ({@code null} for an absent optional input). */
    int[][] shapes(Node node, PlanValue[] in);

    /** Whether input {@code i} may arrive in a non-row-major storage order (a transpose not yet copied). */
    default boolean readsAnyOrder(final Node node, final int i) {
        return false;
    }

    /** Storage order of output {@code j}; row-major unless the op can write another order that saves a copy. */
    default int[] outputOrder(final Node node, final PlanValue[] in, final int j, final int[] shape,
                              final PlanContext ctx) {
        return Shapes.identity(shape.length);
    }

    /**
     * An input whose buffer output 0 may take over when this step is that input's last reader, or -1. Only for ops
     * that read each element before writing the same element.
     */
    default int inPlaceInput(final Node node, final PlanValue[] in) {
        return -1;
    }

    /** Floats of arena scratch the step needs while it runs (shared by its workers). */
    default int scratch(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return 0;
    }

    Step bind(Node node, Binding b);

    /** What profiles call this step, e.g. {@code Conv(dw3x3)}. */
    default String label(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return node.opType();
    }

    /** Multiply-adds per call of this node (convolutions and products only). */
    default long madds(final Node node, final PlanValue[] in, final PlanValue[] out) {
        return 0;
    }

    /**
     * Operators that compute each output element from the input elements of the same storage position (or along
     * one axis they locate in storage): they read any order, write the input's order and may work in place.
     */
    interface OrderPreserving extends Op {
        @Override
        default boolean readsAnyOrder(final Node node, final int i) {
            return i == 0;
        }

        @Override
        default int[] outputOrder(final Node node, final PlanValue[] in, final int j, final int[] shape,
                                  final PlanContext ctx) {
            return in[0].order.clone();
        }

        @Override
        default int inPlaceInput(final Node node, final PlanValue[] in) {
            return 0;
        }
    }

    /** Operators whose output is the input seen differently: no kernel runs unless a copy is needed. */
    interface View extends Op {
        /**
         * Storage order of the output when it shares the input's buffer, or {@code null} when the input must be
         * row-major and the output is then row-major too (a reshape).
         */
        int[] viewOrder(Node node, PlanValue in, int[] outShape);

        /** The view applied to a constant (constants are always row-major, so a transpose copies). */
        Constant constant(Node node, Constant in, int[] outShape);

        @Override
        default Step bind(final Node node, final Binding b) {
            throw new IllegalStateException("views are not bound");
        }
    }
}
