package io.mobileformer.streams.model;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the plugin needs to know about an ONNX model before running it, read from the file itself (DESIGN.md section 3):
 * the output format, labels, input size, resize mode, normalization, and the identity recorded in every output record.
 *
 * <p>{@link #load} refuses a model that does not follow the contract and says everything that is wrong at once, so
 * bringing your own model takes one round trip, not five.
 */
public record ModelContract(
    Path path,
    String sha256,
    ModelFormat format,
    List<String> labels,
    int inputWidth,
    int inputHeight,
    ResizeMode resize,
    float[] mean,
    float[] std,
    int stride,
    String name,
    String variant,
    String version,
    Map<String, String> metadata) {

    public static final String INPUT = "images";
    static final Set<String> REQUIRED = Set.of("mf.format", "mf.labels", "mf.input", "mf.resize", "mf.mean", "mf.std",
        "mf.variant", "mf.version");

    /** Reads and validates {@code file}. */
    public static ModelContract load(final Path file) throws IOException {
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (final IOException e) {
            throw new IOException("cannot read model " + file + ": " + e.getMessage(), e);
        }
        final OnnxMl.ModelProto proto;
        try {
            proto = OnnxMl.ModelProto.parseFrom(bytes);
        } catch (final IOException e) {
            throw new InvalidModelException(file, List.of("not an ONNX model (" + e.getMessage() + ")"));
        }
        return of(file, proto, sha256(bytes));
    }

    /** Validates an already parsed model; {@code sha256} is the hex digest of the file's bytes. */
    public static ModelContract of(final Path file, final OnnxMl.ModelProto proto, final String sha256)
        throws InvalidModelException {
        final List<String> problems = new ArrayList<>();
        final Map<String, String> meta = new LinkedHashMap<>();
        for (final OnnxMl.StringStringEntryProto e : proto.getMetadataPropsList()) {
            meta.put(e.getKey(), e.getValue());
        }
        final List<String> missing = REQUIRED.stream().filter(k -> !meta.containsKey(k)).sorted().toList();
        if (!missing.isEmpty()) {
            problems.add("missing metadata_props " + String.join(", ", missing));
        }
        ModelFormat format = null;
        if (meta.containsKey("mf.format")) {
            try {
                format = ModelFormat.parse(meta.get("mf.format"));
            } catch (final IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        List<String> labels = List.of();
        if (meta.containsKey("mf.labels")) {
            try {
                labels = List.of(new ObjectMapper().readValue(meta.get("mf.labels"), String[].class));
                if (labels.isEmpty()) {
                    problems.add("mf.labels is empty");
                }
            } catch (final IOException e) {
                problems.add("mf.labels is not a JSON array of strings: " + meta.get("mf.labels"));
            }
        }
        int w = 0;
        int h = 0;
        if (meta.containsKey("mf.input")) {
            final String[] wh = meta.get("mf.input").toLowerCase().split("x");
            try {
                w = Integer.parseInt(wh[0].trim());
                h = Integer.parseInt(wh[1].trim());
            } catch (final RuntimeException e) {
                problems.add("mf.input must be WIDTHxHEIGHT, e.g. 320x320, not '" + meta.get("mf.input") + "'");
            }
        }
        ResizeMode resize = null;
        if (meta.containsKey("mf.resize")) {
            try {
                resize = ResizeMode.parse(meta.get("mf.resize"));
            } catch (final IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        final float[] mean = triple(meta, "mf.mean", problems);
        final float[] std = triple(meta, "mf.std", problems);
        for (final float s : std) {
            if (s <= 0) {
                problems.add("mf.std values must be positive");
                break;
            }
        }
        int stride = 0;
        if (format == ModelFormat.CENTERNET) {
            try {
                stride = Integer.parseInt(meta.getOrDefault("mf.stride", "").trim());
            } catch (final NumberFormatException e) {
                problems.add("mf.stride (output stride of a centernet model) is missing or not an integer");
            }
        }
        checkGraph(proto.getGraph(), format, w, h, labels.size(), problems);
        if (!problems.isEmpty()) {
            throw new InvalidModelException(file, problems);
        }
        final String fileName = file.getFileName().toString();
        return new ModelContract(file, sha256, format, labels, w, h, resize, mean, std, stride,
            meta.getOrDefault("mf.name", fileName.replaceFirst("\\.onnx$", "")), meta.get("mf.variant"),
            meta.get("mf.version"), Map.copyOf(meta));
    }

    private static void checkGraph(final OnnxMl.GraphProto g, final ModelFormat format, final int w, final int h,
                                   final int classes, final List<String> problems) {
        final Set<String> inits = g.getInitializerList().stream().map(OnnxMl.TensorProto::getName)
            .collect(Collectors.toSet());
        final List<OnnxMl.ValueInfoProto> inputs = g.getInputList().stream()
            .filter(i -> !inits.contains(i.getName())).toList();
        if (inputs.size() != 1 || !inputs.get(0).getName().equals(INPUT)) {
            problems.add("the graph must have exactly one input named 'images', found "
                + inputs.stream().map(OnnxMl.ValueInfoProto::getName).toList());
        } else {
            final OnnxMl.ValueInfoProto in = inputs.get(0);
            if (in.getType().getTensorType().getElemType() != OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
                problems.add("input 'images' must be float32");
            }
            final List<OnnxMl.TensorShapeProto.Dimension> dims = in.getType().getTensorType().getShape().getDimList();
            if (dims.size() != 4 || dim(dims.get(1)) != 3) {
                problems.add("input 'images' must be [N,3,H,W], found " + describe(dims));
            } else if (w > 0 && (dim(dims.get(2)) != h || dim(dims.get(3)) != w)) {
                problems.add("input 'images' is " + describe(dims) + " but mf.input says " + w + "x" + h);
            }
        }
        if (format != null) {
            final List<String> outs = g.getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
            final List<String> absent = format.outputs().stream().filter(o -> !outs.contains(o)).toList();
            if (!absent.isEmpty()) {
                problems.add("format " + format.id() + " needs outputs " + format.outputs() + "; missing " + absent
                    + " (the graph has " + outs + ")");
            }
            for (final OnnxMl.ValueInfoProto o : g.getOutputList()) {
                final List<OnnxMl.TensorShapeProto.Dimension> d = o.getType().getTensorType().getShape().getDimList();
                if (format == ModelFormat.CENTERNET && o.getName().equals("heatmap") && d.size() == 4
                    && dim(d.get(1)) > 0 && classes > 0 && dim(d.get(1)) != classes) {
                    problems.add("heatmap has " + dim(d.get(1)) + " classes but mf.labels has " + classes);
                }
                if (format == ModelFormat.DETR && o.getName().equals("logits") && d.size() == 3 && dim(d.get(2)) > 0
                    && classes > 0 && dim(d.get(2)) != classes + 1) {
                    problems.add("logits has " + dim(d.get(2)) + " classes; mf.labels has " + classes
                        + " (+1 for no-object)");
                }
            }
        }
    }

    private static long dim(final OnnxMl.TensorShapeProto.Dimension d) {
        return d.hasDimValue() ? d.getDimValue() : -1;
    }

    private static String describe(final List<OnnxMl.TensorShapeProto.Dimension> dims) {
        return dims.stream().map(d -> d.hasDimValue() ? Long.toString(d.getDimValue()) : d.getDimParam())
            .collect(Collectors.joining(",", "[", "]"));
    }

    private static float[] triple(final Map<String, String> meta, final String key, final List<String> problems) {
        if (!meta.containsKey(key)) {
            return new float[] {0, 0, 0};
        }
        final String[] parts = meta.get(key).replace("[", "").replace("]", "").split(",");
        if (parts.length != 3) {
            problems.add(key + " must be three comma-separated numbers (R,G,B), not '" + meta.get(key) + "'");
            return new float[] {0, 0, 1};
        }
        final float[] v = new float[3];
        try {
            for (int i = 0; i < 3; i++) {
                v[i] = Float.parseFloat(parts[i].trim());
            }
        } catch (final NumberFormatException e) {
            problems.add(key + " must be numbers, not '" + meta.get(key) + "'");
        }
        return v;
    }

    public static String sha256(final byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Thrown when a file is not a model this plugin can run; the message lists every problem found. */
    public static final class InvalidModelException extends IOException {
        private final List<String> problems;

        public InvalidModelException(final Path file, final List<String> problems) {
            super("model " + file + " does not follow the mobileformer-streams model contract (README: 'Bring your "
                + "own model'):\n  - " + String.join("\n  - ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    @Override
    public String toString() {
        return "ModelContract[" + name + " " + variant + " v" + version + " " + format.id() + " " + inputWidth + "x"
            + inputHeight + " " + resize.id() + " labels=" + labels + "]";
    }
}
