package io.mobileformer.streams.ingest;

/**
 * One payload ready to publish, before it gets its camera id and sequence number: a segment or a JPEG.
 *
 * @param contentType   MIME type the decoder dispatches on ({@code video/mp2t}, {@code image/jpeg}, ...)
 * @param payload       the encoded bytes, owned by the record
 * @param captureMicros capture time of the image, or of the segment's first frame, microseconds since the epoch
 * @param width         source width in pixels
 * @param height        source height in pixels
 * @param fps           frame rate of a segment; {@code null} for an image
 * @param frames        frames (packets) in the payload
 */
public record MediaRecord(String contentType, byte[] payload, long captureMicros, int width, int height, Double fps,
                          int frames) {
}
