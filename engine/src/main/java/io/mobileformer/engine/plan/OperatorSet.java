package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Node;

/**
 * The operators a plan may use, looked up by node: {@code io.mobileformer.engine.ops.Ops::get} in the engine. The
 * planner and shape inference receive it instead of naming the operators, so {@code plan} depends on no operator
 * implementation and {@code ops} depends on {@code plan}, one way.
 */
@FunctionalInterface
public interface OperatorSet {

    /** The operator of {@code node} (including {@link Op#COPY_TYPE}); throws for an operator type it does not know. */
    Op of(Node node);
}
