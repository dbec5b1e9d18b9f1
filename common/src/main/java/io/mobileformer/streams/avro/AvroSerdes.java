package io.mobileformer.streams.avro;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.serialization.Serde;

/**
 * Serdes for the plugin's Avro records in Avro single-object encoding ({@code C3 01}, the 8-byte CRC-64-AVRO
 * fingerprint of the writer schema, then the binary datum): self-describing without a schema registry; a consumer in
 * any language with the {@code .avsc} files (schemas/) can decode it. Their deserializers also read records in the
 * schema-registry wire format, but only say what to configure: a process that talks to a registry gets its serdes
 * from {@link WireFormat#of} instead, the one factory for either format.
 */
public final class AvroSerdes {
    static {
        trustGeneratedClasses();
    }

    private AvroSerdes() {
    }

    /** Avro 1.12 instantiates only trusted classes; trust our generated records, keep whatever else is trusted. */
    static synchronized void trustGeneratedClasses() {
        final ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        if (!current.isTrusted(FrameEnvelope.class)) {
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current,
                c -> c.getName().startsWith("io.mobileformer.streams.avro.")));
        }
    }

    public static Serde<FrameEnvelope> frameEnvelope() {
        return WireFormat.singleObject().serde(FrameEnvelope.class);
    }

    public static Serde<FrameDetections> frameDetections() {
        return WireFormat.singleObject().serde(FrameDetections.class);
    }

    public static Serde<FrameDropped> frameDropped() {
        return WireFormat.singleObject().serde(FrameDropped.class);
    }

    public static Serde<FrameTracks> frameTracks() {
        return WireFormat.singleObject().serde(FrameTracks.class);
    }

    public static Serde<TrackEvent> trackEvent() {
        return WireFormat.singleObject().serde(TrackEvent.class);
    }
}
