package io.mobileformer.streams.testing;

import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.synthetic.SyntheticCamera;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Test payloads made here, at test time, by the same encoders the synthetic camera uses. */
public final class TestMedia {
    private TestMedia() {
    }

    public static List<SyntheticCamera.Frame> frames(final long seed, final int n, final int w, final int h) {
        final SyntheticCamera cam = new SyntheticCamera(seed, w, h, 4);
        final List<SyntheticCamera.Frame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(cam.next());
        }
        return out;
    }

    public static byte[] segment(final int n, final int w, final int h, final MediaEncoder.Container c) {
        return segment(n, w, h, c, n);
    }

    /** {@code n} frames at 15 fps with a key frame every {@code gop} frames. */
    public static byte[] segment(final int n, final int w, final int h, final MediaEncoder.Container c,
                                 final int gop) {
        final List<byte[]> rgb = frames(7, n, w, h).stream().map(SyntheticCamera.Frame::rgb).toList();
        try {
            return MediaEncoder.segment(rgb, w, h, 15, gop, c);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] jpeg(final int w, final int h) {
        try {
            return MediaEncoder.jpeg(frames(3, 1, w, h).get(0).rgb(), w, h);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] png(final int w, final int h) {
        try {
            return MediaEncoder.png(frames(4, 1, w, h).get(0).rgb(), w, h);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
