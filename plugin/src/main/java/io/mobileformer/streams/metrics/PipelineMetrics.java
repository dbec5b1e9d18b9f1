package io.mobileformer.streams.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.mobileformer.streams.observe.MeterSet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and timings of one running pipeline, shared by all its stream threads and its batcher: the one source of
 * the progress line, the benchmarks and {@code /metrics}. Counters are {@link LongAdder}s (cheap on hot paths) that
 * the exported meters read when scraped, so a scrape and the log line can never disagree; distributions (decode,
 * queue wait, inference, batch size, end-to-end latency) exist only as meters.
 *
 * <p>Meters go to {@link #meters()}, registered on every registry {@link #bindTo bound} to this pipeline, before or
 * after they were added. Adding a figure from plugin code is one line, e.g. {@code metrics.meters().add(r ->
 * Gauge.builder("mfs.engine.selected", engine, e -> 1).tags(metrics.tags()).tag("engine", e.name()).register(r))}.
 * Every meter carries the tag {@code application} (the Kafka Streams application.id), so two pipelines in one process
 * (the demo) stay apart.
 */
public final class PipelineMetrics {
    /*
     * Histogram buckets, chosen from what was measured here and what an operator alerts on; explicit (not Micrometer's
     * 276 percentile buckets) so each histogram costs a dozen series.
     * - decode, per frame (its share of the record's decode + preprocess): 360p H.264 ~1.3 ms, 1080p ~8-9 ms on one
     *   core (DESIGN.md §8); JPEG similar. 0.5 ms to 250 ms brackets both and shows a starved decoder.
     * - queue wait: bounded by batch.max-delay-ms (5 ms) while the engine keeps up; tens to thousands of ms mean the
     *   engine is the bottleneck and backpressure is on.
     * - inference, per batch: GPU 1-10 ms, ONNX Runtime CPU 20-200 ms for a batch of 8 at 256x256, the Java engine up
     *   to seconds: 1 ms to 5 s.
     * - end-to-end, capture time of the frame to its detections being forwarded: a JPEG still is 50-500 ms, a frame
     *   of a 2 s segment waits for the segment to close (up to segment.ms) before it is even sent, so 2-4 s is normal
     *   there; beyond 30 s means a backlog.
     * - batch size: powers of two up to batch.max-size's limit (1024).
     */
    private static final Duration[] DECODE_BUCKETS = millis(0.5, 1, 2.5, 5, 10, 25, 50, 100, 250);
    private static final Duration[] QUEUE_BUCKETS = millis(1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500);
    private static final Duration[] INFERENCE_BUCKETS = millis(1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000);
    private static final Duration[] LATENCY_BUCKETS = millis(50, 100, 250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000,
        60_000);
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

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
    private final MeterSet meters = new MeterSet();
    private final Tags tags;
    private final List<Timer> decode;
    private final List<Timer> queueWait;
    private final List<Timer> endToEnd;
    private final List<DistributionSummary> batchSize;
    private final Map<String, List<Timer>> inferenceByEngine = new ConcurrentHashMap<>();

    /** Metrics tagged {@code application=mfs-detector} (tests and tools with one pipeline). */
    public PipelineMetrics() {
        this("mfs-detector");
    }

    /** @param application the pipeline's application.id, the {@code application} tag of every meter */
    public PipelineMetrics(final String application) {
        this.tags = Tags.of("application", application);
        count("mfs.records", "input records processed (envelopes: a JPEG or a video segment each)", records);
        count("mfs.frames", "frames analysed and published as FrameDetections", frames);
        count("mfs.detections", "detections published, all frames together", detections);
        count("mfs.frames.dropped", "frames dropped under batch.full-policy=drop-oldest (reported on dropped.topic)",
            dropped);
        meters.add(r -> FunctionCounter.builder("mfs.process.time", processNanos, a -> a.sum() / 1e9).tags(tags)
            .baseUnit("seconds").description("wall time stream threads spent in the detect processor, all threads "
                + "together").register(r));
        meters.add(r -> FunctionCounter.builder("mfs.detect.wait.time", detectNanos, a -> a.sum() / 1e9).tags(tags)
            .baseUnit("seconds").description("part of mfs.process.time spent waiting for the detector").register(r));
        decode = meters.each(r -> Timer.builder("mfs.decode").tags(tags).serviceLevelObjectives(DECODE_BUCKETS)
            .description("decode + preprocess time per frame (its share of its record's)").register(r));
        queueWait = meters.each(r -> Timer.builder("mfs.queue.wait").tags(tags).serviceLevelObjectives(QUEUE_BUCKETS)
            .description("time a frame waited in the batcher's queue for its batch").register(r));
        endToEnd = meters.each(r -> Timer.builder("mfs.latency").tags(tags).serviceLevelObjectives(LATENCY_BUCKETS)
            .description("end to end: from the frame's capture time to its detections being forwarded (includes the "
                + "time the camera held it in a segment)").register(r));
        batchSize = meters.each(r -> DistributionSummary.builder("mfs.batch.size").tags(tags).baseUnit("frames")
            .serviceLevelObjectives(BATCH_BUCKETS).description("frames per batch run on the engine").register(r));
    }

    private void count(final String name, final String description, final LongAdder adder) {
        count(name, description, adder, tags);
    }

    private void count(final String name, final String description, final LongAdder adder, final Tags t) {
        meters.add(r -> FunctionCounter.builder(name, adder, LongAdder::sum).tags(t).description(description)
            .register(r));
    }

    private static void record(final List<Timer> timers, final long nanos) {
        for (final Timer t : timers) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private static Duration[] millis(final double... ms) {
        final Duration[] d = new Duration[ms.length];
        for (int i = 0; i < ms.length; i++) {
            d[i] = Duration.ofNanos(Math.round(ms[i] * 1e6));
        }
        return d;
    }

    /**
     * The registry this pipeline's meters live in; anything registered here reaches every bound registry. Meters of
     * the pipeline's other parts (engines, Kafka Streams) are registered here too.
     */
    public MeterSet meters() {
        return meters;
    }

    /** Exports every meter, existing and future, to {@code registry} (a process's {@code /metrics} registry). */
    public void bindTo(final MeterRegistry registry) {
        meters.bindTo(registry);
    }

    /** The tags every meter of this pipeline carries. */
    public Tags tags() {
        return tags;
    }

    public void recordIn() {
        records.increment();
    }

    public void frameOut(final String engine, final int nDetections) {
        frames.increment();
        detections.add(nDetections);
        framesByEngine.computeIfAbsent(engine, e -> {
            final LongAdder a = new LongAdder();
            count("mfs.frames.engine", "frames analysed, by the engine that computed them", a, tags.and("engine", e));
            return a;
        }).increment();
    }

    /**
     * Timings of one published frame.
     *
     * @param captureToNowNanos from the frame's capture time to now (wall clocks of camera host and detector)
     */
    public void frameTimings(final float decodeMs, final float queueMs, final long captureToNowNanos) {
        record(decode, (long) (decodeMs * 1e6));
        record(queueWait, (long) (queueMs * 1e6));
        // a camera clock ahead of ours would give a negative age: count it as 0 rather than lose the sample
        record(endToEnd, Math.max(0, captureToNowNanos));
    }

    /** One batch ran on {@code engine}; called by the batcher's worker. */
    public void batchRan(final int size, final long inferenceNanos, final String engine) {
        for (final DistributionSummary s : batchSize) {
            s.record(size);
        }
        record(inferenceByEngine.computeIfAbsent(engine, e -> meters.each(r -> Timer.builder("mfs.inference")
            .tags(tags).tag("engine", e).serviceLevelObjectives(INFERENCE_BUCKETS)
            .description("inference time per batch, by engine").register(r))), inferenceNanos);
    }

    public void deadLetter(final String stage, final String reason) {
        deadLetters.increment();
        deadLettersByReason.computeIfAbsent(stage + "/" + reason, k -> {
            final LongAdder a = new LongAdder();
            count("mfs.dead.letters", "input records dead-lettered, by stage and reason", a,
                tags.and("stage", stage, "reason", reason));
            return a;
        }).increment();
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
