package io.mobileformer.streams.synthetic;

import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.ingest.MediaEncoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One synthetic camera as it would publish to Kafka: GOP-aligned H.264 MPEG-TS segments, and every
 * {@code stillEvery}-th record a JPEG still instead. Each record comes with the frames it holds (pixels and ground
 * truth) so a caller can score and draw what the pipeline returns.
 */
public final class SyntheticFeed {

    /** One record and the frames in it, in order. */
    public record Record(FrameEnvelope envelope, List<SyntheticCamera.Frame> frames) {
    }

    private final String cameraId;
    private final SyntheticCamera camera;
    private final double fps;
    private final int segmentFrames;
    private final int stillEvery;
    private long sequence;
    /** Capture time of the last frame published, null before the first record. */
    private Instant lastFrame;

    public SyntheticFeed(final String cameraId, final long seed, final int width, final int height, final double fps,
                         final int segmentFrames, final int stillEvery) {
        this.cameraId = cameraId;
        this.camera = new SyntheticCamera(seed, width, height, 5);
        this.fps = fps;
        this.segmentFrames = segmentFrames;
        this.stillEvery = stillEvery;
    }

    public String cameraId() {
        return cameraId;
    }

    /**
     * The earliest wall-clock time at which the next record may be published: when its last frame has been captured,
     * one frame interval after the previous record's last frame. A caller that is behind real time waits until then,
     * as a real camera cannot deliver frames faster than it captures them.
     */
    public Instant readyAt() {
        return lastFrame == null ? Instant.EPOCH : lastFrame.plusNanos(Math.round(framesOf(sequence) / fps * 1e9));
    }

    private int framesOf(final long seq) {
        return stillEvery > 0 && seq % stillEvery == stillEvery - 1 ? 1 : segmentFrames;
    }

    /**
     * Renders and encodes the next record as a camera publishing it at {@code now} would: its last frame was captured
     * at {@code now} and its first {@code (n - 1) / fps} seconds earlier. The envelope's capture time is that of the
     * first frame and each frame's time is capture time + its offset, so no frame (and no detection record, which
     * carries its frame's time) is stamped ahead of the clock. Frame times never go backwards: when {@code now} is
     * earlier than {@link #readyAt()} (a caller that did not wait), the record starts one frame interval after the
     * previous one's last frame instead, and is then stamped ahead of {@code now}.
     */
    public Record next(final Instant now) throws IOException {
        final long seq = sequence++;
        final boolean still = stillEvery > 0 && seq % stillEvery == stillEvery - 1;
        final int n = framesOf(seq);
        final List<SyntheticCamera.Frame> frames = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            frames.add(camera.next());
        }
        Instant captureTime = now.minusNanos(Math.round((n - 1) / fps * 1e9));
        if (lastFrame != null && !captureTime.isAfter(lastFrame)) {
            captureTime = lastFrame.plusNanos(Math.round(1e9 / fps));
        }
        lastFrame = captureTime.plusNanos(Math.round((n - 1) / fps * 1e9));
        final int w = camera.width();
        final int h = camera.height();
        final byte[] payload = still ? MediaEncoder.jpeg(frames.get(0).rgb(), w, h)
            : MediaEncoder.segment(frames.stream().map(SyntheticCamera.Frame::rgb).toList(), w, h, fps, n,
                MediaEncoder.Container.MPEG_TS);
        final FrameEnvelope env = FrameEnvelope.newBuilder()
            .setCameraId(cameraId)
            .setSequence(seq)
            .setCaptureTime(captureTime)
            .setContentType(still ? "image/jpeg" : "video/mp2t")
            .setPayload(ByteBuffer.wrap(payload))
            .setWidth(w)
            .setHeight(h)
            .setFps(still ? null : fps)
            .build();
        return new Record(env, frames);
    }
}
