package io.mobileformer.streams.batch;

import io.mobileformer.streams.model.Detection;

import java.util.List;

/**
 * The detector's answer for one frame: detections in source-image pixels, the engine that computed them, and the
 * time the frame waited for its batch and the batch's inference time. A frame dropped in live mode (never silently)
 * has no detections and names the reason in {@link #droppedReason()}.
 */
public record FrameResult(List<Detection> detections, String engine, float queueMs, float inferenceMs,
                          String droppedReason) {

    public FrameResult(final List<Detection> detections, final String engine, final float queueMs,
                       final float inferenceMs) {
        this(detections, engine, queueMs, inferenceMs, null);
    }

    public static FrameResult dropped(final String reason, final float queueMs) {
        return new FrameResult(List.of(), "none", queueMs, 0f, reason);
    }

    public boolean isDropped() {
        return droppedReason != null;
    }
}
