package io.mobileformer.streams.decode;

import io.mobileformer.streams.model.LetterboxGeometry;

/**
 * One frame ready for the detector: its place in the segment, its source size and the preprocessed model input.
 *
 * @param index    frame index in the segment (0 for a still image), counting every decoded frame, sampled or not
 * @param ptsMicros presentation time relative to the segment's first frame
 * @param input    normalized NCHW values of one image (3 x H x W), owned by this frame
 * @param decodeMs this frame's share of the record's decode + preprocess time
 */
public record DecodedFrame(int index, long ptsMicros, boolean keyFrame, LetterboxGeometry geometry, float[] input,
                           float decodeMs) {
}
