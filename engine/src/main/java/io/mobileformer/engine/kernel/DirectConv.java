package io.mobileformer.engine.kernel;

/**
 * A convolution of one group computed as a matrix product whose right operand is read straight out of the input
 * instead of an im2col copy: the stem (3x3 stride 2 over RGB), and any other dense convolution with wide enough
 * output rows. Built once per plan (weights packed, offsets computed); {@link #run} is safe from several threads.
 *
 * <p>Im2col writes {@code kh * kw / (sh * sw)} times the input (2.25x for 3x3 stride 2: 1.8 MB per 256x256 RGB image,
 * past L2) with one scalar store per tap and pixel, and the product then reads it all back. Here the input is split
 * into its stride phases instead: for stride {@code (sh, sw)}, channel {@code c} gets {@code sh * sw} zero-padded
 * planes, phase {@code (py, px)} holding padded pixel {@code (i * sh + py, j * sw + px)} at {@code (i, j)}. Tap
 * {@code (c, dy, dx)} of output row {@code y} then reads one contiguous run of phase {@code (dy % sh, dx % sw)}
 * starting at {@code (y + dy / sh, dx / sw)}, so each of the K = {@code cin * kh * kw} rows of the product's right
 * operand is a fixed offset ({@link #taps}) from the output row's base, and the micro-kernel loads them like B of
 * {@link Gemm}.
 *
 * <p>The phases are made for a band of output rows at a time, into about 64 kB of per-thread scratch that stays in L2
 * while the band's product reads it: splitting the whole image first wrote and re-read as much as the input (0.8 MB
 * for the stem) and, on the shared 2-core host, cost more than the product itself. A band needs
 * {@code (kh - 1) / sh} phase rows beyond its own (one for the stem: ~10 % more splitting).
 *
 * <p>Only the vector form exists; the scalar reference is {@link Im2col} plus {@link Gemm#multiply}, which the
 * tests compare it with. The demo model's stem (RGB 256x256 to 8 x 128x128, 3x3 stride 2, ReLU6) on the shared
 * 2-core host: 100-115 us against 328-363 us for im2col and the vector product (best of 300, one JVM per path);
 * {@code DirectConvBenchmark} in one JMH run: 174 against 432 us.
 */
public final class DirectConv {
    /** Floats of phases per band that the default band size aims at (64 kB). */
    private static final int BAND_FLOATS = 16 * 1024;

    private final ConvShape s;
    private final PackedA weights;
    private final int band;
    private final int rows;
    private final int pitch;
    private final int[] taps;

    /** Packs {@code weights} ({@code [cout, cin, kh, kw]}) for {@code s}, which {@link #covers} must accept. */
    public DirectConv(final ConvShape s, final float[] weights) {
        this(s, weights, defaultBand(s));
    }

    /** With bands of {@code band} output rows (tests and benchmarks; the default aims at 64 kB of phases). */
    public DirectConv(final ConvShape s, final float[] weights, final int band) {
        if (s.groups() != 1 || band < 1) {
            throw new IllegalArgumentException("direct convolution of " + s + " in bands of " + band);
        }
        final int k = s.cin() * s.kh() * s.kw();
        this.s = s;
        this.weights = PackedA.pack(weights, 0, s.cout(), k, k, 1);
        this.band = Math.min(band, s.oh());
        this.rows = this.band + (s.kh() - 1) / s.sh();
        this.pitch = s.ow() + (s.kw() - 1) / s.sw();
        this.taps = taps(s, rows * pitch, pitch);
    }

    /**
     * True when the direct kernel covers this geometry: one group, not pointwise (a 1x1 product reads its input in
     * place already), and output rows at least one micro-tile ({@link Gemm#NR}) wide, since each row ends in a partial
     * tile computed into scratch and narrow rows would be mostly that.
     */
    public static boolean covers(final ConvShape s) {
        return s.groups() == 1 && !s.isPointwise() && s.ow() >= Gemm.NR;
    }

    private static int defaultBand(final ConvShape s) {
        final int perRow = s.cin() * s.sh() * s.sw() * (s.ow() + (s.kw() - 1) / s.sw());
        return Math.max(1, BAND_FLOATS / perRow - (s.kh() - 1) / s.sh());
    }

