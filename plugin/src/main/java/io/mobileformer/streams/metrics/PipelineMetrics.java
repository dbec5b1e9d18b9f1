package io.mobileformer.streams.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one running pipeline, shared by all its stream threads. Cheap to update from hot paths (LongAdder);
 * read by the progress line, the health log and the benchmarks.
 */
public final class PipelineMetrics {
    private final LongAdder records = new LongAdder();
    private final LongAdder frames = new LongAdder();
    private final LongAdder detections = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder processNanos = new LongAdder();
    private final LongAdder detectNanos = new LongAdder();
    private final LongAdder analyticsNanos = new LongAdder();
    private final LongAdder analyticsCpuNanos = new LongAdder();
    private final Map<String, LongAdder> deadLettersByReason = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> framesByEngine = new ConcurrentHashMap<>();

    public void recordIn() {
        records.increment();
    }

    public void frameOut(final String engine, final int nDetections) {
        frames.increment();
        detections.add(nDetections);
        framesByEngine.computeIfAbsent(engine, e -> new LongAdder()).increment();
    }

    public void deadLetter(final String stage, final String reason) {
        deadLetters.increment();
        deadLettersByReason.computeIfAbsent(stage + "/" + reason, r -> new LongAdder()).increment();
    }

    /** Wall time of one record in the processor, and the part of it spent waiting for detections. */
    public void recordTime(final long totalNanos, final long detectWaitNanos) {
        processNanos.add(totalNanos);
        detectNanos.add(detectWaitNanos);
    }

    /** Seconds spent in the processor, all threads together. */
    public double processSeconds() {
        return processNanos.sum() / 1e9;
    }

    /**
     * Wall and CPU time of one frame in the analytics (tracking, zones, their store write and outputs; part of
     * {@link #recordTime}'s total). CPU time is what a share of the per-frame cost should use on a busy machine, where
     * wall time mostly measures waiting for a core.
     */
    public void recordAnalytics(final long wallNanos, final long cpuNanos) {
        analyticsNanos.add(wallNanos);
        analyticsCpuNanos.add(cpuNanos);
    }

    /** Wall seconds spent tracking and in zones, all threads together. */
    public double analyticsSeconds() {
        return analyticsNanos.sum() / 1e9;
    }

    /** CPU seconds spent tracking and in zones, all threads together. */
    public double analyticsCpuSeconds() {
        return analyticsCpuNanos.sum() / 1e9;
    }

    /** Seconds the stream threads waited for the detector. */
    public double detectWaitSeconds() {
        return detectNanos.sum() / 1e9;
    }

    public void dropped() {
        dropped.increment();
    }

    public long records() {
        return records.sum();
    }

    public long frames() {
        return frames.sum();
    }

    public long detections() {
        return detections.sum();
    }

    public long deadLetters() {
        return deadLetters.sum();
    }

    public long droppedFrames() {
        return dropped.sum();
    }

    public Map<String, Long> deadLettersByReason() {
        final Map<String, Long> m = new TreeMap<>();
        deadLettersByReason.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    public Map<String, Long> framesByEngine() {
        final Map<String, Long> m = new TreeMap<>();
        framesByEngine.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
