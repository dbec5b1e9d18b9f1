package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/**
 * Size of a model as {@code mfs model info} reports it: float parameters stored in the file, multiply-adds per image
 * as the Java engine plans them (convolutions and products at the model's input size), and the operator types the
 * file uses.
 */
public record ModelStats(long params, long madds, List<String> ops) {

    public static ModelStats of(final Path model) throws IOException, EngineException {
        final OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model));
        long params = 0;
        for (final OnnxMl.TensorProto t : proto.getGraph().getInitializerList()) {
            if (t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
                long n = 1;
                for (final long d : t.getDimsList()) {
                    n *= d;
                }
                params += n;
            }
        }
        final TreeSet<String> ops = new TreeSet<>();
        proto.getGraph().getNodeList().forEach(n -> ops.add(n.getOpType()));
        try (JavaEngine engine = JavaEngine.load(proto, JavaEngine.Options.threads(1))) {
            return new ModelStats(params, engine.maddsPerImage(), List.copyOf(ops));
        }
    }
}
