package io.mobileformer.streams.avro;

import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Serdes for the plugin's Avro records, in Avro single-object encoding: {@code C3 01}, the 8-byte CRC-64-AVRO
 * fingerprint of the writer schema, then the binary datum. Self-describing without a schema registry; a consumer in
 * any language with the {@code .avsc} files (schemas/) can decode it.
 */
public final class AvroSerdes {
    static {
        // Avro 1.12 instantiates only trusted classes; trust our generated records, keep whatever else is trusted.
        final ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current,
            c -> c.getName().startsWith("io.mobileformer.streams.avro.")));
    }

    private AvroSerdes() {
    }

    public static Serde<FrameEnvelope> frameEnvelope() {
        return serde(FrameEnvelope.getClassSchema(), FrameEnvelope.class);
    }

    public static Serde<FrameDetections> frameDetections() {
        return serde(FrameDetections.getClassSchema(), FrameDetections.class);
    }

    public static Serde<FrameDropped> frameDropped() {
        return serde(FrameDropped.getClassSchema(), FrameDropped.class);
    }

    public static Serde<FrameTracks> frameTracks() {
        return serde(FrameTracks.getClassSchema(), FrameTracks.class);
    }

    public static Serde<TrackEvent> trackEvent() {
        return serde(TrackEvent.getClassSchema(), TrackEvent.class);
    }

    private static <T extends SpecificRecord> Serde<T> serde(final org.apache.avro.Schema schema, final Class<T> type) {
        final BinaryMessageEncoder<T> encoder = new BinaryMessageEncoder<>(SpecificData.get(), schema);
        final BinaryMessageDecoder<T> decoder = new BinaryMessageDecoder<>(SpecificData.get(), schema);
        final Serializer<T> ser = (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                final ByteBuffer b = encoder.encode(value);
                final byte[] out = new byte[b.remaining()];
                b.get(out);
                return out;
            } catch (final IOException e) {
                throw new SerializationException("cannot encode " + type.getSimpleName() + " for " + topic, e);
            }
        };
        final Deserializer<T> de = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return decoder.decode(bytes);
            } catch (final IOException | RuntimeException e) {
                throw new SerializationException("record on " + topic + " is not a single-object encoded "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        };
        return Serdes.serdeFrom(ser, de);
    }
}
