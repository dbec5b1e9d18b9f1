package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.Sampling;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avcodec;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Decodes a camera's video and publishes a JPEG at most every {@code 1/fps} seconds of presentation time, using the
 * same rule as the pipeline's {@code sample.mode=fps} ({@link Sampling}). Every packet is decoded (inter-coded video
 * cannot skip frames); only the sampled frames are converted and encoded. Decoding starts at the first key frame.
 * Owns a decoder and an encoder until {@link #close()}.
 */
final class JpegSampler implements PacketSink {
    private final CameraConnection connection;
    private final Consumer<MediaRecord> out;
    private final VideoDecoder decoder;
    private final JpegEncoder encoder;
    private final Sampling.Selector selector;
    private final CaptureClock clock;
    private boolean sawKey;
    private long skipped;
    private int index;

    /** @param clock the camera's capture clock, told about this connection already */
    JpegSampler(final CameraConnection connection, final double fps, final int quality, final CaptureClock clock,
                final Consumer<MediaRecord> out) throws IOException {
        this.clock = clock;
        this.connection = connection;
        this.out = out;
        this.decoder = new VideoDecoder(connection.codecParameters(), connection.videoStream().time_base());
        this.encoder = new JpegEncoder(quality);
        this.selector = Sampling.parse("fps", 1, fps).selector();
    }

    @Override
    public void accept(final AVPacket packet, final long arrival) throws IOException {
        try {
            clock.observe(connection.ptsMicros(packet), arrival);
            sawKey |= CameraConnection.isKey(packet);
            if (!sawKey) {
                skipped++;
                return;
            }
            decoder.decode(packet, this::frame);
        } finally {
            avcodec.av_packet_unref(packet);
        }
    }

    private void frame(final AVFrame f) throws IOException {
        final long ptsMicros = connection.toMicros(f.best_effort_timestamp());
        // a decoded frame is never newer than the last packet observed, so its time is not ahead of the wall clock
        final long capture = clock.stamp(ptsMicros, 0, System.currentTimeMillis() * 1000);
        // sample on the capture timeline: it follows presentation time, and stays defined for frames without one
        if (selector.keep(index++, capture)) {
            out.accept(new MediaRecord("image/jpeg", encoder.encode(f), capture, f.width(), f.height(), null, 1));
        }
    }

    @Override
    public void flush() {
        // frames still inside the decoder are the last few of a dead connection: not worth a drain
    }

    @Override
    public long skippedPackets() {
        return skipped;
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
    }
}
