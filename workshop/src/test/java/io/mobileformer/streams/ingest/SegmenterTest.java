package io.mobileformer.streams.ingest;

import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.testing.TestMedia;
import io.mobileformer.streams.topology.PipelineConfig;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmenterTest {
    private static final SourceOptions OPTIONS = new SourceOptions(5000, 5000, "tcp", false, false);

    @TempDir
    Path root;

    /** A 30-frame H.264 clip at 15 fps with a key frame every 10 frames, as a file camera. */
    private SourceLocation clip() throws IOException {
        final Path f = root.resolve("clip.ts");
        Files.write(f, TestMedia.segment(30, 160, 96, MediaEncoder.Container.MPEG_TS, 10));
        return new SourcePolicy(List.of("file"), root.toString()).resolve("cam", "clip.ts");
    }

    private static List<MediaRecord> segment(final SourceLocation src, final Segmenter.Container container,
                                             final long segmentMs, final int maxBytes) throws IOException {
        return segment(src, container, segmentMs, maxBytes, Integer.MAX_VALUE, false);
    }

    /** The first {@code packets} packets, then the end of the connection: {@code lost} as a break mid-stream. */
    private static List<MediaRecord> segment(final SourceLocation src, final Segmenter.Container container,
                                             final long segmentMs, final int maxBytes, final int packets,
                                             final boolean lost) throws IOException {
        final List<MediaRecord> out = new ArrayList<>();
        try (CameraConnection c = CameraConnection.open(src, OPTIONS, new StallGuard(5000));
             Segmenter s = new Segmenter(c, container, segmentMs, maxBytes, out::add)) {
            AVPacket p;
            int n = 0;
            while (n < packets && (p = c.read()) != null) {
                s.accept(p, 1_700_000_000_000_000L);
                n++;
            }
            final long skipped = s.skippedPackets();
            if (lost) {
                s.flushLost();
            } else {
                s.flush();
            }
            assertEquals(lost && n > 0 ? 1 : 0, s.skippedPackets() - skipped, "the left-out frame is counted");
        }
        return out;
    }

    /**
     * A connection that broke mid-stream ends without its last frame (the one FFmpeg's parser may have held half
     * assembled); one that ended otherwise keeps it. A last segment whose only frame is left out is not published.
     */
    @Test
    void aConnectionLostMidStreamEndsWithoutItsLastFrame() throws Exception {
        final SourceLocation src = clip();
        final List<MediaRecord> kept = segment(src, Segmenter.Container.MPEGTS, 500, 8 << 20, 25, false);
        final List<MediaRecord> lost = segment(src, Segmenter.Container.MPEGTS, 500, 8 << 20, 25, true);
        assertEquals(List.of(10, 10, 5), kept.stream().map(MediaRecord::frames).toList());
        assertEquals(List.of(10, 10, 4), lost.stream().map(MediaRecord::frames).toList());
        assertEquals(4, decode(lost.get(2)).size(), "the shortened segment still decodes");
        // the break came right after a key frame: its segment would hold that frame alone, and is dropped
        assertEquals(List.of(10, 10), segment(src, Segmenter.Container.MPEGTS, 500, 8 << 20, 21, true).stream()
            .map(MediaRecord::frames).toList());
    }

    /**
     * A live camera's first connection, with real FFmpeg remuxing: a 4 s clip at 15 fps with a key frame every 10
     * frames, whose first 20 frames come as the probe's burst, all read at once when the burst ends; the rest arrives
     * in real time, 5 ms after capture. Frame {@code i} was captured at {@code C0 + pts_i}.
     */
    @Test
    void aBurstAtConnectIsHeldInOneSegmentAndEverySegmentIsStampedWhenItsFirstFrameWasCaptured() throws Exception {
        final Path f = root.resolve("long.ts");
        Files.write(f, TestMedia.segment(60, 160, 96, MediaEncoder.Container.MPEG_TS, 10));
        final SourceLocation src = new SourcePolicy(List.of("file"), root.toString()).resolve("cam", "long.ts");
        final long c0 = 1_700_000_000_000_000L;
        final long frame = 1_000_000 / 15;
        final List<MediaRecord> out = new ArrayList<>();
        final List<Long> stampedAt = new ArrayList<>();
        final List<Long> keyPts = new ArrayList<>();
        final CaptureClock clock = CaptureClock.live();
        clock.connected(0);
        try (CameraConnection c = CameraConnection.open(src, OPTIONS, new StallGuard(5000));
             Segmenter s = new Segmenter(c, Segmenter.Container.MPEGTS, 500, 8 << 20, clock, out::add)) {
            AVPacket p;
            long pts0 = Long.MIN_VALUE;
            while ((p = c.read()) != null) {
                final long pts = c.ptsMicros(p);
                pts0 = pts0 == Long.MIN_VALUE ? pts : pts0;
                if (CameraConnection.isKey(p)) {
                    keyPts.add(pts - pts0);
                }
                final long captured = c0 + pts - pts0;
                final long now = pts - pts0 < 20 * frame ? c0 + 19 * frame + 5_000 : captured + 5_000;
                final int before = out.size();
                s.accept(p, now);
                if (out.size() != before) {
                    stampedAt.add(now);
                }
            }
        }
        // the burst is not cut at its key frame 10 (it came faster than real time), nor at the key frames read while
        // the clock settles (a second of real-time reading: 20 and 30); 40 cuts it; then one GOP per segment (the last
        // one is still open when the clip ends)
        assertEquals(List.of(40, 10), out.stream().map(MediaRecord::frames).toList(), out.toString());
        final List<Long> truth = List.of(c0, c0 + keyPts.get(4));
        for (int i = 0; i < out.size(); i++) {
            final MediaRecord r = out.get(i);
            assertTrue(Math.abs(r.captureMicros() - truth.get(i)) < frame, "segment " + i + " stamped "
                + (r.captureMicros() - truth.get(i)) + " us from its first frame's capture time");
            assertTrue(r.captureMicros() + (r.frames() - 1) * frame <= stampedAt.get(i), "not ahead of the clock");
        }
        assertTrue(out.get(1).captureMicros() > out.get(0).captureMicros() + 39 * frame, "in order");
    }

    private static List<DecodedFrame> decode(final MediaRecord r) throws Exception {
        final List<DecodedFrame> frames = new ArrayList<>();
        try (FrameDecoder d = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
                new Preprocessor(32, 32, ResizeMode.STRETCH, new float[] {0, 0, 0}, new float[] {1, 1, 1}));
             FrameStream s = d.open(r.payload(), r.contentType())) {
            DecodedFrame f;
            while ((f = s.next()) != null) {
                frames.add(f);
            }
        }
        return frames;
    }

    @ParameterizedTest
    @EnumSource(Segmenter.Container.class)
    void cutsAtKeyFramesIntoSegmentsThatDecodeOnTheirOwn(final Segmenter.Container container) throws Exception {
        // 500 ms of video is reached inside each 10-frame GOP (667 ms), so every key frame starts a segment
        final List<MediaRecord> segments = segment(clip(), container, 500, 8 << 20);
        assertEquals(3, segments.size(), "one segment per GOP");
        for (final MediaRecord r : segments) {
            assertEquals(container.mime, r.contentType());
            assertEquals(10, r.frames());
            assertEquals(160, r.width());
            final List<DecodedFrame> frames = decode(r);
            assertEquals(10, frames.size(), container + ": every frame of the segment decodes");
            assertTrue(frames.get(0).keyFrame(), "a segment starts with a key frame");
        }
    }

    @Test
    void longerTargetsSpanWholeGops() throws Exception {
        // 1000 ms: the cut waits for the first key frame at or after 1 s, i.e. two GOPs, then the rest
        final List<MediaRecord> segments = segment(clip(), Segmenter.Container.MPEGTS, 1000, 8 << 20);
        assertEquals(List.of(20, 10), segments.stream().map(MediaRecord::frames).toList());
    }

    @Test
    void packetsAreCopiedNotReencoded() throws Exception {
        final SourceLocation src = clip();
        final List<byte[]> original = packets(src);
        final List<byte[]> copied = new ArrayList<>();
        for (final MediaRecord r : segment(src, Segmenter.Container.MPEGTS, 500, 8 << 20)) {
            final Path seg = Files.write(root.resolve("seg.ts"), r.payload());
            copied.addAll(packets(new SourcePolicy(List.of("file"), root.toString()).resolve("seg", seg.toString())));
        }
        assertEquals(original.size(), copied.size());
        for (int i = 0; i < original.size(); i++) {
            assertArrayEquals(original.get(i), copied.get(i), "packet " + i + " is bit-identical");
        }
    }

    @Test
    void anOversizedSegmentIsCutAndTheRestOfItsGopSkipped() throws Exception {
        final List<MediaRecord> segments = segment(clip(), Segmenter.Container.MPEGTS, 60_000, 1);
        // each GOP: its key frame alone fills the segment, its 9 other frames cannot start a segment
        assertEquals(List.of(1, 1, 1), segments.stream().map(MediaRecord::frames).toList());
        for (final MediaRecord r : segments) {
            assertEquals(1, decode(r).size());
        }
    }

    private static List<byte[]> packets(final SourceLocation src) throws IOException {
        final List<byte[]> out = new ArrayList<>();
        try (CameraConnection c = CameraConnection.open(src, OPTIONS, new StallGuard(5000))) {
            AVPacket p;
            while ((p = c.read()) != null) {
                final byte[] b = new byte[p.size()];
                p.data().get(b);
                out.add(b);
                avcodec.av_packet_unref(p);
            }
        }
        return out;
    }

    static String hex(final byte[] b) {
        return Arrays.toString(Arrays.copyOf(b, Math.min(16, b.length)));
    }
}
