package io.mobileformer.streams.view;

import com.fasterxml.jackson.databind.JsonNode;
import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDropped;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnyAvroTest {
    @Test
    void decodesOurRecordsByTheirFingerprintAlone() throws IOException {
        final AnyAvro any = AnyAvro.ofGeneratedRecords();
        assertTrue(any.known().contains("io.mobileformer.streams.avro.FrameDetections"), any.known().toString());
        final FrameDropped d = FrameDropped.newBuilder().setCameraId("gate").setSegmentSequence(3).setFrameIndex(4)
            .setFrameTimestamp(Instant.ofEpochMilli(1000)).setReason("queue full").build();
        final JsonNode n = any.decode(AvroSerdes.frameDropped().serializer().serialize("t", d));
        assertEquals("gate", n.get("cameraId").asText());
        assertEquals(4, n.get("frameIndex").asInt());
        assertThrows(IOException.class, () -> any.decode(new byte[] {(byte) 0xC3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        assertThrows(IOException.class, () -> any.decode("not avro".getBytes()));
    }
}
