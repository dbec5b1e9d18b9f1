package io.mobileformer.streams.decode;

import io.mobileformer.streams.model.LetterboxGeometry;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.model.ResizeMode;

import java.nio.ByteBuffer;

/**
 * Packed RGB24 pixels, already resized in native code, to the model's normalized float NCHW input in one pass.
 *
 * <p>Normalization {@code (v/255 - mean) / std} goes through a 256-entry table per channel, so the pass is a load,
 * a lookup and a store per value. Letterbox padding is mid grey (128) normalized the same way, matching training.
 */
public final class Preprocessor {
    public static final int PAD_VALUE = 128;

    private final int width;
    private final int height;
    private final ResizeMode resize;
    private final float[][] lut = new float[3][256];

    public Preprocessor(final ModelContract contract) {
        this(contract.inputWidth(), contract.inputHeight(), contract.resize(), contract.mean(), contract.std());
    }

    public Preprocessor(final int width, final int height, final ResizeMode resize, final float[] mean,
                        final float[] std) {
        this.width = width;
        this.height = height;
        this.resize = resize;
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                lut[c][v] = (v / 255f - mean[c]) / std[c];
            }
        }
    }

    public int inputWidth() {
        return width;
    }

    public int inputHeight() {
        return height;
    }

    public ResizeMode resize() {
        return resize;
    }

    /** Where a source of this size lands in the input. */
    public LetterboxGeometry geometry(final int srcW, final int srcH) {
        return LetterboxGeometry.of(resize, srcW, srcH, width, height);
    }

    /** Values per image: 3 x H x W. */
    public int inputSize() {
        return 3 * width * height;
    }

    /**
     * Writes one image into {@code dst} at {@code offset}.
     *
     * @param rgb    packed RGB24 rows of {@code g.scaledW() x g.scaledH()} pixels, {@code stride} bytes apart
     */
    public void toInput(final ByteBuffer rgb, final int stride, final LetterboxGeometry g, final float[] dst,
                        final int offset) {
        final int plane = width * height;
        final float[] r = lut[0];
        final float[] gg = lut[1];
        final float[] b = lut[2];
        if (g.scaledW() != width || g.scaledH() != height) {
            fill(dst, offset, plane);
        }
        // one bulk copy per row into a heap array: a get(int) per byte on the native frame buffer costs more
        final byte[] row = new byte[3 * g.scaledW()];
        for (int y = 0; y < g.scaledH(); y++) {
            rgb.get(y * stride, row, 0, row.length);
            int o = offset + (y + g.padY()) * width + g.padX();
            for (int p = 0; p < row.length; p += 3, o++) {
                dst[o] = r[row[p] & 0xff];
                dst[o + plane] = gg[row[p + 1] & 0xff];
                dst[o + 2 * plane] = b[row[p + 2] & 0xff];
            }
        }
    }

    private void fill(final float[] dst, final int offset, final int plane) {
        for (int c = 0; c < 3; c++) {
            java.util.Arrays.fill(dst, offset + c * plane, offset + (c + 1) * plane, lut[c][PAD_VALUE]);
        }
    }
}
