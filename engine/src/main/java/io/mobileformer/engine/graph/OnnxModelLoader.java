package io.mobileformer.engine.graph;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a parsed {@link OnnxMl.ModelProto} into a {@link Graph}: initializers and {@code Constant} nodes become
 * {@link Constant}s, every other node must be an operator of {@link Ops}. Anything else is refused here, with the node
 * name and op type, so an unsupported model fails at load and never mid-stream.
 */
public final class OnnxModelLoader {
    /**
     * We implement the opset 13-17 semantics. An older model is accepted when every operator it uses has meant the
     * same since that model's opset: {@link #SAME_SINCE} gives, for operators whose meaning changed before 13, the
     * first opset with today's meaning (Softmax, Split and Squeeze changed at 13; Clip's bounds became inputs at 11,
     * Slice's at 10; binary operators broadcast since 7, Max and Min since 8). Any other operator means the same
     * since {@code SINCE_DEFAULT} as far as the engine implements it (opset 6 dropped the {@code consumed_inputs}
     * attribute from most of them); a few are unchanged since opset 1. Conv and MaxPool only gained attributes
     * (auto_pad splits, dilations, ceil_mode, the Indices output) whose absence means what it means today, and
     * AveragePool likewise since count_include_pad (7).
     */
    static final int MIN_OPSET = 1;
    private static final int SINCE_DEFAULT = 6;
    static final int MAX_OPSET = 17;
    private static final Map<String, Integer> SAME_SINCE = Map.ofEntries(
        Map.entry("Softmax", 13), Map.entry("LogSoftmax", 13), Map.entry("Hardmax", 13), Map.entry("PRelu", 9),
        Map.entry("Mod", 10), Map.entry("DepthToSpace", 11), Map.entry("Tile", 6), Map.entry("Range", 11),
        Map.entry("CumSum", 11), Map.entry("Trilu", 14), Map.entry("Celu", 12), Map.entry("ScatterElements", 11),
        Map.entry("ScatterND", 11), Map.entry("GridSample", 16), Map.entry("RoiAlign", 16), Map.entry("OneHot", 11),
        Map.entry("IsNaN", 9), Map.entry("IsInf", 10), Map.entry("Sinh", 9), Map.entry("Cosh", 9),
        Map.entry("Asinh", 9), Map.entry("Acosh", 9), Map.entry("Atanh", 9), Map.entry("Tan", 7), Map.entry("Asin", 7),
        Map.entry("Acos", 7), Map.entry("Atan", 7), Map.entry("Shrink", 9), Map.entry("Split", 13),
        Map.entry("Squeeze", 13), Map.entry("Unsqueeze", 13), Map.entry("Resize", 13), Map.entry("ReduceMean", 11),
        Map.entry("ReduceSum", 13), Map.entry("ReduceMax", 11), Map.entry("Clip", 11), Map.entry("Slice", 10),
        Map.entry("Pad", 11), Map.entry("Gather", 11), Map.entry("Concat", 11), Map.entry("Flatten", 11),
        Map.entry("Gemm", 11), Map.entry("BatchNormalization", 9), Map.entry("MaxPool", 1),
        Map.entry("AveragePool", 7), Map.entry("Upsample", 9), Map.entry("Reshape", 5), Map.entry("Add", 7),
        Map.entry("Sub", 7), Map.entry("Mul", 7), Map.entry("Div", 7), Map.entry("Pow", 7), Map.entry("Equal", 7),
        Map.entry("Less", 7), Map.entry("Greater", 7), Map.entry("And", 7), Map.entry("Or", 7), Map.entry("Xor", 7),
        Map.entry("Max", 8), Map.entry("Min", 8), Map.entry("Where", 9), Map.entry("Conv", 1), Map.entry("Cast", 13),
        Map.entry("Expand", 8), Map.entry("Shape", 13), Map.entry("Elu", 6), Map.entry("LeakyRelu", 6),
        Map.entry("Transpose", 1), Map.entry("ConvTranspose", 11), Map.entry("GlobalAveragePool", 1),
        Map.entry("GlobalMaxPool", 1), Map.entry("Not", 1), Map.entry("Softsign", 1), Map.entry("Softplus", 1),
        Map.entry("Dropout", 12), Map.entry("TopK", 11), Map.entry("Size", 13));

    /** Element types a graph input may have; integer and bool inputs are bound as constants per call. */
    private static final java.util.Set<Integer> ELEMENT_TYPES = java.util.Set.of(
        OnnxMl.TensorProto.DataType.FLOAT_VALUE, OnnxMl.TensorProto.DataType.INT64_VALUE,
        OnnxMl.TensorProto.DataType.INT32_VALUE, OnnxMl.TensorProto.DataType.BOOL_VALUE);

