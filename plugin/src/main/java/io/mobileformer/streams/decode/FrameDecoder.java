package io.mobileformer.streams.decode;

import io.mobileformer.streams.decode.DecodeException.Reason;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.LetterboxGeometry;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns an encoded payload (still image or video segment) into preprocessed frames, within {@link DecodeLimits}.
 *
 * <p>One decoder serves one stream thread; {@link #open} starts a {@link FrameStream} per record. Cheap checks run
 * first, in order of cost: empty, payload size, content type, header size (images: before any pixel is decoded;
 * video: from the stream headers before the first frame), and structural truncation.
 *
 * <p>Owns native memory: the decoders kept for MPEG-TS streams ({@link StreamCodec}, one per set of parameter sets,
 * at most {@link #KEPT_CODECS}), freed on eviction and by {@link #close()}. Its owner closes it after the last stream.
 */
public final class FrameDecoder implements AutoCloseable {
    static final int TS_PACKET = 188;
    /**
     * Decoders kept open, least recently used evicted. One is kept per distinct set of parameter sets, not per camera
     * (cameras configured alike write the same SPS and share one); a kept decoder holds its frame pool, a few decoded
     * pictures (1.4 MB each at 720p, 3.1 MB at 1080p), so 8 bound that memory per task to tens of MB, and a task with
     * more configurations than that still decodes correctly, the evicted ones on a new decoder as before.
     */
    static final int KEPT_CODECS = 8;

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
    private final Map<ByteBuffer, StreamCodec> codecs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<ByteBuffer, StreamCodec> eldest) {
            if (size() > KEPT_CODECS) {
                eldest.getValue().evict();
                return true;
            }
            return false;
        }
    };
    private final boolean keepCodecs;
    private long probesSkipped;
    private long codecsReused;
    private boolean closed;

    /** A decoder that keeps MPEG-TS decoders across segments (see {@link #FrameDecoder(DecodeLimits, Sampling,
     * Preprocessor, boolean)}). */
    public FrameDecoder(final DecodeLimits limits, final Sampling sampling, final Preprocessor preprocessor) {
        this(limits, sampling, preprocessor, true);
    }

    /**
     * @param keepCodecs whether MPEG-TS segments whose parameter sets were seen before decode on a kept decoder
     *                   ({@link TsSegment}); false: every segment through JavaCV's grabber, as before (the reference
     *                   the kept path is compared with)
     */
    public FrameDecoder(final DecodeLimits limits, final Sampling sampling, final Preprocessor preprocessor,
                        final boolean keepCodecs) {
        this.limits = limits;
        this.sampling = sampling;
        this.preprocessor = preprocessor;
        this.keepCodecs = keepCodecs;
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
        if (closed) {
            throw new IllegalStateException("FrameDecoder is closed: open streams before closing it");
        }
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

    /**
     * The segment opened on the decoder kept for {@code key}, a new one if none is kept yet, or {@code null} when
     * this path does not apply (kept decoders off, the demuxer cannot open the payload without a probe, no decoder
     * for its codec, or the kept decoder is busy with another open stream of this thread): then JavaCV's path runs.
     */
    TsSegment openKept(final ByteBuffer key, final byte[] payload, final LetterboxGeometry geometry) {
        if (!keepCodecs || key == null) {
            return null;
        }
        final TsSegment segment = TsSegment.open(payload);
        if (segment == null) {
            return null;
        }
        StreamCodec codec = codecs.get(key);
        if (codec != null && (codec.codecId() != segment.parameters().codec_id()
            || !codec.geometry().equals(geometry))) {
            codecs.remove(key);
            codec.evict();
            codec = null;
        }
        if (codec == null) {
            try {
                codec = new StreamCodec(segment.parameters(), geometry);
            } catch (final DecodeException e) {
                segment.close();
                return null;
            }
            codecs.put(key, codec);
        } else {
            codecsReused++;
        }
        if (!codec.acquire()) {
            segment.close();
            return null;
        }
        segment.attach(codec);
        return segment;
    }

    /**
     * Ends a segment opened by {@link #openKept}: its decoder is flushed for the next segment of the stream when the
     * segment decoded cleanly, and discarded otherwise, so a damaged segment never leaves state behind for the next.
     */
    void release(final ByteBuffer key, final TsSegment segment, final boolean clean) {
        final StreamCodec codec = segment.codec();
        segment.close();
        if (codec.release()) {
            codec.close();
        } else if (clean) {
            codec.flush();
        } else {
            codecs.remove(key, codec);
            codec.close();
        }
    }

    /** Segments decoded on a decoder kept from an earlier segment. */
    public long codecsReused() {
        return codecsReused;
    }

    /** Decoders kept now. */
    public int codecsKept() {
        return codecs.size();
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

    /** Frees the kept decoders. Streams still open keep theirs until they close. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (final StreamCodec c : codecs.values()) {
            c.evict();
        }
        codecs.clear();
    }
}
