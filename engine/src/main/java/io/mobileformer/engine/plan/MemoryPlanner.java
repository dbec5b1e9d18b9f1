package io.mobileformer.engine.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Assigns arena offsets to buffers whose lifetimes (first and last step) are known: a buffer may reuse the space of
 * any buffer that died before it is first written. Greedy best fit in order of first use, which on these graphs needs
 * little more than the two largest live feature maps at any point.
 *
 * <h2>The memory plan</h2>
 * Every activation of one forward pass lives in a single float array, the arena, which a call borrows from a pool
 * ({@link ArenaPool}); a plan only says where in it each tensor lives. Before this class runs, the {@link Planner} has
 * <ol>
 *   <li>given every tensor that needs storage a {@link Buffer} (views such as reshapes and most transposes share the
 *       buffer of the tensor they view, so one buffer may answer for several values);</li>
 *   <li>recorded each buffer's lifetime as the interval of step indices {@code [first, last]} that read or write it
 *       ({@code Planner.liveness}); graph inputs are in place before the first step (step -1), graph outputs are
 *       used one step past the last and {@code pinned}: their space is never handed to another buffer, since the
 *       caller reads them after the pass;</li>
 *   <li>merged the output buffer of an element-wise step into an input buffer that dies at that very step, so the step
 *       writes in place ({@code Planner.mergeInPlace}); the merged root carries the union of both lifetimes, and only
 *       roots reach this class.</li>
 * </ol>
 * Two buffers may then share memory exactly when their lifetimes do not overlap. Note that a buffer whose last use is
 * step s and one first written at step s do overlap: a step's inputs and outputs are distinct memory unless the planner
 * merged them on purpose.
 *
 * <h2>The algorithm</h2>
 * Buffers are placed one at a time in order of first use (ties: largest first, so big feature maps claim low offsets
 * before small ones fragment the space). For each buffer:
 * <ol>
 *   <li>drop from {@code live} every buffer that died before this one is first written (pinned ones never die);</li>
 *   <li>walk the live buffers in offset order, looking at the gaps between them; take the smallest gap that fits
 *       (best fit keeps large holes for large tensors);</li>
 *   <li>if no gap fits, place the buffer after the highest live buffer; the arena grows only then.</li>
 * </ol>
 * Since placement only ever looks at buffers that are live at the same time, two buffers never overlap in memory while
 * both are live: that is the whole correctness argument. The arena size is the highest end offset ever given out.
 * Greedy interval placement is not optimal in general (the problem is NP-hard), but feature maps of a feed-forward
 * network die soon after the next block reads them, and on our models the arena is close to the sum of the two largest
 * simultaneously live feature maps. Sizes are rounded up to {@link #ALIGN} floats so that every tensor starts on a
 * cache line.
 */
public final class MemoryPlanner {
    /** Offsets are multiples of 16 floats (64 bytes): vector loads then never straddle a cache line needlessly. */
    private static final int ALIGN = 16;

    private MemoryPlanner() {
    }

    /** Sets {@link Buffer#offset} of every buffer and returns the arena size in floats. */
    static int assign(final List<Buffer> roots) {
        final List<Buffer> order = new ArrayList<>(roots);
        order.sort(Comparator.comparingInt((Buffer b) -> b.first).thenComparingInt(b -> -b.size));
        // buffers already placed whose lifetime may still overlap the ones to come
        final List<Buffer> live = new ArrayList<>();
        int arena = 0;
        for (final Buffer b : order) {
            // strictly before: a buffer read at step s and one written at step s must not share memory
            live.removeIf(o -> o.last < b.first && !o.pinned);
            live.sort(Comparator.comparingInt(o -> o.offset));
            final int size = align(b.size);
            int bestOffset = -1;
            int bestGap = Integer.MAX_VALUE;
            // cursor: the end of the live buffers seen so far; [cursor, o.offset) is free while b is live
            int cursor = 0;
            for (final Buffer o : live) {
                final int gap = o.offset - cursor;
                if (gap >= size && gap < bestGap) {
                    bestGap = gap;
                    bestOffset = cursor;
                }
                cursor = Math.max(cursor, o.offset + align(o.size));
            }
            if (bestOffset < 0) {
                // no hole fits: above every live buffer (possibly below the arena's end, if the top buffers died)
                bestOffset = cursor;
            }
            b.offset = bestOffset;
            arena = Math.max(arena, bestOffset + size);
            live.add(b);
        }
        return arena;
    }

    private static int align(final int size) {
        return Math.max(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
    }
}
