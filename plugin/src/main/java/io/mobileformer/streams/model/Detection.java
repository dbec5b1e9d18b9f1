package io.mobileformer.streams.model;

/**
 * One detected object: class, score and an axis-aligned box {@code [x0, y0, x1, y1]} in pixels. Whether the pixels are
 * model-input pixels or source-image pixels depends on where the value came from; {@link LetterboxGeometry#toSource}
 * converts the former into the latter.
 */
public record Detection(int classId, String label, float score, float x0, float y0, float x1, float y1) {

    public Detection withBox(final float nx0, final float ny0, final float nx1, final float ny1) {
        return new Detection(classId, label, score, nx0, ny0, nx1, ny1);
    }
}
