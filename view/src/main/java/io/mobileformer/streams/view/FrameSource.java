package io.mobileformer.streams.view;

import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.SourcePosition;
import io.mobileformer.streams.decode.DecodeException;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.model.LetterboxGeometry;
import io.mobileformer.streams.model.ResizeMode;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The picture of a detection record: the input record it names ({@code source}: topic, partition, offset) is fetched
 * from Kafka by offset, decoded with its pipeline's own guarded decoder (its {@code decode.*} limits and its
 * sampling, so frame indices mean the same), scaled to fit {@value #MAX_W}x{@value #MAX_H} and encoded as a JPEG.
 *
 * <p>Only records the view shows are fetched and only frames up to the one shown are decoded. Per camera the last
 * segment stays open: the next frame the view shows is usually later in the same segment, so the decoder moves on
 * instead of starting again. Owns FFmpeg decoders (native memory), and its fetcher, until {@link #close()}; used by
 * one thread.
 */
public final class FrameSource implements AutoCloseable {
    static final int MAX_W = 640;
    static final int MAX_H = 480;
    private static final float JPEG_QUALITY = 0.8f;

    /** The open segment of one camera and how far it was decoded. */
    private static final class Cursor implements AutoCloseable {
        final SourcePosition position;
        final FrameStream stream;
        DecodedFrame last;

        Cursor(final SourcePosition position, final FrameStream stream) {
            this.position = position;
            this.stream = stream;
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    /** A frame drawn: the JPEG and its size in pixels. */
    public record Picture(byte[] jpeg, int width, int height) {
    }

    /** Where input records come from: by offset from Kafka ({@link RecordFetcher}), or from memory in a benchmark. */
    @FunctionalInterface
    public interface Fetcher {
        /** @throws IOException the record is not there (any more) */
        FrameEnvelope fetch(SourcePosition position) throws IOException;
    }

    private final Fetcher fetcher;
    private final AutoCloseable fetcherOwned;
    /** Per detections topic, a decoder with that pipeline's limits and sampling. */
    private final Map<String, FrameDecoder> decoders = new HashMap<>();
    private final Map<String, Cursor> cursors = new HashMap<>();

    /**
     * @param fetcher where input records come from; closed with this source when it is {@link AutoCloseable}
     */
    public FrameSource(final Fetcher fetcher, final List<ViewSources> sources) {
        this.fetcher = fetcher;
        this.fetcherOwned = fetcher instanceof AutoCloseable c ? c : null;
        // identity normalization (mean 0, std 1/255): the "model input" is the RGB picture itself, letterboxed
        final float[] zero = {0f, 0f, 0f};
        final float[] unit = {1 / 255f, 1 / 255f, 1 / 255f};
        for (final ViewSources s : sources) {
            decoders.put(s.detections(), new FrameDecoder(s.limits(), s.sampling(), new Preprocessor(MAX_W, MAX_H,
                ResizeMode.LETTERBOX, zero, unit)));
        }
    }

    /**
     * @throws DecodeException the record did not decode (the pipeline dead-lettered it too) or lacks that frame
     * @throws IOException     the record is no longer on its topic, or could not be encoded
     */
    public Picture render(final String detectionsTopic, final FrameDetections fd) throws DecodeException, IOException {
        final String camera = fd.getCameraId();
        Cursor cursor = cursors.get(camera);
        if (cursor != null && (!cursor.position.equals(fd.getSource())
            || cursor.last != null && cursor.last.index() >= fd.getFrameIndex())) {
            cursors.remove(camera).close();
            cursor = null;
        }
        if (cursor == null) {
            final FrameEnvelope env = fetcher.fetch(fd.getSource());
            final ByteBuffer payload = env.getPayload();
            final byte[] bytes = new byte[payload.remaining()];
            payload.duplicate().get(bytes);
            cursor = new Cursor(fd.getSource(), decoders.get(detectionsTopic).open(bytes, env.getContentType()));
            cursors.put(camera, cursor);
        }
        while (cursor.last == null || cursor.last.index() < fd.getFrameIndex()) {
            final DecodedFrame f = cursor.stream.next();
            if (f == null) {
                throw new DecodeException(DecodeException.Reason.NO_FRAMES, "segment " + fd.getSegmentSequence()
                    + " of " + camera + " ended before frame " + fd.getFrameIndex());
            }
            cursor.last = f;
        }
        if (cursor.last.index() != fd.getFrameIndex()) {
            throw new DecodeException(DecodeException.Reason.NO_FRAMES, "frame " + fd.getFrameIndex() + " of segment "
                + fd.getSegmentSequence() + " is not a sampled frame here (sampling settings differ?)");
        }
        return jpeg(cursor.last);
    }

    /** The letterboxed region of the RGB "input" (values 0..255 per plane) as a JPEG. */
    private static Picture jpeg(final DecodedFrame f) throws IOException {
        final LetterboxGeometry g = f.geometry();
        final float[] in = f.input();
        final int plane = MAX_W * MAX_H;
        final int w = g.scaledW();
        final int h = g.scaledH();
        final int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            int src = (y + g.padY()) * MAX_W + g.padX();
            for (int x = 0; x < w; x++, src++) {
                rgb[y * w + x] = channel(in[src]) << 16 | channel(in[plane + src]) << 8 | channel(in[2 * plane + src]);
            }
        }
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, h, rgb, 0, w);
        final ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 << 10);
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            final ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return new Picture(bytes.toByteArray(), w, h);
    }

    private static int channel(final float v) {
        return Math.max(0, Math.min(255, Math.round(v)));
    }

    @Override
    public void close() {
        cursors.values().forEach(Cursor::close);
        cursors.clear();
        decoders.values().forEach(FrameDecoder::close);
        decoders.clear();
        if (fetcherOwned != null) {
            try {
                fetcherOwned.close();
            } catch (final Exception e) {
                throw new IllegalStateException("closing the record fetcher failed", e);
            }
        }
    }
}
