package io.mobileformer.engine;

import java.util.List;

/** What an operator may ask about the rest of the plan when it chooses a layout. */
interface PlanContext {
    /** Nodes that read {@code value}. */
    List<Node> consumers(String value);

    boolean isGraphOutput(String value);
}
