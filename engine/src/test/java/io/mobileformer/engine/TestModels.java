package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import io.mobileformer.engine.graph.Shapes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds small ONNX models with the {@code OnnxMl} builders, the way an exporter would: one float input
 * {@code images [N, ...]} (the name ONNX Runtime's engine feeds), initializers, nodes, named outputs.
 */
final class TestModels {
    private final List<OnnxMl.NodeProto> nodes = new ArrayList<>();
    private final List<OnnxMl.TensorProto> initializers = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final List<OnnxMl.ValueInfoProto> extraInputs = new ArrayList<>();
    private final int[] inputShape;
    private final Random random;
    private int counter;

    /** A graph whose input is {@code images [N, dims...]}. */
    TestModels(final long seed, final int... dims) {
        this.inputShape = dims.clone();
        this.random = new Random(seed);
    }

    static OnnxMl.AttributeProto attr(final String name, final long v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
            .setI(v).build();
    }

    static OnnxMl.AttributeProto attr(final String name, final float v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.FLOAT)
            .setF(v).build();
    }

    static OnnxMl.AttributeProto attr(final String name, final String v) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.STRING)
            .setS(ByteString.copyFromUtf8(v)).build();
    }

    static OnnxMl.AttributeProto ints(final String name, final long... v) {
        final OnnxMl.AttributeProto.Builder b = OnnxMl.AttributeProto.newBuilder().setName(name)
            .setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (final long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    /** Adds a node and returns its (first) output name. */
    String node(final String op, final List<String> in, final OnnxMl.AttributeProto... attrs) {
        return nodeN(op, in, 1, attrs).get(0);
    }

    List<String> nodeN(final String op, final List<String> in, final int outs, final OnnxMl.AttributeProto... attrs) {
        final String name = op.toLowerCase() + "_" + counter++;
        final List<String> o = new ArrayList<>();
        for (int i = 0; i < outs; i++) {
            o.add(name + "_out" + i);
        }
        nodes.add(OnnxMl.NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(in).addAllOutput(o)
            .addAllAttribute(List.of(attrs)).build());
        return o;
    }

    /** A float initializer of random normal values times {@code scale}. */
    String weights(final float scale, final int... shape) {
        final float[] v = new float[Shapes.size(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian() * scale;
        }
        return floats(v, shape);
    }

    String floats(final float[] v, final int... shape) {
        final String name = "w_" + counter++;
        final ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        initializers.add(tensor(name, OnnxMl.TensorProto.DataType.FLOAT_VALUE, shape).setRawData(
            ByteString.copyFrom(buf.array())).build());
        return name;
    }

    String longs(final long[] v, final int... shape) {
        final String name = "i_" + counter++;
        final OnnxMl.TensorProto.Builder t = tensor(name, OnnxMl.TensorProto.DataType.INT64_VALUE, shape);
        for (final long x : v) {
            t.addInt64Data(x);
        }
        initializers.add(t.build());
        return name;
    }

    private static OnnxMl.TensorProto.Builder tensor(final String name, final int type, final int... shape) {
        final OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(type);
        for (final int d : shape) {
            t.addDims(d);
        }
        return t;
    }

    /** Another graph input after {@code images}: ONNX element type code, dims with -1 for a dynamic axis. */
    TestModels input(final String name, final int type, final int... dims) {
        final OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (final int d : dims) {
            shape.addDim(d < 0 ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("d" + shape.getDimCount())
                : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        extraInputs.add(OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
            .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build());
        return this;
    }

    TestModels output(final String value) {
        outputs.add(value);
        return this;
    }

    OnnxMl.ModelProto build() {
        final OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        for (final int d : inputShape) {
            shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        final OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("test")
            .addInput(OnnxMl.ValueInfoProto.newBuilder().setName("images").setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)
                    .setShape(shape))))
            .addAllInput(extraInputs).addAllNode(nodes).addAllInitializer(initializers);
        for (final String o : outputs) {
            g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(o).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                    .setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE))));
        }
        return OnnxMl.ModelProto.newBuilder().setIrVersion(8).setProducerName("mfs-test")
            .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
            .setGraph(g).build();
    }

    /** Writes the model where ONNX Runtime can load it (surefire points java.io.tmpdir into target/). */
    static Path write(final OnnxMl.ModelProto model) {
        try {
            final Path p = Files.createTempFile("mfs-op-", ".onnx");
            Files.write(p, model.toByteArray());
            p.toFile().deleteOnExit();
            return p;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A random normal batch. */
    static Tensor input(final long seed, final int... shape) {
        final Tensor t = Tensor.zeros(shape);
        final Random r = new Random(seed);
        final float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return t;
    }
}
