package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.plan.Op;

import java.util.List;
import java.util.TreeSet;

/**
 * The operators this engine implements: the ONNX ones a model may contain and the fused ones
 * {@link io.mobileformer.engine.optimize.GraphOptimizer} creates. A model with anything else is refused at load, naming
 * the node.
 */
public final class Ops {
    /**
     * ONNX operator types accepted in a model file (default domain, opset 13-17 semantics; older opsets where the
     * meaning is the same, see {@code OnnxModelLoader}). engine/README.md's table is checked against this list.
     */
    static final List<String> ONNX = List.copyOf(new TreeSet<>(List.of(
        "Add", "Sub", "Mul", "Div", "Max", "Min",
        "Sum", "Mean", "Pow", "PRelu", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or",
        "Xor",
        "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Exp", "Erf",
        "Tanh", "LeakyRelu", "Elu", "Neg", "Abs", "Sqrt", "Log", "Reciprocal", "Floor", "Ceil", "Not", "Softplus",
        "Conv", "ConvTranspose", "BatchNormalization", "MatMul", "Gemm",
        "Softmax", "LogSoftmax", "Hardmax", "LayerNormalization", "InstanceNormalization", "ReduceMean", "ReduceSum",
        "ReduceMax", "ReduceMin", "ReduceProd",
        "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin",
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Transpose",
        "Gather", "GatherElements", "ScatterElements", "ScatterND", "GridSample", "RoiAlign", "Slice", "Split",
        "Resize",
        "Shape", "Size", "ConstantOfShape", "Expand", "Cast", "Dropout",
        "Round", "Sign", "Sin", "Cos", "Selu", "ThresholdedRelu", "Softsign", "Celu", "Shrink", "Upsample",
        "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "IsNaN", "IsInf",
        "Concat", "TopK", "Tile", "DepthToSpace", "SpaceToDepth", "Trilu", "CumSum", "Range", "OneHot", "MaxPool",
        "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool", "Pad", "Where")));

    private Ops() {
    }

    /**
     * Whether input {@code i} of an operator of this type is read when the step is planned (weights, scales, shapes,
     * axes, indices, bounds) rather than computed with at run time: such an input must be a constant, so a graph
     * input feeding it is bound per value ({@code JavaEngine.run(Map)}).
     */
    public static boolean readAtPlanTime(final String opType, final int i) {
        return switch (opType) {
            case "Conv", "ConvTranspose", "LayerNormalization", "InstanceNormalization" -> i == 1 || i == 2;
            case "BatchNormalization" -> i >= 1;
            case "Resize", "Slice", "Pad", "Upsample" -> i >= 1;
            case "Reshape", "Gather", "GatherElements", "ScatterElements", "ScatterND", "TopK", "Expand", "Split",
                 "Squeeze", "Unsqueeze", "Tile",
                 "Trilu", "CumSum" -> i == 1;
            case "Range" -> true;
            case "OneHot" -> i >= 1;
            case "ConstantOfShape" -> i == 0;
            default -> opType.startsWith("Reduce") && i == 1;
        };
    }

    public static boolean isSupported(final String opType) {
        return ONNX.contains(opType);
    }

    public static List<String> supported() {
        return ONNX;
    }

    public static Op get(final Node node) {
        final String t = node.opType();
        if (BinaryElementwiseOp.handles(t)) {
            return BinaryElementwiseOp.INSTANCE;
        }
        if (UnaryElementwiseOp.handles(t)) {
            return UnaryElementwiseOp.INSTANCE;
        }
        return switch (t) {
            case "Conv", ConvOp.FUSED -> ConvOp.INSTANCE;
            case "MatMul", MatMulOp.FUSED -> MatMulOp.INSTANCE;
            case "BatchNormalization", ChannelAffineOp.DYRELU -> ChannelAffineOp.INSTANCE;
            case "Softmax", "LogSoftmax", "Hardmax" -> SoftmaxOp.INSTANCE;
            case "LayerNormalization" -> LayerNormOp.INSTANCE;
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                 "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin" -> ReduceOp.INSTANCE;
            case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity" -> ReshapeOp.INSTANCE;
            case "Transpose" -> TransposeOp.INSTANCE;
            case "Gather", "GatherElements" -> GatherOp.INSTANCE;
            case "Slice", "Split" -> SliceOps.INSTANCE;
            case "Resize" -> ResizeOp.INSTANCE;
            case "Concat" -> ConcatOp.INSTANCE;
            case "TopK" -> TopKOp.INSTANCE;
            case "InstanceNormalization" -> InstanceNormOp.INSTANCE;
            case "ScatterElements", "ScatterND" -> ScatterOp.INSTANCE;
            case "GridSample" -> GridSampleOp.INSTANCE;
            case "RoiAlign" -> RoiAlignOp.INSTANCE;
            case "Tile", "DepthToSpace", "SpaceToDepth", "Trilu", "CumSum", "Range", "OneHot" -> IndexOps.INSTANCE;
            case "ConvTranspose" -> ConvTransposeOp.INSTANCE;
            case GeneralConvOp.TYPE -> GeneralConvOp.INSTANCE;
            case "Shape", "Size", "ConstantOfShape", "Expand" -> ShapeOps.INSTANCE;
            case "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool" -> PoolOp.INSTANCE;
            case "Pad" -> PadOp.INSTANCE;
            case "Where" -> WhereOp.INSTANCE;
            case CopyOp.TYPE -> CopyOp.INSTANCE;
            case "Gemm" -> throw GraphException.invalid(node, "Gemm reached the planner without being lowered");
            default -> throw GraphException.unsupported(node, "operator " + t + " is not implemented");
        };
    }
}
