package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Node;

import java.util.List;

/** What an operator may ask about the rest of the plan when it chooses a layout. */
public interface PlanContext {
    /** Nodes that read {@code value}. */
    List<Node> consumers(String value);

    boolean isGraphOutput(String value);
}
