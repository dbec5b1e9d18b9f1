package io.mobileformer.streams.avro;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The framing rules that need no registry; the registry side runs against a real one in SchemaRegistryIT. */
class WireFormatTest {
    private static final FrameEnvelope ENVELOPE = FrameEnvelope.newBuilder().setCameraId("cam").setSequence(7)
        .setCaptureTime(Instant.ofEpochSecond(1_700_000_000L)).setContentType("image/jpeg")
        .setPayload(ByteBuffer.wrap(new byte[] {1, 2, 3})).build();

    @Test
    void withoutARegistryUrlRecordsAreSingleObjectEncoded() {
        final WireFormat wire = WireFormat.of(Map.of("bootstrap.servers", "x:9092"));
        assertSame(WireFormat.singleObject(), wire);
        assertFalse(wire.usesRegistry());
        final byte[] b = wire.serializer(FrameEnvelope.class).serialize("frames", ENVELOPE);
        assertEquals((byte) 0xC3, b[0]);
        assertEquals(1, b[1]);
        assertEquals(ENVELOPE, wire.deserializer(FrameEnvelope.class).deserialize("frames", b));
        assertEquals(ENVELOPE, AvroSerdes.frameEnvelope().deserializer().deserialize("frames", b));
        assertNull(wire.deserializer(FrameEnvelope.class).deserialize("frames", null));
    }

    @Test
    void aRegistryFramedRecordWithoutARegistrySaysWhatToSet() {
        final byte[] framed = {0, 0, 0, 0, 42, 2, 'x'};
        final SerializationException e = assertThrows(SerializationException.class,
            () -> WireFormat.singleObject().deserializer(FrameEnvelope.class).deserialize("frames", framed));
        assertTrue(e.getMessage().contains("schema id 42") && e.getMessage().contains(RegistryConfig.URL),
            e.getMessage());
    }

    @Test
    void neitherFramingIsRefusedWithItsFirstBytes() {
        final SerializationException e = assertThrows(SerializationException.class,
            () -> WireFormat.singleObject().deserializer(FrameEnvelope.class).deserialize("frames",
                "{\"json\":1}".getBytes()));
        assertTrue(e.getMessage().contains("7B 22 6A 73"), e.getMessage());
        assertThrows(SerializationException.class, () -> WireFormat.singleObject().deserializer(FrameEnvelope.class)
            .deserialize("frames", new byte[] {0, 1}));
    }

    @Test
    void credentialsComeFromTheConfiguredSourceAndStayHidden() {
        final RegistryConfig fromUrl = new RegistryConfig(Map.of(RegistryConfig.URL,
            "https://bob:p%40ss@reg:8081/", RegistryConfig.AUTH_SOURCE, "URL"));
        assertEquals("bob:p@ss", fromUrl.userInfo());
        assertEquals("https://reg:8081", new SchemaRegistryClient(fromUrl).urls().get(0).toString(),
            "user info never part of a URL that is shown or requested");
        final RegistryConfig fromKey = new RegistryConfig(Map.of(RegistryConfig.URL, "http://a, http://b",
            RegistryConfig.USER_INFO, "alice:s3cret"));
        assertEquals("alice:s3cret", fromKey.userInfo());
        assertEquals(2, fromKey.urls().size());
        assertFalse(fromKey.values().toString().contains("s3cret"));
        assertNull(new RegistryConfig(Map.of(RegistryConfig.URL, "http://a")).userInfo());
    }
}
