package io.mobileformer.streams.publish;

import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.SourcePosition;
import io.mobileformer.streams.avro.Timings;
import io.mobileformer.streams.batch.FrameResult;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.model.Detection;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The Avro mapping of a frame's outcome: one {@link FrameDetections} for a frame that was analysed (boxes already in
 * source pixels), one {@link FrameDropped} for a frame the batcher dropped in live mode. Each record is stamped with its
 * frame's capture time: the envelope's capture time plus the frame's presentation offset.
 */
public final class DetectionRecords {
    private final ModelRef model;

    /** @param model name, variant, version and SHA-256 of the model, written into every record */
    public DetectionRecords(final ModelRef model) {
        this.model = model;
    }

    /** The detections of a record read back, as the model's own {@link Detection}s (for consumers that score them). */
    public static List<Detection> detections(final FrameDetections record) {
        final List<Detection> out = new ArrayList<>(record.getDetections().size());
        for (final io.mobileformer.streams.avro.Detection d : record.getDetections()) {
            out.add(new Detection(d.getClassId(), d.getLabel(), d.getScore(), d.getXMin(), d.getYMin(), d.getXMax(),
                d.getYMax()));
        }
        return out;
    }

    /** @param meta where the input record came from; null outside a record (no source position is known then) */
    public PipelineOutput of(final FrameEnvelope env, final RecordMetadata meta, final DecodedFrame f,
                             final FrameResult r) {
        final Instant ts = env.getCaptureTime().plusNanos(f.ptsMicros() * 1000);
        if (r.isDropped()) {
            return new PipelineOutput.Dropped(new FrameDropped(env.getCameraId(), env.getSequence(), f.index(), ts,
                r.droppedReason()));
        }
        final List<io.mobileformer.streams.avro.Detection> dets = new ArrayList<>(r.detections().size());
        for (final Detection d : r.detections()) {
            dets.add(new io.mobileformer.streams.avro.Detection(d.classId(), d.label(), d.score(), d.x0(), d.y0(),
                d.x1(), d.y1()));
        }
        return new PipelineOutput.Detections(FrameDetections.newBuilder()
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
}
