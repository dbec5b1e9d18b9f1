package io.mobileformer.streams.model;

/**
 * Where a source image of {@code srcW x srcH} lands inside the model input of {@code inW x inH}: its scaled size and
 * offset. The preprocessor draws with it and {@link #toSource} maps boxes back with it, so the two cannot disagree.
 *
 * <p>Stretch fills the input ({@code offset 0, scaled = input}). Letterbox scales by {@code s = min(inW/srcW,
 * inH/srcH)}, rounds the scaled size, and centres it with floor division (the same rule as {@code training/}).
 */
public record LetterboxGeometry(int srcW, int srcH, int inW, int inH, int scaledW, int scaledH, int padX, int padY) {

    public static LetterboxGeometry of(final ResizeMode mode, final int srcW, final int srcH, final int inW,
                                       final int inH) {
        if (srcW <= 0 || srcH <= 0) {
            throw new IllegalArgumentException("source size must be positive: " + srcW + "x" + srcH);
        }
        if (mode == ResizeMode.STRETCH) {
            return new LetterboxGeometry(srcW, srcH, inW, inH, inW, inH, 0, 0);
        }
        final double s = Math.min((double) inW / srcW, (double) inH / srcH);
        final int w = Math.max(1, Math.min(inW, (int) Math.round(srcW * s)));
        final int h = Math.max(1, Math.min(inH, (int) Math.round(srcH * s)));
        return new LetterboxGeometry(srcW, srcH, inW, inH, w, h, (inW - w) / 2, (inH - h) / 2);
    }

    /** Maps a box from model-input pixels to source pixels, clipped to the source image. */
    public Detection toSource(final Detection d) {
        final float sx = (float) srcW / scaledW;
        final float sy = (float) srcH / scaledH;
        return d.withBox(clip((d.x0() - padX) * sx, srcW), clip((d.y0() - padY) * sy, srcH),
            clip((d.x1() - padX) * sx, srcW), clip((d.y1() - padY) * sy, srcH));
    }

    private static float clip(final float v, final int max) {
        return Math.max(0f, Math.min(max, v));
    }
}