    private OnnxModelLoader() {
    }

    /**
     * @param supported the operator types the caller can run ({@code Ops.supported()} in the engine); any other is
     *                  refused here, naming the node
     */
    public static Graph load(final OnnxMl.ModelProto model, final List<String> supported) {
        int opset = -1;
        for (final OnnxMl.OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
                opset = (int) id.getVersion();
            }
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw GraphException.unsupported(new Node("model", "opset", List.of(), List.of("-"), Attributes.NONE),
                "default-domain opset " + opset + " is outside " + MIN_OPSET + ".." + MAX_OPSET + " (export with "
                    + "opset_version=17)");
        }
        final OnnxMl.GraphProto g = model.getGraph();
        final Map<String, Constant> constants = new LinkedHashMap<>();
        for (final OnnxMl.TensorProto t : g.getInitializerList()) {
            constants.put(t.getName(), tensor(t));
        }
        final List<Graph.Input> inputs = new ArrayList<>();
        for (final OnnxMl.ValueInfoProto in : g.getInputList()) {
            if (constants.containsKey(in.getName())) {
                continue;       // an initializer listed as an input (old exporters): a constant
            }
            final Node at = new Node(in.getName(), "input", List.of(), List.of(in.getName()), Attributes.NONE);
            final int type = in.getType().getTensorType().getElemType();
            if (!ELEMENT_TYPES.contains(type)) {
                throw GraphException.unsupported(at, "element type " + OnnxMl.TensorProto.DataType.forNumber(type)
                    + " is not supported (float32, int64, int32, bool)");
            }
            if (!in.getType().getTensorType().hasShape()) {
                throw GraphException.unsupported(at, "the input declares no shape (give it a rank)");
            }
            final List<OnnxMl.TensorShapeProto.Dimension> dims = in.getType().getTensorType().getShape().getDimList();
            final int[] shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).hasDimValue() ? Math.toIntExact(dims.get(i).getDimValue()) : -1;
            }
            inputs.add(new Graph.Input(in.getName(), type, shape));
        }
        final List<Node> nodes = new ArrayList<>();
        final Map<String, List<Node>> missing = new java.util.TreeMap<>();
        int unnamed = 0;
        for (final OnnxMl.NodeProto p : g.getNodeList()) {
            final String name = p.getName().isEmpty() ? p.getOpType() + "_" + unnamed++ : p.getName();
            final List<String> outs = new ArrayList<>(p.getOutputList());
            while (outs.size() > 1 && outs.get(outs.size() - 1).isEmpty()) {
                outs.remove(outs.size() - 1);      // optional outputs nobody asked for
            }
            final Node node = new Node(name, p.getOpType(), p.getInputList(), outs, attributes(p));
            if (!p.getDomain().isEmpty() && !p.getDomain().equals("ai.onnx")) {
                throw GraphException.unsupported(node, "domain '" + p.getDomain() + "' is not supported");
            }
            if (p.getOpType().equals("Constant")) {
                constants.put(p.getOutput(0), constantNode(node, p));
                continue;
            }
            final int since = SAME_SINCE.getOrDefault(p.getOpType(), SINCE_DEFAULT);
            if (opset < since) {
                throw GraphException.unsupported(node, p.getOpType() + " at opset " + opset + " means something else "
                    + "than from opset " + since + ", which the engine implements");
            }
            if (!supported.contains(p.getOpType())) {
                missing.computeIfAbsent(p.getOpType(), k -> new ArrayList<>()).add(node);
                continue;
            }
            nodes.add(node);
        }
        if (!missing.isEmpty()) {
            // every missing operator at once, so that engine=auto can say in one line why it skips the model
            final Node first = missing.values().iterator().next().get(0);
            throw GraphException.unsupported(first, "operator" + (missing.size() > 1 ? "s " : " ")
                + String.join(", ", missing.keySet()) + (missing.size() > 1 ? " are" : " is") + " not implemented "
                + "by the Java engine (" + missing.values().stream().mapToInt(List::size).sum() + " nodes; supported: "
                + String.join(", ", supported) + ")");
        }
        final List<String> outputs = g.getOutputList().stream().map(OnnxMl.ValueInfoProto::getName).toList();
        final Map<String, Integer> outputTypes = new HashMap<>();
        for (final OnnxMl.ValueInfoProto o : g.getOutputList()) {
            if (o.getType().getTensorType().getElemType() != 0) {
                outputTypes.put(o.getName(), o.getType().getTensorType().getElemType());
            }
        }
        return new Graph(inputs, outputs, outputTypes, nodes, constants);
    }

    private static Constant constantNode(final Node node, final OnnxMl.NodeProto p) {
        for (final OnnxMl.AttributeProto a : p.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return tensor(a.getT());
                case "value_float":
                    return Constant.ofFloats(new float[] {a.getF()});
                case "value_floats":
                    return Constant.ofFloats(toFloats(a.getFloatsList()), a.getFloatsCount());
                case "value_int":
                    return Constant.ofLongs(new long[] {a.getI()});
                case "value_ints":
                    return Constant.ofLongs(toLongs(a.getIntsList()), a.getIntsCount());
                default:
                    break;
            }
        }
        throw GraphException.unsupported(node, "Constant without a numeric value attribute");
    }

    /** One tensor (initializer, Constant value, or a test's .pb file) as a {@link Constant}. */
    public static Constant tensor(final OnnxMl.TensorProto t) {
        if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            throw GraphException.unsupported(new Node(t.getName(), "initializer", List.of(), List.of(t.getName()),
                Attributes.NONE), "external tensor data is not supported (save the model as one file)");
        }
        final int[] shape = new int[t.getDimsCount()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = Math.toIntExact(t.getDims(i));
        }
        final ByteString raw = t.getRawData();
        final ByteBuffer buf = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (t.getDataType()) {
            case OnnxMl.TensorProto.DataType.FLOAT_VALUE: {
                final float[] f;
                if (!raw.isEmpty()) {
                    f = new float[raw.size() / 4];
                    buf.asFloatBuffer().get(f);
                } else {
                    f = toFloats(t.getFloatDataList());
                }
                return Constant.ofFloats(f, shape);
            }
            case OnnxMl.TensorProto.DataType.INT64_VALUE: {
                final long[] l;
                if (!raw.isEmpty()) {
                    l = new long[raw.size() / 8];
                    buf.asLongBuffer().get(l);
                } else {
                    l = toLongs(t.getInt64DataList());
                }
                return Constant.ofLongs(l, shape);
            }
            case OnnxMl.TensorProto.DataType.BOOL_VALUE: {
                final long[] l;
                if (!raw.isEmpty()) {
                    l = new long[raw.size()];
                    for (int i = 0; i < l.length; i++) {
                        l[i] = buf.get(i) != 0 ? 1 : 0;
                    }
                } else {
                    l = t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
                }
                return Constant.ofLongs(l, shape);
            }
            case OnnxMl.TensorProto.DataType.INT32_VALUE: {
                final long[] l;
                if (!raw.isEmpty()) {
                    l = new long[raw.size() / 4];
                    for (int i = 0; i < l.length; i++) {
                        l[i] = buf.getInt(i * 4);
                    }
                } else {
                    l = t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
                }
                return Constant.ofLongs(l, shape);
            }
            default:
                throw GraphException.unsupported(new Node(t.getName(), "initializer", List.of(),
                    List.of(t.getName()), Attributes.NONE), "element type "
                    + OnnxMl.TensorProto.DataType.forNumber(t.getDataType()) + " is not supported (float32, int64)");
        }
    }

    private static Attributes attributes(final OnnxMl.NodeProto p) {
        final Map<String, Object> m = new HashMap<>();
        for (final OnnxMl.AttributeProto a : p.getAttributeList()) {
            switch (a.getType()) {
                case INT -> m.put(a.getName(), a.getI());
                case FLOAT -> m.put(a.getName(), a.getF());
                case STRING -> m.put(a.getName(), a.getS().toStringUtf8());
                case INTS -> m.put(a.getName(), toLongs(a.getIntsList()));
                case FLOATS -> m.put(a.getName(), toFloats(a.getFloatsList()));
                case TENSOR -> {
                    // a one-value tensor (ConstantOfShape's value) as its float and its element type; Constant's
                    // value is read from the proto where Constant nodes are turned into constants
                    try {
                        final Constant c = tensor(a.getT());
                        if (c.size() == 1) {
                            m.put(a.getName(), c.asFloats()[0]);
                            m.put(a.getName() + "_type", (long) a.getT().getDataType());
                        }
                    } catch (final GraphException e) {
                        // an element type we do not read: the operator using it refuses the node
                    }
                }
                default -> {
                    // graph attributes are not supported; operators that need one refuse the node
                }
            }
        }
        return new Attributes(m);
    }

    private static float[] toFloats(final List<Float> list) {
        final float[] f = new float[list.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = list.get(i);
        }
        return f;
    }

    private static long[] toLongs(final List<Long> list) {
        final long[] l = new long[list.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = list.get(i);
        }
        return l;
    }
}
