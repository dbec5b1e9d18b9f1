package io.mobileformer.engine.plan;

import io.mobileformer.engine.graph.Graph;

/**
 * A region of the per-call arena that holds one tensor's values, shared by every view of that tensor (reshapes,
 * transposes read in place). {@link #merge} lets an element-wise step write over an input that dies at that step;
 * the merged buffer answers for both.
 */
public final class Buffer {
    final int id;
    int size;
    int first = Integer.MAX_VALUE;
    int last = -1;
    int offset = -1;
    /** Graph inputs and outputs: never reused, alive for the whole call. */
    boolean pinned;
    private Buffer mergedInto;

    Buffer(final int id, final int size) {
        this.id = id;
        this.size = size;
    }

    Buffer root() {
        Buffer b = this;
        while (b.mergedInto != null) {
            b = b.mergedInto;
        }
        return b;
    }

    void merge(final Buffer into) {
        final Buffer target = into.root();
        if (target != root()) {
            root().mergedInto = target;
        }
    }

    void use(final int step) {
        final Buffer r = root();
        r.first = Math.min(r.first, step);
        r.last = Math.max(r.last, step);
    }
}
