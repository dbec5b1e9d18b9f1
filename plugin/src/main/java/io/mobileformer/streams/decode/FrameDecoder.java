package io.mobileformer.streams.decode;

import io.mobileformer.streams.decode.DecodeException.Reason;
import io.mobileformer.streams.media.Sampling;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns an encoded payload (still image or video segment) into preprocessed frames, within {@link DecodeLimits}.
 *
 * <p>One decoder serves one stream thread; {@link #open} starts an independent {@link FrameStream} per record. Cheap
 * checks run first, in order of cost: empty, payload size, content type, header size (images: before any pixel is
 * decoded; video: from the stream headers before the first frame), and structural truncation.
 */
public final class FrameDecoder {
    static final int TS_PACKET = 188;

    private final DecodeLimits limits;
    private final Sampling sampling;
    private final Preprocessor preprocessor;
    /**
     * Picture sizes probed before, by {@link TsParameterSets} key: a segment with a known key opens without
     * FFmpeg's probe. Small and access-ordered (a stream thread serves a handful of cameras); this decoder serves one
     * thread, so it is not synchronized.
     */
    private final Map<ByteBuffer, int[]> knownSizes = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<ByteBuffer, int[]> eldest) {
            return size() > 64;
        }
    };
    private long probesSkipped;

    public FrameDecoder(final DecodeLimits limits, final Sampling sampling, final Preprocessor preprocessor) {
        this.limits = limits;
        this.sampling = sampling;
        this.preprocessor = preprocessor;
    }

    public DecodeLimits limits() {
        return limits;
    }

    public Preprocessor preprocessor() {
        return preprocessor;
    }

    /**
     * Validates the payload and opens a stream of its sampled frames. The caller must close the stream.
     *
     * @param contentType the envelope's MIME type
     */
    public FrameStream open(final byte[] payload, final String contentType) throws DecodeException {
        if (payload == null || payload.length == 0) {
            throw new DecodeException(Reason.EMPTY, "empty payload");
        }
        if (payload.length > limits.maxPayloadBytes()) {
            throw new DecodeException(Reason.PAYLOAD_TOO_LARGE, "payload of " + payload.length + " bytes exceeds "
                + "decode.max-payload-bytes=" + limits.maxPayloadBytes());
        }
        final ContentType type = ContentType.parse(contentType).orElseThrow(() -> new DecodeException(
            Reason.UNSUPPORTED_TYPE, "unsupported content type '" + contentType + "': use image/jpeg, image/png, "
                + "video/mp2t, video/mp4 or video/x-matroska"));
        if (!type.isVideo()) {
            final int[] wh = ImageHeader.size(type, payload);
            checkPixels(wh[0], wh[1], type.mime() + " header");
            ImageHeader.checkComplete(type, payload);
        } else if (type == ContentType.MPEG_TS && payload.length % TS_PACKET != 0) {
            throw new DecodeException(Reason.TRUNCATED, "MPEG-TS payload of " + payload.length
                + " bytes is not a whole number of 188-byte packets: truncated segment");
        } else if (type == ContentType.MP4) {
            Mp4Boxes.check(payload);
        }
        return new FrameStream(this, payload, type, sampling.selector());
    }

    /** The picture size a segment with this parameter-set key was probed at, or {@code null}. */
    int[] knownSize(final ByteBuffer key) {
        return key == null ? null : knownSizes.get(key);
    }

    void rememberSize(final ByteBuffer key, final int width, final int height) {
        if (key != null) {
            knownSizes.put(key, new int[] {width, height});
        }
    }

    void probeSkipped() {
        probesSkipped++;
    }

    /** Segments opened without FFmpeg's stream probe because their parameter sets were seen before. */
    public long probesSkipped() {
        return probesSkipped;
    }

    void checkPixels(final long w, final long h, final String where) throws DecodeException {
        if (w <= 0 || h <= 0) {
            throw new DecodeException(Reason.CORRUPT, where + " declares an empty image " + w + "x" + h);
        }
        if (w * h > limits.maxPixels()) {
            throw new DecodeException(Reason.TOO_MANY_PIXELS, where + " declares " + w + "x" + h + " = " + (w * h)
                + " pixels, over decode.max-pixels=" + limits.maxPixels());
        }
    }
}
