package io.mobileformer.streams.media;

import java.util.Locale;

/**
 * Which decoded frames of a segment are analysed. Decisions are made per segment (segments are GOP-aligned and
 * independent); a still image is always analysed.
 *
 * <ul>
 *   <li>{@code all}: every frame;</li>
 *   <li>{@code every-nth}: frames 0, n, 2n, ... of the segment;</li>
 *   <li>{@code fps}: the first frame at or after each 1/fps step of presentation time from the segment's first frame;</li>
 *   <li>{@code keyframes}: key frames only; the other frames are not even decoded.</li>
 * </ul>
 */
public record Sampling(Mode mode, int everyNth, double fps) {
    public enum Mode { ALL, EVERY_NTH, FPS, KEYFRAMES }

    public static Sampling all() {
        return new Sampling(Mode.ALL, 1, 0);
    }

    public static Sampling parse(final String mode, final int everyNth, final double fps) {
        final Mode m;
        try {
            m = Mode.valueOf(mode.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("sample.mode '" + mode + "' is not one of all, every-nth, fps, keyframes");
        }
        if (m == Mode.EVERY_NTH && everyNth < 1) {
            throw new IllegalArgumentException("sample.every-n must be >= 1");
        }
        if (m == Mode.FPS && !(fps > 0)) {
            throw new IllegalArgumentException("sample.fps must be > 0");
        }
        return new Sampling(m, everyNth, fps);
    }

    /** Stateful per-segment decision. */
    public Selector selector() {
        return new Selector();
    }

    public final class Selector {
        public Mode mode() {
            return mode;
        }

        private long firstPts = Long.MIN_VALUE;
        private long nextSlot;

        /** @return whether frame {@code index} with presentation time {@code ptsMicros} is analysed */
        public boolean keep(final int index, final long ptsMicros) {
            switch (mode) {
                case EVERY_NTH:
                    return index % everyNth == 0;
                case FPS:
                    if (firstPts == Long.MIN_VALUE) {
                        firstPts = ptsMicros;
                        nextSlot = 0;
                    }
                    final long t = ptsMicros - firstPts;
                    if (t >= nextSlot) {
                        final long step = Math.round(1_000_000 / fps);
                        nextSlot = (t / step + 1) * step;
                        return true;
                    }
                    return false;
                default:
                    return true;
            }
        }
    }
}
