package io.mobileformer.streams.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mobileformer.streams.avro.Detection;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.SourcePosition;
import io.mobileformer.streams.avro.Timings;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViewStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static FrameDetections frame(final String camera, final long seq, final int index, final long micros) {
        return FrameDetections.newBuilder().setCameraId(camera).setSegmentSequence(seq).setFrameIndex(index)
            .setFrameTimestamp(Instant.EPOCH.plusNanos(micros * 1000))
            .setSource(new SourcePosition("frames", 0, seq)).setModel(new ModelRef("demo", "52m", "1", "ab"))
            .setEngine("ort-cpu").setImageWidth(640).setImageHeight(360)
            .setDetections(List.of(new Detection(0, "circle", 0.9f, 10f, 20f, 110f, 120f)))
            .setTimings(new Timings(1f, 2f, 3f)).build();
    }

    @Test
    void onlyTheNewestDetectionsOfACameraWaitToBeDrawn() throws Exception {
        final ViewState s = new ViewState(List.of("detections"), 0f);
        for (int i = 0; i < 8; i++) {
            s.onDetections("detections", frame("gate", 1, i, 1_000_000L + i * 125_000L), i, Instant.now());
        }
        final List<ViewState.Pending> p = s.pending();
        assertEquals(1, p.size());
        assertEquals(7, p.get(0).detections().getFrameIndex());
        s.onRendered(p.get(0), new byte[] {1, 2}, 640, 360, 5.0);
        assertTrue(s.pending().isEmpty());
        final JsonNode cam = JSON.readTree(s.json()).get("cameras").get(0);
        assertEquals(1, cam.get("version").asInt());
        assertEquals(8.0, cam.get("fps").asDouble(), 1e-9, "8 frames 125 ms apart in capture time");
        assertEquals(1, cam.get("boxes").size());
        assertEquals(2, s.jpeg("gate", 1).length);
        assertNull(s.jpeg("gate", 2));
    }

    @Test
    void trackIdsFromATracksRecordOfUnknownShapeReplaceTheBoxes() throws Exception {
        final ViewState s = new ViewState(List.of("detections", "tracks"), 0f);
        s.onDetections("detections", frame("gate", 4, 2, 5_000_000L), 0, Instant.now());
        s.onRendered(s.pending().get(0), new byte[] {1}, 640, 360, 1.0);
        final long before = s.changes();
        s.onTracks("gate", JSON.readTree("{\"cameraId\":\"gate\",\"segmentSequence\":4,\"frameIndex\":2,"
            + "\"tracks\":[{\"trackId\":17,\"label\":\"circle\",\"score\":0.9,\"xMin\":10,\"yMin\":20,\"xMax\":110,"
            + "\"yMax\":120}]}"));
        assertTrue(s.changes() > before, "the frame shown got its track ids");
        final JsonNode cam = JSON.readTree(s.json()).get("cameras").get(0);
        assertTrue(cam.get("tracked").asBoolean());
        assertEquals("17", cam.get("boxes").get(0).get("track").asText());
    }

    @Test
    void deadLettersAndEventsAreKeptNewestFirstAndBounded() throws Exception {
        final ViewState s = new ViewState(List.of("frames.dlq", "events"), 0f);
        for (int i = 0; i < ViewState.RECENT + 10; i++) {
            s.onDeadLetter("frames.dlq", i, "cam", Map.of("mfs.stage", "decode", "mfs.reason", "CORRUPT"), i, 10);
        }
        s.onEvent("cam", JSON.readTree("{\"cameraId\":\"cam\",\"type\":\"line-crossing\",\"trackId\":3}"), 5);
        final JsonNode root = JSON.readTree(s.json());
        assertEquals(ViewState.RECENT, root.get("deadLetters").size());
        assertEquals(ViewState.RECENT + 10 - 1, root.get("deadLetters").get(0).get("offset").asInt());
        assertEquals(ViewState.RECENT + 10, root.get("deadLetterTotal").asInt());
        assertEquals("line-crossing", root.get("events").get(0).get("type").asText());
        assertTrue(root.get("events").get(0).get("text").asText().contains("trackId=3"));
    }

    @Test
    void trackEventsReadAsSentences() throws Exception {
        assertEquals("#3 person entered zone \"dock\"", ViewState.describe("ZONE_ENTER",
            JSON.readTree("{\"type\":\"ZONE_ENTER\",\"name\":\"dock\",\"trackId\":3,\"label\":\"person\"}")));
        assertEquals("#3 person left zone \"dock\" after 4.2 s", ViewState.describe("ZONE_EXIT",
            JSON.readTree("{\"name\":\"dock\",\"trackId\":3,\"label\":\"person\",\"dwellMs\":4210}")));
        assertEquals("#5 crossed line \"door\" right to left", ViewState.describe("LINE_CROSSING",
            JSON.readTree("{\"name\":\"door\",\"trackId\":5,\"label\":null,\"direction\":\"RIGHT_TO_LEFT\"}")));
        assertEquals("zone \"dock\": 2 inside, 1 entered in 60 s", ViewState.describe("ZONE_COUNT",
            JSON.readTree("{\"name\":\"dock\",\"trackId\":null,\"count\":2,\"entries\":1,"
                + "\"windowStart\":1700000000000000,\"windowEnd\":1700000060000000}")));
        assertNull(ViewState.describe("line-crossing", JSON.readTree("{\"trackId\":3}")), "not ours: the field dump");
        final ViewState s = new ViewState(List.of("events"), 0f);
        s.onEvent("cam", JSON.readTree("{\"cameraId\":\"cam\",\"type\":\"ZONE_ENTER\",\"name\":\"dock\","
            + "\"trackId\":7}"), 5);
        assertEquals("#7 entered zone \"dock\"", JSON.readTree(s.json()).get("events").get(0).get("text").asText());
    }
}
