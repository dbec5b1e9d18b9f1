package io.mobileformer.streams.decode;

/**
 * Per-record resource limits. Each one protects the stream threads from one kind of hostile or broken input; a record
 * over any limit goes to the dead-letter topic with the reason, and processing continues. The defaults are those of
 * the {@code decode.*} settings ({@code PipelineConfig.defaults().decodeLimits()}).
 *
 * @param maxPayloadBytes     larger payloads are refused before any parsing
 * @param maxPixels           width x height from the image or stream header, checked before decoding frames
 * @param maxFramesPerSegment a segment decoding to more frames is refused (bounds memory and time per record)
 * @param maxDecodeMillis     wall time for one record's decode; longer is refused
 */
public record DecodeLimits(int maxPayloadBytes, long maxPixels, int maxFramesPerSegment, long maxDecodeMillis) {
}
