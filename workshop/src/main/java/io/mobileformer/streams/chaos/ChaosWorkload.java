package io.mobileformer.streams.chaos;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.synthetic.SyntheticCamera;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The input of a fault run: numbered records, each with what must come out of it. Record {@code i} is either good
 * (an 8-frame H.264 segment in MPEG-TS or Matroska, or a JPEG: exactly one FrameDetections per frame) or bad (an
 * empty payload, random bytes, a GIF, a value that is not Avro: exactly one dead letter). Every record carries its
 * number in the {@value #SEQ_HEADER} header, which dead letters keep, and as the envelope's sequence, which
 * FrameDetections keep; so the verifier can tell which input each output belongs to, even for a value that is not
 * Avro.
 */
public final class ChaosWorkload {
    public static final String SEQ_HEADER = "chaos.seq";
    static final int SEGMENT_FRAMES = 8;

    /** What record {@code seq} must produce: {@code frames} detection records, or one dead letter when 0. */
    public record Expectation(long seq, int frames) {
        public boolean deadLetter() {
            return frames == 0;
        }
    }

    private final int cameras;
    private final byte[] ts;
    private final byte[] mkv;
    private final byte[] jpeg;
    private final byte[] noise;

    public ChaosWorkload(final int cameras) throws IOException {
        this.cameras = cameras;
        final SyntheticCamera cam = new SyntheticCamera(17, 160, 96, 3);
        final List<byte[]> rgb = new ArrayList<>();
        for (int i = 0; i < SEGMENT_FRAMES; i++) {
            rgb.add(cam.next().rgb());
        }
        this.ts = MediaEncoder.segment(rgb, 160, 96, 15, SEGMENT_FRAMES, MediaEncoder.Container.MPEG_TS);
        this.mkv = MediaEncoder.segment(rgb, 160, 96, 15, SEGMENT_FRAMES, MediaEncoder.Container.MATROSKA);
        this.jpeg = MediaEncoder.jpeg(rgb.get(0), 160, 96);
        this.noise = new byte[3000];
        new Random(5).nextBytes(noise);
    }

    public String camera(final long seq) {
        return "cam-" + (seq % cameras);
    }

    /** One record in ten is bad, of four kinds in turn; of the good ones, one in four is a JPEG. */
    public Expectation expectation(final long seq) {
        if (seq % 10 == 9) {
            return new Expectation(seq, 0);
        }
        return new Expectation(seq, seq % 4 == 1 ? 1 : SEGMENT_FRAMES);
    }

    public ProducerRecord<byte[], byte[]> record(final String topic, final long seq) {
        final byte[] value;
        if (expectation(seq).deadLetter()) {
            value = switch ((int) (seq / 10 % 4)) {
                case 0 -> envelope(seq, "image/jpeg", new byte[0]);
                case 1 -> envelope(seq, "image/jpeg", noise);
                case 2 -> envelope(seq, "image/gif", jpeg);
                default -> ("not an envelope " + seq).getBytes(StandardCharsets.UTF_8);
            };
        } else if (seq % 4 == 1) {
            value = envelope(seq, "image/jpeg", jpeg);
        } else {
            value = seq % 4 == 3 ? envelope(seq, "video/x-matroska", mkv) : envelope(seq, "video/mp2t", ts);
        }
        final RecordHeaders headers = new RecordHeaders();
        headers.add(SEQ_HEADER, Long.toString(seq).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(topic, null, camera(seq).getBytes(StandardCharsets.UTF_8), value, headers);
    }

    private byte[] envelope(final long seq, final String type, final byte[] payload) {
        final FrameEnvelope e = FrameEnvelope.newBuilder().setCameraId(camera(seq)).setSequence(seq)
            .setCaptureTime(Instant.ofEpochSecond(1_700_000_000L).plusMillis(seq * 100)).setContentType(type)
            .setPayload(ByteBuffer.wrap(payload)).build();
        return AvroSerdes.frameEnvelope().serializer().serialize("frames", e);
    }
}
