package io.mobileformer.streams.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LetterboxGeometryTest {

    @Test
    void stretchScalesEachAxis() {
        final LetterboxGeometry g = LetterboxGeometry.of(ResizeMode.STRETCH, 640, 360, 256, 256);
        final Detection d = g.toSource(new Detection(0, "a", 1f, 64, 32, 128, 128));
        assertEquals(160f, d.x0(), 1e-4);
        assertEquals(45f, d.y0(), 1e-4);
        assertEquals(320f, d.x1(), 1e-4);
        assertEquals(180f, d.y1(), 1e-4);
    }

    @Test
    void letterboxCentresAndMapsBack() {
        final LetterboxGeometry g = LetterboxGeometry.of(ResizeMode.LETTERBOX, 640, 360, 256, 256);
        assertEquals(256, g.scaledW());
        assertEquals(144, g.scaledH());
        assertEquals(0, g.padX());
        assertEquals(56, g.padY());
        // a box drawn in the source, mapped into the input by the forward rule, comes back unchanged
        final float s = 256f / 640f;
        final Detection in = new Detection(1, "b", 1f, 100 * s, 50 * s + 56, 300 * s, 200 * s + 56);
        final Detection back = g.toSource(in);
        assertEquals(100f, back.x0(), 1e-3);
        assertEquals(50f, back.y0(), 1e-3);
        assertEquals(300f, back.x1(), 1e-3);
        assertEquals(200f, back.y1(), 1e-3);
    }

    @Test
    void portraitLetterboxPadsLeftAndRight() {
        final LetterboxGeometry g = LetterboxGeometry.of(ResizeMode.LETTERBOX, 360, 640, 160, 96);
        assertEquals(54, g.scaledW());
        assertEquals(96, g.scaledH());
        assertEquals(53, g.padX());
        assertEquals(0, g.padY());
    }

    @Test
    void boxesAreClippedToTheSource() {
        final LetterboxGeometry g = LetterboxGeometry.of(ResizeMode.LETTERBOX, 640, 360, 256, 256);
        final Detection d = g.toSource(new Detection(0, "a", 1f, -10, 0, 300, 300));
        assertEquals(0f, d.x0());
        assertEquals(0f, d.y0());
        assertEquals(640f, d.x1());
        assertEquals(360f, d.y1());
    }
}
