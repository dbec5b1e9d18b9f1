package io.mobileformer.streams.batch;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.inference.Detector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * One dynamic batcher per model, shared by every stream thread (Triton's dynamic batcher, inside the JVM). Callers
 * submit frames and block until their own results return, in their order, so nothing is in flight when Kafka
 * Streams commits. A worker thread forms batches by {@link BatchQueue}'s rule and runs them on the detector.
 *
 * <p>For tests the worker can be driven by hand: construct with {@code startWorker = false} and a clock, then call
 * {@link #runDue()} after moving the clock.
 */
public final class DynamicBatcher implements Batcher {
    /** Reason recorded for frames evicted under drop-oldest. */
    public static final String DROPPED_QUEUE_FULL = "batch queue full (drop-oldest)";

    private final Detector detector;
    private final BatchSettings settings;
    private final LongSupplier clock;
    private final BatchQueue<Pending> queue;
    private final BatchStats stats;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread worker;
    private volatile boolean closed;
    /** The stacked input kept between batches ({@link InlineBatcher#run}). */
    private final AtomicReference<float[]> spare = new AtomicReference<>();

    private record Pending(DecodedFrame frame, CompletableFuture<FrameResult> result) {
    }

    public DynamicBatcher(final Detector detector, final BatchSettings settings) {
        this(detector, settings, System::nanoTime, true);
    }

    DynamicBatcher(final Detector detector, final BatchSettings settings, final LongSupplier clock,
                   final boolean startWorker) {
        this.detector = detector;
        this.settings = settings;
        this.clock = clock;
        this.queue = new BatchQueue<>(settings);
        this.stats = new BatchStats(settings.maxSize());
        this.worker = startWorker ? new Thread(this::workLoop, "mfs-batcher") : null;
        if (worker != null) {
            worker.setDaemon(true);
            worker.start();
        }
    }

    public BatchStats stats() {
        return stats;
    }

    /** Frames waiting for a batch now. */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<FrameResult> detect(final List<DecodedFrame> frames) throws EngineException, InterruptedException {
        final List<CompletableFuture<FrameResult>> futures = enqueue(frames);
        final List<FrameResult> out = new ArrayList<>(futures.size());
        for (final CompletableFuture<FrameResult> f : futures) {
            out.add(Batcher.await(f));
        }
        return out;
    }

    @Override
    public int maxBatch() {
        return settings.maxSize();
    }

    @Override
    public List<CompletableFuture<FrameResult>> submit(final List<DecodedFrame> frames) throws InterruptedException {
        return enqueue(frames);
    }

    private List<CompletableFuture<FrameResult>> enqueue(final List<DecodedFrame> frames) throws InterruptedException {
        final List<CompletableFuture<FrameResult>> futures = new ArrayList<>(frames.size());
        lock.lockInterruptibly();
        try {
            for (final DecodedFrame f : frames) {
                while (settings.policy() == BatchSettings.FullPolicy.BLOCK && !queue.hasRoom()) {
                    ensureOpen();
                    changed.signalAll();
                    changed.await();
                }
                ensureOpen();
                final Pending p = new Pending(f, new CompletableFuture<>());
                final BatchQueue.Waiting<Pending> evicted = queue.offer(p, clock.getAsLong());
                if (evicted != null) {
                    stats.dropped();
                    evicted.item().result().complete(FrameResult.dropped(DROPPED_QUEUE_FULL,
                        (clock.getAsLong() - evicted.enqueuedAt()) / 1e6f));
                }
                futures.add(p.result());
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return futures;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Trying to detect on a closed batcher.");
        }
    }

    /** Runs every batch that is due now; returns how many frames ran. For the worker and for hand-driven tests. */
    int runDue() {
        return runBatches(false);
    }

    private int runBatches(final boolean force) {
        int ran = 0;
        while (true) {
            final List<BatchQueue.Waiting<Pending>> batch;
            final long start;
            lock.lock();
            try {
                start = clock.getAsLong();
                batch = queue.poll(start, force);
                if (!batch.isEmpty()) {
                    changed.signalAll();   // room for blocked callers
                }
            } finally {
                lock.unlock();
            }
            if (batch.isEmpty()) {
                return ran;
            }
            run(batch, start);
            ran += batch.size();
        }
    }

    private void run(final List<BatchQueue.Waiting<Pending>> batch, final long start) {
        final List<DecodedFrame> frames = new ArrayList<>(batch.size());
        long waited = 0;
        for (final BatchQueue.Waiting<Pending> w : batch) {
            frames.add(w.item().frame());
            waited += start - w.enqueuedAt();
        }
        try {
            final List<FrameResult> results = InlineBatcher.run(detector, frames, 0f, spare);
            final long inferNanos = Math.max(0, clock.getAsLong() - start);
            stats.batch(batch.size(), inferNanos, waited, results.get(0).engine());
            for (int i = 0; i < batch.size(); i++) {
                final FrameResult r = results.get(i);
                final float queueMs = (start - batch.get(i).enqueuedAt()) / 1e6f;
                batch.get(i).item().result().complete(new FrameResult(r.detections(), r.engine(), queueMs,
                    r.inferenceMs()));
            }
        } catch (final EngineException | RuntimeException e) {
            for (final BatchQueue.Waiting<Pending> w : batch) {
                w.item().result().completeExceptionally(e);
            }
        }
    }

    private void workLoop() {
        while (!closed) {
            runDue();
            lock.lock();
            try {
                if (closed) {
                    break;
                }
                final long deadline = queue.nextDeadline();
                if (deadline == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    final long wait = deadline - clock.getAsLong();
                    if (wait > 0 && queue.size() < settings.maxSize()) {
                        changed.awaitNanos(wait);
                    }
                }
            } catch (final InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (worker != null) {
            try {
                worker.join(10_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        runBatches(true);   // nothing submitted before close is left waiting
        detector.close();
    }
}
