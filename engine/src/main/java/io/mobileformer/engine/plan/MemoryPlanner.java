package io.mobileformer.engine.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Assigns arena offsets to buffers whose lifetimes (first and last step) are known: a buffer may reuse the space of
 * any buffer that died before it is first written. Greedy best fit in order of first use, which on these graphs needs
 * little more than the two largest live feature maps at any point.
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
        final List<Buffer> live = new ArrayList<>();
        int arena = 0;
        for (final Buffer b : order) {
            live.removeIf(o -> o.last < b.first && !o.pinned);
            live.sort(Comparator.comparingInt(o -> o.offset));
            final int size = align(b.size);
            int bestOffset = -1;
            int bestGap = Integer.MAX_VALUE;
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
