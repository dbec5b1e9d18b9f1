package io.mobileformer.streams.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTruthTest {
    @TempDir
    Path dir;

    @Test
    void cocoTruthMapsCategoriesToModelLabelsAndKeepsIgnoreRegions() throws IOException {
        final Path f = dir.resolve("t.json");
        Files.writeString(f, """
            {"images": [{"id": 1, "file_name": "clip.ts#4", "width": 64, "height": 48},
                        {"id": 2, "file_name": "x.jpg", "frame_index": 9, "width": 64, "height": 48}],
             "categories": [{"id": 7, "name": "person"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 2, 10, 20]},
                             {"id": 2, "image_id": 1, "category_id": 7, "bbox": [30, 0, 5, 5], "iscrowd": 1},
                             {"id": 3, "image_id": 2, "category_id": 7, "bbox": [0, 0, 4, 4], "ignore": 1}]}
            """);
        final ClipTruth t = ClipTruth.read(f, List.of("vehicle", "person"));
        assertEquals(List.of(4, 9), List.copyOf(t.frames().keySet()));
        assertEquals(List.of(new GroundTruth(1, 1, 2, 11, 22)), t.frame(4).objects());
        assertEquals(List.of(new GroundTruth(1, 30, 0, 35, 5)), t.frame(4).ignore());
        assertTrue(t.frame(9).objects().isEmpty());
        assertEquals(1, t.frame(9).ignore().size());
        assertNull(t.frame(5), "an unlabelled frame is not scored");
    }

    @Test
    void aCategoryTheModelLacksIsAnError() throws IOException {
        final Path f = dir.resolve("t.json");
        Files.writeString(f, """
            {"images": [{"id": 1, "frame_index": 0}], "categories": [{"id": 1, "name": "dog"}], "annotations": []}
            """);
        final IOException e = assertThrows(IOException.class, () -> ClipTruth.read(f, List.of("person")));
        assertTrue(e.getMessage().contains("'dog' is not one of the model's labels"), e.getMessage());
    }

    @Test
    void anImageWithoutAFrameIsAnError() throws IOException {
        final Path f = dir.resolve("t.json");
        Files.writeString(f, """
            {"images": [{"id": 1, "file_name": "a.jpg"}], "categories": [], "annotations": []}
            """);
        assertThrows(IOException.class, () -> ClipTruth.read(f, List.of("person")));
    }

    @Test
    void theShippedTruthReads() throws IOException {
        final ClipTruth t = ClipTruth.read(Path.of("samples/vtest-tail.truth.json"), List.of("person", "vehicle"));
        assertEquals(24, t.frames().size());
        assertEquals(170, t.frames().values().stream().mapToInt(x -> x.objects().size()).sum());
    }
}
