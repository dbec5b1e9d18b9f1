package io.mobileformer.streams.ingest;

import org.bytedeco.ffmpeg.avcodec.AVPacket;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * What a camera's video packets become: GOP-aligned segments ({@link Segmenter}) or sampled JPEGs
 * ({@link JpegSampler}). One sink per connection, fed and closed by the camera's own thread; it hands finished
 * {@link MediaRecord}s to the consumer it was created with. Holds native memory until {@link #close()}.
 */
interface PacketSink extends AutoCloseable {

    /** Creates the sink for one connection. */
    @FunctionalInterface
    interface Factory {
        /** @param clock the camera's capture clock (one per camera, across connections), already {@code connected()} */
        PacketSink open(CameraConnection connection, CaptureClock clock, Consumer<MediaRecord> out)
            throws IOException;
    }

    /**
     * Takes one video packet of the connection; the packet is unreferenced (consumed) when this returns.
     *
     * @param arrivalMicros wall-clock time it was read, for capture times
     */
    void accept(AVPacket packet, long arrivalMicros) throws IOException;

    /** Emits whatever is pending: the connection ended, and a partial segment is still a decodable one. */
    void flush() throws IOException;

    /**
     * Emits what is pending after the camera's side of the connection failed mid-stream (not a stop, not a stall):
     * FFmpeg then hands over the last frame its parser held, and the camera may have been cut off in the middle of
     * sending it. A sink that still holds that frame leaves it out; by default this is {@link #flush()}.
     */
    default void flushLost() throws IOException {
        flush();
    }

    /**
     * Packets dropped: before the connection's first key frame (a record must start with one), and the last frame
     * of a lost connection ({@link #flushLost()}).
     */
    long skippedPackets();

    @Override
    void close();
}
