package io.mobileformer.streams.topology;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.SourcePosition;
import io.mobileformer.streams.avro.Timings;
import io.mobileformer.streams.batch.FrameDetector;
import io.mobileformer.streams.batch.FrameResult;
import io.mobileformer.streams.decode.DecodeException;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.metrics.PipelineMetrics;
import io.mobileformer.streams.model.Detection;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The thin adapter between Kafka Streams and the data path: envelope in; decode, batch, detect; one FrameDetections
 * per sampled frame out, or one dead letter. All outputs of a record are forwarded only after the whole record
 * succeeded, so a record is never half published (under exactly-once the outputs and the input offset commit together).
 */
final class DetectProcessor implements Processor<byte[], byte[], Object, Object> {
    private final Supplier<FrameDecoder> decoderFactory;
    private final FrameDetector detector;
    private final ModelRef model;
    private final PipelineMetrics metrics;
    private final Deserializer<FrameEnvelope> envelopes = AvroSerdes.frameEnvelope().deserializer();
    private ProcessorContext<Object, Object> context;
    private final int maxBatch;
    private FrameDecoder decoder;
    private long detectWait;

    DetectProcessor(final Supplier<FrameDecoder> decoderFactory, final FrameDetector detector, final ModelRef model,
                    final int maxBatch, final PipelineMetrics metrics) {
        this.decoderFactory = decoderFactory;
        this.detector = detector;
        this.model = model;
        this.maxBatch = maxBatch;
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<Object, Object> ctx) {
        this.context = ctx;
        this.decoder = decoderFactory.get();
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
            env = envelopes.deserialize(meta == null ? "" : meta.topic(), record.value());
            if (env == null) {
                throw new IllegalArgumentException("null value (tombstone) on the frames topic");
            }
        } catch (final RuntimeException e) {
            deadLetter(record, meta, "deserialize", "NOT_AVRO", e);
            return;
        }
        final List<SpecificRecord> out;
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
        for (final SpecificRecord r : out) {
            if (r instanceof FrameDetections fd) {
                metrics.frameOut(fd.getEngine(), fd.getDetections().size());
                context.forward(new Record<Object, Object>(fd.getCameraId(), fd,
                    Math.max(0, fd.getFrameTimestamp().toEpochMilli())), DetectionTopology.DETECTIONS_SINK);
            } else {
                final FrameDropped fdr = (FrameDropped) r;
                metrics.dropped();
                context.forward(new Record<Object, Object>(fdr.getCameraId(), fdr,
                    Math.max(0, fdr.getFrameTimestamp().toEpochMilli())), DetectionTopology.DROPPED_SINK);
            }
        }
    }

    private List<SpecificRecord> analyse(final FrameEnvelope env, final RecordMetadata meta)
        throws DecodeException, EngineException, InterruptedException {
        final byte[] payload = bytes(env.getPayload());
        final List<SpecificRecord> out = new ArrayList<>();
        final long decodeStart = System.nanoTime();
        // frames go to the batcher a full batch at a time, and decoding the next batch overlaps this one's inference
        final List<DecodedFrame> frames = new ArrayList<>();
        final List<CompletableFuture<FrameResult>> pending = new ArrayList<>();
        try (FrameStream stream = decoder.open(payload, env.getContentType())) {
            DecodedFrame f;
            int chunkStart = 0;
            while ((f = stream.next()) != null) {
                frames.add(f);
                if (frames.size() - chunkStart == maxBatch) {
                    pending.addAll(detector.submit(frames.subList(chunkStart, frames.size())));
                    chunkStart = frames.size();
                }
            }
            if (chunkStart < frames.size()) {
                pending.addAll(detector.submit(frames.subList(chunkStart, frames.size())));
            }
        } finally {
            // never leave a record with frames in flight: wait for all, even when decoding failed part way
            final long t0 = System.nanoTime();
            for (final CompletableFuture<FrameResult> p : pending) {
                try {
                    p.join();
                } catch (final RuntimeException ignored) {
                    // reported below through FrameDetector.await
                }
            }
            detectWait += System.nanoTime() - t0;
        }
        for (int i = 0; i < frames.size(); i++) {
            publish(env, meta, frames.get(i), FrameDetector.await(pending.get(i)), out);
        }
        if (out.isEmpty()) {
            throw new DecodeException(DecodeException.Reason.NO_FRAMES, "no frame was sampled from the record ("
                + ((System.nanoTime() - decodeStart) / 1_000_000) + " ms)");
        }
        return out;
    }

    private void publish(final FrameEnvelope env, final RecordMetadata meta, final DecodedFrame f,
                         final FrameResult r, final List<SpecificRecord> out) {
        final Instant ts = env.getCaptureTime().plusNanos(f.ptsMicros() * 1000);
        if (r.isDropped()) {
            out.add(new FrameDropped(env.getCameraId(), env.getSequence(), f.index(), ts, r.droppedReason()));
            return;
        }
        final List<io.mobileformer.streams.avro.Detection> dets = new ArrayList<>(r.detections().size());
        for (final Detection d : r.detections()) {
            dets.add(new io.mobileformer.streams.avro.Detection(d.classId(), d.label(), d.score(), d.x0(), d.y0(),
                d.x1(), d.y1()));
        }
        out.add(FrameDetections.newBuilder()
            .setCameraId(env.getCameraId())
            .setSegmentSequence(env.getSequence())
            .setFrameIndex(f.index())
            .setFrameTimestamp(ts)
            .setSource(new SourcePosition(meta == null ? "" : meta.topic(), meta == null ? -1 : meta.partition(),
                meta == null ? -1L : meta.offset()))
            .setModel(model)
            .setEngine(r.engine())
            .setImageWidth(f.geometry().srcW())
            .setImageHeight(f.geometry().srcH())
            .setDetections(dets)
            .setTimings(new Timings(f.decodeMs(), r.queueMs(), r.inferenceMs()))
            .build());
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
