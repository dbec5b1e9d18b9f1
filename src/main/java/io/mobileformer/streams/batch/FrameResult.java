package io.mobileformer.streams.batch;

import io.mobileformer.streams.model.Detection;

import java.util.List;

/**
 * The detector's answer for one frame: detections in source-image pixels, the engine that computed them, and the
 * time the frame waited for its batch and the batch's inference time.
 */
public record FrameResult(List<Detection> detections, String engine, float queueMs, float inferenceMs) {
}
