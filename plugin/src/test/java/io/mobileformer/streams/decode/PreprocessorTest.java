package io.mobileformer.streams.decode;

import io.mobileformer.streams.model.LetterboxGeometry;
import io.mobileformer.streams.model.ResizeMode;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PreprocessorTest {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};

    @Test
    void rgbIsNormalizedIntoPlanarChannels() {
        final Preprocessor p = new Preprocessor(2, 1, ResizeMode.STRETCH, MEAN, STD);
        // two pixels, stride padded to 8 bytes: (255, 0, 128) and (10, 20, 30)
        final ByteBuffer rgb = ByteBuffer.wrap(new byte[] {(byte) 255, 0, (byte) 128, 10, 20, 30, 0, 0});
        final float[] out = new float[6];
        p.toInput(rgb, 8, LetterboxGeometry.of(ResizeMode.STRETCH, 2, 1, 2, 1), out, 0);
        assertEquals((1f - 0.485f) / 0.229f, out[0], 1e-6);          // R of pixel 0
        assertEquals((10 / 255f - 0.485f) / 0.229f, out[1], 1e-6);   // R of pixel 1
        assertEquals((0f - 0.456f) / 0.224f, out[2], 1e-6);          // G plane starts at H*W
        assertEquals((128 / 255f - 0.406f) / 0.225f, out[4], 1e-6);  // B of pixel 0
    }

    @Test
    void letterboxPadsWithMidGrey() {
        final Preprocessor p = new Preprocessor(2, 2, ResizeMode.LETTERBOX, MEAN, STD);
        final LetterboxGeometry g = LetterboxGeometry.of(ResizeMode.LETTERBOX, 4, 2, 2, 2);
        assertEquals(1, g.scaledH());
        final ByteBuffer rgb = ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0});
        final float[] out = new float[12];
        p.toInput(rgb, 6, g, out, 0);
        // rows: pad (y=0) is grey, image at y=0+padY... padY = 0 (floor of 1/2): image row 0, pad row 1
        assertEquals((0f - 0.485f) / 0.229f, out[0], 1e-6);
        assertEquals((128 / 255f - 0.485f) / 0.229f, out[2], 1e-6);
    }
}
