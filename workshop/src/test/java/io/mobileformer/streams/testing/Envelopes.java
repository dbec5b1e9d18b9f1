package io.mobileformer.streams.testing;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;

import java.nio.ByteBuffer;
import java.time.Instant;

public final class Envelopes {
    private Envelopes() {
    }

    public static FrameEnvelope envelope(final String camera, final long seq, final String type, final byte[] payload) {
        return FrameEnvelope.newBuilder().setCameraId(camera).setSequence(seq)
            .setCaptureTime(Instant.ofEpochSecond(1_700_000_000L).plusMillis(seq * 1000)).setContentType(type)
            .setPayload(ByteBuffer.wrap(payload)).build();
    }

    public static byte[] bytes(final String camera, final long seq, final String type, final byte[] payload) {
        return AvroSerdes.frameEnvelope().serializer().serialize("frames", envelope(camera, seq, type, payload));
    }
}
