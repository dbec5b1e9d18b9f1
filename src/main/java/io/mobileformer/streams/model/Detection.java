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

    public float iou(final Detection o) {
        final float iw = Math.max(0, Math.min(x1, o.x1) - Math.max(x0, o.x0));
        final float ih = Math.max(0, Math.min(y1, o.y1) - Math.max(y0, o.y0));
        final float inter = iw * ih;
        final float union = (x1 - x0) * (y1 - y0) + (o.x1 - o.x0) * (o.y1 - o.y0) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
