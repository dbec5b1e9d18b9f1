package io.mobileformer.streams.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Ground truth of a clip, by frame index (counted from the clip's first decoded frame). A frame without an entry is not
 * scored: real footage is labelled on some frames only. Two file formats:
 * <ul>
 *   <li>COCO detection JSON (what CVAT, Label Studio and Roboflow export, and what {@code samples/} ships):
 *   {@code images[].frame_index} (or the number after {@code #} in {@code file_name}), {@code annotations[].bbox}
 *   as {@code [x, y, w, h]} in source pixels, {@code iscrowd} or {@code ignore} marking ignore regions;</li>
 *   <li>the synthetic clips' own format ({@code training/mobile_former/synthetic.py write_clip}): {@code {"width",
 *   "height", "labels", "frames": [{"index", "objects": [{"class_id", "box": [x0, y0, x1, y1]}]}]}}.</li>
 * </ul>
 * Class ids are the model's: truth categories are matched to the model's labels by name, and a category the model
 * does not have is an error (its objects could only ever be missed).
 */
public record ClipTruth(int width, int height, List<String> labels, SortedMap<Integer, FrameTruth> frames) {

    /** The truth of one frame: its objects, and the regions where a detection is neither a hit nor a false alarm. */
    public record FrameTruth(List<GroundTruth> objects, List<GroundTruth> ignore) {
        public FrameTruth {
            objects = List.copyOf(objects);
            ignore = List.copyOf(ignore);
        }
    }

    /** The truth of frame {@code index}, or null when that frame is not labelled. */
    public FrameTruth frame(final int index) {
        return frames.get(index);
    }

    /** Reads either format; {@code modelLabels} gives the class ids. */
    public static ClipTruth read(final Path file, final List<String> modelLabels) throws IOException {
        final JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root != null && root.has("images") && root.has("annotations")) {
            return readCoco(file, root, modelLabels);
        }
        if (root == null || !root.has("frames")) {
            throw new IOException(file + " is neither COCO detection JSON (images, annotations, categories) nor a "
                + "clip truth file (frames)");
        }
        final List<String> labels = new ArrayList<>();
        root.path("labels").forEach(l -> labels.add(l.asText()));
        final SortedMap<Integer, FrameTruth> frames = new TreeMap<>();
        for (final JsonNode f : root.get("frames")) {
            final int index = f.path("index").asInt(frames.size());
            final List<GroundTruth> objs = new ArrayList<>();
            for (final JsonNode o : f.path("objects")) {
                final JsonNode b = o.get("box");
                objs.add(new GroundTruth(o.path("class_id").asInt(), (float) b.get(0).asDouble(),
                    (float) b.get(1).asDouble(), (float) b.get(2).asDouble(), (float) b.get(3).asDouble()));
            }
            if (frames.put(index, new FrameTruth(objs, List.of())) != null) {
                throw new IOException(file + ": frame " + index + " appears twice");
            }
        }
        return new ClipTruth(root.path("width").asInt(), root.path("height").asInt(), labels, frames);
    }

    private static ClipTruth readCoco(final Path file, final JsonNode root, final List<String> modelLabels)
        throws IOException {
        final Map<Integer, Integer> classOf = new HashMap<>();
        for (final JsonNode c : root.path("categories")) {
            final String name = c.path("name").asText();
            final int id = modelLabels.indexOf(name);
            if (id < 0) {
                throw new IOException(file + ": truth category '" + name + "' is not one of the model's labels "
                    + modelLabels);
            }
            classOf.put(c.path("id").asInt(), id);
        }
        final Map<Integer, Integer> frameOf = new HashMap<>();
        final Map<Integer, List<GroundTruth>> objects = new HashMap<>();
        final Map<Integer, List<GroundTruth>> ignore = new HashMap<>();
        int width = 0;
        int height = 0;
        for (final JsonNode im : root.get("images")) {
            final int frame = frameIndex(file, im);
            if (frameOf.containsValue(frame)) {
                throw new IOException(file + ": frame " + frame + " appears twice");
            }
            frameOf.put(im.path("id").asInt(), frame);
            objects.put(frame, new ArrayList<>());
            ignore.put(frame, new ArrayList<>());
            width = im.path("width").asInt(width);
            height = im.path("height").asInt(height);
        }
        for (final JsonNode a : root.get("annotations")) {
            final Integer frame = frameOf.get(a.path("image_id").asInt());
            if (frame == null) {
                throw new IOException(file + ": annotation " + a.path("id").asText() + " refers to unknown image_id "
                    + a.path("image_id").asText());
            }
            final Integer cls = classOf.get(a.path("category_id").asInt());
            if (cls == null) {
                throw new IOException(file + ": annotation " + a.path("id").asText() + " has unknown category_id "
                    + a.path("category_id").asText());
            }
            final JsonNode b = a.get("bbox");
            final float x = (float) b.get(0).asDouble();
            final float y = (float) b.get(1).asDouble();
            final GroundTruth g = new GroundTruth(cls, x, y, x + (float) b.get(2).asDouble(),
                y + (float) b.get(3).asDouble());
            final boolean isIgnore = a.path("iscrowd").asInt(0) != 0 || a.path("ignore").asInt(0) != 0;
            (isIgnore ? ignore : objects).get(frame).add(g);
        }
        final SortedMap<Integer, FrameTruth> frames = new TreeMap<>();
        for (final int f : objects.keySet()) {
            frames.put(f, new FrameTruth(objects.get(f), ignore.get(f)));
        }
        return new ClipTruth(width, height, List.copyOf(modelLabels), frames);
    }

    private static int frameIndex(final Path file, final JsonNode image) throws IOException {
        if (image.has("frame_index")) {
            return image.get("frame_index").asInt();
        }
        final String name = image.path("file_name").asText();
        final int hash = name.lastIndexOf('#');
        if (hash >= 0) {
            try {
                return Integer.parseInt(name.substring(hash + 1));
            } catch (final NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IOException(file + ": image " + image.path("id").asText() + " has no frame_index and its file_name '"
            + name + "' does not end in #<frame>: a clip's truth must say which frame each image is");
    }
}
