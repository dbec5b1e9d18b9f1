package io.mobileformer.engine.plan;

import io.mobileformer.engine.kernel.Parallel;

/**
 * How finely a step splits its work. Splitting costs a wake-up of the helpers (a few microseconds), so a step splits
 * only when each worker gets at least {@value #MIN_WORK} units of work (elements or multiply-adds).
 */
public final class Tasks {
    static final long MIN_WORK = 1 << 15;

    private Tasks() {
    }

    /** Number of tasks for {@code items} independent items totalling {@code work}. */
    public static int count(final Parallel par, final int items, final long work) {
        if (par.threads() == 1 || items <= 1 || work < 2 * MIN_WORK) {
            return 1;
        }
        return (int) Math.min(items, Math.min((long) par.threads() * 4, work / MIN_WORK));
    }

    /** Start of chunk {@code t} of {@code tasks} over [0, n). */
    public static int start(final int n, final int t, final int tasks) {
        return (int) ((long) n * t / tasks);
    }

    /** Like {@link #start} but rounded to a multiple of {@code align} (micro-tile width), except at the end. */
    public static int alignedStart(final int n, final int t, final int tasks, final int align) {
        if (t >= tasks) {
            return n;
        }
        final int s = start(n, t, tasks) / align * align;
        return Math.min(n, s);
    }
}
