package io.mobileformer.engine.plan;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Arenas (one float array holding every activation of a call) kept per plan and reused: a call borrows one, runs,
 * and gives it back, so steady-state inference allocates only its output tensors. The pool grows to the number of
 * concurrent calls per batch size and never shrinks until {@link #close()}, which drops everything.
 */
public final class ArenaPool implements AutoCloseable {
    private final Map<Plan, Queue<float[]>> free = new ConcurrentHashMap<>();

    public float[] take(final Plan plan) {
        final float[] a = free.computeIfAbsent(plan, p -> new ConcurrentLinkedQueue<>()).poll();
        return a != null ? a : new float[plan.arenaSize()];
    }

    public void give(final Plan plan, final float[] arena) {
        free.computeIfAbsent(plan, p -> new ConcurrentLinkedQueue<>()).add(arena);
    }

    @Override
    public void close() {
        free.clear();
    }
}
