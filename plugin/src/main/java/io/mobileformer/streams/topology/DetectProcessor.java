package io.mobileformer.streams.topology;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.RegistryUnavailableException;
import io.mobileformer.streams.batch.Batcher;
import io.mobileformer.streams.batch.Submission;
import io.mobileformer.streams.decode.DecodeException;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.publish.DeadLetters;
import io.mobileformer.streams.publish.DetectionRecords;
import io.mobileformer.streams.publish.PipelineOutput;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The thin adapter between Kafka Streams and the data path: envelope in; decode, batch, detect; one FrameDetections
 * per sampled frame out, or one dead letter. All outputs of a record are forwarded only after the whole record
 * succeeded, so a record is never half published (under exactly-once the outputs and the input offset commit together).
 */
final class DetectProcessor implements Processor<byte[], byte[], byte[], PipelineOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(DetectProcessor.class);
    /** How long a record waits for an unavailable registry: below Kafka's default max.poll.interval.ms (5 min). */
    private static final long REGISTRY_WAIT_NANOS = 240_000_000_000L;
    private final Supplier<FrameDecoder> decoderFactory;
    private final Batcher batcher;
    private final DetectionRecords records;
    private final PipelineMetrics metrics;
    private final Deserializer<FrameEnvelope> envelopes;
    private ProcessorContext<byte[], PipelineOutput> context;
    private FrameDecoder decoder;
    private final boolean analytics;
    private long detectWait;

    /** @param analytics whether detections also go to the analytics processor */
    DetectProcessor(final Supplier<FrameDecoder> decoderFactory, final Deserializer<FrameEnvelope> envelopes,
                    final Batcher batcher, final ModelRef model, final PipelineMetrics metrics,
                    final boolean analytics) {
        this.analytics = analytics;
        this.decoderFactory = decoderFactory;
        this.envelopes = envelopes;
        this.batcher = batcher;
        this.records = new DetectionRecords(model);
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<byte[], PipelineOutput> ctx) {
        this.context = ctx;
        this.decoder = decoderFactory.get();
    }

    /** Frees the decoders kept for this task's cameras (native memory); Kafka Streams calls it on the stream thread. */
    @Override
    public void close() {
        if (decoder != null) {
            decoder.close();
            decoder = null;
        }
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final long start = System.nanoTime();
        detectWait = 0;
        try {
            processTimed(record);
        } finally {
            metrics.recordTime(System.nanoTime() - start, detectWait);
        }
    }

    private void processTimed(final Record<byte[], byte[]> record) {
        metrics.recordIn();
        final RecordMetadata meta = context.recordMetadata().orElse(null);
        final FrameEnvelope env;
        try {
            env = envelope(record, meta);
            if (env == null) {
                throw new IllegalArgumentException("null value (tombstone) on the frames topic");
            }
        } catch (final StreamsException e) {
            throw e;
        } catch (final RuntimeException e) {
            deadLetter(record, meta, "deserialize", "NOT_AVRO", e);
            return;
        }
        final List<PipelineOutput> out;
        try {
            out = analyse(env, meta);
        } catch (final DecodeException e) {
            deadLetter(record, meta, "decode", e.reason().name(), e);
            return;
        } catch (final EngineException e) {
            deadLetter(record, meta, "infer", "ENGINE_" + e.kind().name(), e);
            return;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamsException("interrupted while waiting for detections", e);
        } catch (final RuntimeException e) {
            deadLetter(record, meta, "process", "UNEXPECTED", e);
            return;
        }
        for (final PipelineOutput o : out) {
            if (o instanceof PipelineOutput.Detections d) {
                final FrameDetections fd = d.value();
                metrics.frameOut(fd.getEngine(), fd.getDetections().size());
                metrics.frameTimings(fd.getTimings().getDecodeMs(), fd.getTimings().getQueueMs(),
                    Duration.between(fd.getFrameTimestamp(), Instant.now()).toNanos());
                context.forward(d.record(), DetectionTopology.DETECTIONS_SINK);
                if (analytics) {
                    context.forward(d.record(), DetectionTopology.ANALYTICS);
                }
            } else if (o instanceof PipelineOutput.Dropped d) {
                metrics.dropped();
                context.forward(d.record(), DetectionTopology.DROPPED_SINK);
            }
        }
    }

    /**
     * The record's envelope, waiting while the schema registry is unavailable: the record is fine, only its writer
     * schema cannot be fetched yet, so it must be neither dead-lettered nor skipped. Each attempt retries with backoff
     * for schema.registry.retry.max-ms. The wait is capped below the consumer's max.poll.interval.ms (5 minutes by
     * default); past it the stream thread fails and is replaced, and under exactly-once the record is read again from
     * the committed offset. A transaction left open meanwhile is aborted by the broker after its timeout: the task is
     * then fenced and rewound, so its outputs are still written exactly once.
     */
    private FrameEnvelope envelope(final Record<byte[], byte[]> record, final RecordMetadata meta) {
        final String topic = meta == null ? "" : meta.topic();
        final long deadline = System.nanoTime() + REGISTRY_WAIT_NANOS;
        boolean waited = false;
        while (true) {
            try {
                final FrameEnvelope env = envelopes.deserialize(topic, record.value());
                if (waited) {
                    LOG.info("schema registry answers again; {} read", where(meta));
                }
                return env;
            } catch (final RegistryUnavailableException e) {
                if (System.nanoTime() > deadline || Thread.currentThread().isInterrupted()) {
                    throw new StreamsException("schema registry unavailable while reading " + where(meta)
                        + "; the record is read again from the committed offset when the thread restarts", e);
                }
                if (!waited) {
                    LOG.warn("schema registry unavailable; {} waits for it (never dead-lettered): {}", where(meta),
                        e.getMessage());
                    waited = true;
                }
            }
        }
    }

    private static String where(final RecordMetadata meta) {
        return meta == null ? "the record" : meta.topic() + "-" + meta.partition() + "@" + meta.offset();
    }

    private List<PipelineOutput> analyse(final FrameEnvelope env, final RecordMetadata meta)
        throws DecodeException, EngineException, InterruptedException {
        final byte[] payload = bytes(env.getPayload());
        final List<PipelineOutput> out = new ArrayList<>();
        final long decodeStart = System.nanoTime();
        // frames go to the batcher as they are decoded; it forms the batches, and decoding overlaps inference
        final Submission submission = batcher.submission();
        try (FrameStream stream = decoder.open(payload, env.getContentType())) {
            DecodedFrame f;
            while ((f = stream.next()) != null) {
                submission.add(f);
            }
            submission.flush();
        } finally {
            // never leave a record with frames in flight: wait for all, even when decoding failed part way
            detectWait += submission.awaitAll();
        }
        final List<DecodedFrame> frames = submission.frames();
        for (int i = 0; i < frames.size(); i++) {
            out.add(records.of(env, meta, frames.get(i), submission.result(i)));
        }
        if (out.isEmpty()) {
            throw new DecodeException(DecodeException.Reason.NO_FRAMES, "no frame was sampled from the record ("
                + ((System.nanoTime() - decodeStart) / 1_000_000) + " ms)");
        }
        return out;
    }

    private void deadLetter(final Record<byte[], byte[]> record, final RecordMetadata meta, final String stage,
                            final String reason, final Throwable e) {
        metrics.deadLetter(stage, reason);
        context.forward(DeadLetters.of(record, meta, stage, reason, e), DetectionTopology.DLQ_SINK);
    }

    private static byte[] bytes(final ByteBuffer b) {
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        final byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