    /** Output rows per band. */
    public int band() {
        return band;
    }

    /**
     * Offset of each row of the right operand, in the order of the flattened weights ({@code (c * kh + dy) * kw +
     * dx}), relative to the base of an output row, for phase planes of {@code plane} floats at {@code pitch}.
     */
    private static int[] taps(final ConvShape s, final int plane, final int pitch) {
        final int[] t = new int[s.cin() * s.kh() * s.kw()];
        for (int c = 0; c < s.cin(); c++) {
            for (int dy = 0; dy < s.kh(); dy++) {
                for (int dx = 0; dx < s.kw(); dx++) {
                    final int phase = (c * s.sh() + dy % s.sh()) * s.sw() + dx % s.sw();
                    t[(c * s.kh() + dy) * s.kw() + dx] = phase * plane + dy / s.sh() * pitch + dx / s.sw();
                }
            }
        }
        return t;
    }

    /**
     * Output rows [y0, y1) of every output channel of one image, epilogue included. Input and output are NCHW at
     * {@code in[inOff ...]} and {@code out[outOff ...]}; the epilogue sees pixel {@code y * ow + x} as its column.
     */
    public void run(final float[] in, final int inOff, final float[] out, final int outOff, final int y0,
                    final int y1, final Epilogue ep, final Epilogue.Inputs epIn) {
        // the last, partial tile of an output row loads a whole tile and may run past the last plane (the extra
        // columns are computed and dropped)
        final float[] p = Scratch.get().planes(s.cin() * s.sh() * s.sw() * rows * pitch + Gemm.NR);
        for (int yb = y0; yb < y1; yb += band) {
            final int n = Math.min(band, y1 - yb);
            split(in, inOff, p, yb, n + (s.kh() - 1) / s.sh());
            DirectConvVector.multiply(s, weights, taps, p, 0, pitch, out, outOff, yb, yb + n, ep, epIn);
        }
    }

    /** Phase rows [yb, yb + count) of every input channel into the band's planes at {@code p[0 ...]}. */
    private void split(final float[] in, final int inOff, final float[] p, final int yb, final int count) {
        final int plane = rows * pitch;
        final boolean pairs = s.sw() == 2;
        for (int c = 0; c < s.cin(); c++) {
            final int src = inOff + c * s.inPlane();
            for (int py = 0; py < s.sh(); py++) {
                final int phases = (c * s.sh() + py) * s.sw() * plane;
                for (int i = 0; i < count; i++) {
                    final int iy = (yb + i) * s.sh() + py - s.padTop();
                    final boolean inside = iy >= 0 && iy < s.h();
                    for (int px = 0; px < s.sw(); px++) {
                        final int row = phases + px * plane + i * pitch;
                        // phase columns whose input column j * sw + px - padLeft lies inside the image
                        final int jLo = Math.min(pitch, Math.max(0, ceilDiv(s.padLeft() - px, s.sw())));
                        final int jHi = Math.max(jLo, Math.min(pitch, ceilDiv(s.w() + s.padLeft() - px, s.sw())));
                        if (!inside) {
                            java.util.Arrays.fill(p, row, row + pitch, 0f);
                            continue;
                        }
                        // a column or two of padding: plain stores cost less than a call to Arrays.fill
                        for (int j = 0; j < jLo; j++) {
                            p[row + j] = 0f;
                        }
                        for (int j = jHi; j < pitch; j++) {
                            p[row + j] = 0f;
                        }
                        if (pairs) {
                            continue;
                        }
                        final int srcRow = src + iy * s.w() + px - s.padLeft();
                        if (s.sw() == 1) {
                            System.arraycopy(in, srcRow + jLo, p, row + jLo, jHi - jLo);
                        } else {
                            for (int j = jLo; j < jHi; j++) {
                                p[row + j] = in[srcRow + j * s.sw()];
                            }
                        }
                    }
                    if (pairs && inside) {
                        final int row = phases + i * pitch;
                        DirectConvVector.splitRow2(in, src + iy * s.w(), s.w(), s.padLeft(), p, row, row + plane,
                            pitch);
                    }
                }
            }
        }
    }

    private static int ceilDiv(final int a, final int b) {
        return -Math.floorDiv(-a, b);
    }
}
