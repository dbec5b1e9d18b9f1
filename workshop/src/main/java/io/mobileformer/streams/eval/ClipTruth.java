package io.mobileformer.streams.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Ground truth of a clip, as {@code training/mobile_former/synthetic.py write_clip} writes it:
 * {@code {"width", "height", "fps", "labels": [...], "frames": [{"index", "objects": [{"class_id", "label",
 * "box": [x0, y0, x1, y1]}]}]}}, boxes in source pixels.
 */
public record ClipTruth(int width, int height, List<String> labels, List<List<GroundTruth>> frames) {

    public static ClipTruth read(final Path file) throws IOException {
        final JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root == null || !root.has("frames")) {
            throw new IOException(file + " is not a ground-truth file: no \"frames\" array");
        }
        final List<String> labels = new ArrayList<>();
        root.path("labels").forEach(l -> labels.add(l.asText()));
        final List<List<GroundTruth>> frames = new ArrayList<>();
        for (final JsonNode f : root.get("frames")) {
            final int index = f.path("index").asInt(frames.size());
            if (index != frames.size()) {
                throw new IOException(file + ": frame indices must be 0, 1, 2, ... in order; found " + index
                    + " at position " + frames.size());
            }
            final List<GroundTruth> objs = new ArrayList<>();
            for (final JsonNode o : f.path("objects")) {
                final JsonNode b = o.get("box");
                objs.add(new GroundTruth(o.path("class_id").asInt(), (float) b.get(0).asDouble(),
                    (float) b.get(1).asDouble(), (float) b.get(2).asDouble(), (float) b.get(3).asDouble()));
            }
            frames.add(objs);
        }
        return new ClipTruth(root.path("width").asInt(), root.path("height").asInt(), labels, frames);
    }
}
