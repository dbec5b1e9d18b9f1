package io.mobileformer.streams.batch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The batching decisions, free of threads and clocks so they can be tested exactly: which frames form the next batch
 * and when, and what a full queue does. Not thread-safe; {@link DynamicBatcher} guards it with its lock. Time is
 * whatever nanosecond clock the caller passes.
 *
 * <p>Rule (Triton's): a batch runs as soon as {@code maxSize} frames wait, or when the oldest waiting frame has waited
 * {@code maxDelay}; it takes the oldest frames first, at most {@code maxSize}.
 */
final class BatchQueue<T> {

    /** A waiting item and when it arrived. */
    record Waiting<T>(T item, long enqueuedAt) {
    }

    private final BatchSettings settings;
    private final ArrayDeque<Waiting<T>> queue = new ArrayDeque<>();

    BatchQueue(final BatchSettings settings) {
        this.settings = settings;
    }

    int size() {
        return queue.size();
    }

    boolean hasRoom() {
        return queue.size() < settings.queueCapacity();
    }

    /**
     * Adds an item. Under {@code BLOCK} the caller must first wait for {@link #hasRoom()}; under {@code DROP_OLDEST} a
     * full queue evicts its oldest item, which is returned (the caller reports it), else null.
     */
    Waiting<T> offer(final T item, final long now) {
        Waiting<T> evicted = null;
        if (!hasRoom()) {
            if (settings.policy() == BatchSettings.FullPolicy.BLOCK) {
                throw new IllegalStateException("queue full under the block policy: wait for room first");
            }
            evicted = queue.pollFirst();
        }
        queue.addLast(new Waiting<>(item, now));
        return evicted;
    }

    /** The next batch if one is due at {@code now}, else an empty list. */
    List<Waiting<T>> poll(final long now) {
        return poll(now, false);
    }

    /** Like {@link #poll(long)}; with {@code force} the oldest frames run now regardless of size and delay. */
    List<Waiting<T>> poll(final long now, final boolean force) {
        if (queue.isEmpty()) {
            return List.of();
        }
        final boolean full = queue.size() >= settings.maxSize();
        final boolean due = now - queue.peekFirst().enqueuedAt() >= settings.maxDelayNanos();
        if (!full && !due && !force) {
            return List.of();
        }
        final List<Waiting<T>> batch = new ArrayList<>(Math.min(queue.size(), settings.maxSize()));
        while (!queue.isEmpty() && batch.size() < settings.maxSize()) {
            batch.add(queue.pollFirst());
        }
        return batch;
    }

    /** When the oldest waiting item becomes due, or {@code Long.MAX_VALUE} when nothing waits. */
    long nextDeadline() {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.peekFirst().enqueuedAt() + settings.maxDelayNanos();
    }
}
