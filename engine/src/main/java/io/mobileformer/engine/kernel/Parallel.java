package io.mobileformer.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A small fixed pool for splitting one kernel over independent outputs (rows, channels, images). The calling thread
 * always works too, so {@code threads = 1} means no extra thread at all and {@code threads = 2} one helper.
 *
 * <p>Workers spin briefly between jobs before parking: a forward pass issues hundreds of short jobs, and waking a
 * parked thread costs more than most of them. Only one job runs at a time; a caller that finds the pool busy (another
 * engine call on another thread) runs its job alone rather than oversubscribing the cores.
 *
 * <p>{@link #close()} stops the helpers; the pool must not be used afterwards.
 */
public final class Parallel implements AutoCloseable {
    /** Runs every job on the calling thread. */
    public static final Parallel SEQUENTIAL = new Parallel(1, "sequential");

    /** One unit of a job; {@code worker} in [0, threads) indexes per-worker scratch. */
    @FunctionalInterface
    public interface Task {
        void run(int index, int worker);
    }

    private static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] helpers;
    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicReference<Job> current = new AtomicReference<>();
    private volatile boolean closed;

    private Parallel(final int threads, final String name) {
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            final int worker = i + 1;
            helpers[i] = new Thread(() -> helperLoop(worker), name + "-" + worker);
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
    }

    /** A pool of {@code threads} workers including the caller; 1 gives {@link #SEQUENTIAL}. */
    public static Parallel of(final int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, not " + threads);
        }
        return threads == 1 ? SEQUENTIAL : new Parallel(threads, "mfs-java-engine");
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} for every index in [0, tasks) and returns when all are done; rethrows the first failure. */
    public void run(final int tasks, final Task body) {
        if (tasks <= 0) {
            return;
        }
        if (tasks == 1 || threads == 1 || !busy.tryLock()) {
            for (int i = 0; i < tasks; i++) {
                body.run(i, 0);
            }
            return;
        }
        try {
            if (closed) {
                throw new IllegalStateException("Trying to run a job on a closed Parallel pool.");
            }
            final Job job = new Job(tasks, body);
            current.set(job);
            for (final Thread h : helpers) {
                LockSupport.unpark(h);
            }
            job.work(0);
            job.awaitDone();
            current.compareAndSet(job, null);
            job.rethrow();
        } finally {
            busy.unlock();
        }
    }

    private void helperLoop(final int worker) {
        Job last = null;
        long idleSince = System.nanoTime();
        while (!closed) {
            final Job job = current.get();
            if (job != null && job != last) {
                last = job;
                job.work(worker);
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 1_000_000);
            }
        }
    }

    @Override
    public void close() {
        if (this == SEQUENTIAL || closed) {
            return;
        }
        closed = true;
        for (final Thread h : helpers) {
            LockSupport.unpark(h);
        }
    }

    private static final class Job {
        private final int tasks;
        private final Task body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(final int tasks, final Task body) {
            this.tasks = tasks;
            this.body = body;
        }

        void work(final int worker) {
            int i;
            while ((i = next.getAndIncrement()) < tasks) {
                try {
                    if (failure.get() == null) {
                        body.run(i, worker);
                    }
                } catch (final Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        void awaitDone() {
            int spins = 0;
            while (done.get() < tasks) {
                if (++spins < 10_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void rethrow() {
            final Throwable t = failure.get();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
