package io.mobileformer.streams.eval;

/** One true object of a frame: class and exact box in source pixels. */
public record GroundTruth(int classId, float x0, float y0, float x1, float y1) {
}
