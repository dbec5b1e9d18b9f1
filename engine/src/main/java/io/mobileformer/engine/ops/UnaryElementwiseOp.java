package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.kernel.Elementwise;
import io.mobileformer.engine.kernel.UnaryOp;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;
import io.mobileformer.engine.plan.Tasks;

/**
 * {@code Relu}, {@code Clip}, {@code HardSigmoid}, {@code HardSwish}, {@code Sigmoid}, {@code Exp}, {@code Erf}: one
 * value in, one out, so the storage order does not matter and the output keeps the input's.
 */
public final class UnaryElementwiseOp implements Op.OrderPreserving {
    static final UnaryElementwiseOp INSTANCE = new UnaryElementwiseOp();

    private UnaryElementwiseOp() {
    }

    static boolean handles(final String opType) {
        return switch (opType) {
            case "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Exp", "Erf", "Tanh", "LeakyRelu", "Neg",
                 "Abs", "Sqrt", "Log", "Reciprocal", "Floor", "Ceil", "Not", "Softplus", "Elu", "Cast", "Round", "Sign",
                 "Sin", "Cos", "Selu",
                 "ThresholdedRelu", "Softsign", "Celu", "Shrink", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
                 "Asinh", "Acosh", "Atanh", "IsNaN", "IsInf" -> true;
            default -> false;
        };
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        if (node.opType().equals("Clip")) {
            for (int i = 1; i < in.length; i++) {
                if (in[i] != null && !in[i].isConstant()) {
                    throw GraphException.unsupported(node, "Clip bounds must be constants");
                }
            }
        }
        if (node.opType().equals("Cast")) {
            castFunction(node);
        }
        return new int[][] {in[0].shape};
    }

    /** ONNX element type codes Cast may produce: float32, int32, int64 and bool; the engine carries all as float. */
    private static UnaryOp castFunction(final Node node) {
        final long to = node.attrs().getInt("to", 0);
        if (to == ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
            return UnaryOp.IDENTITY;
        }
        if (to == ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE
            || to == ai.onnx.proto.OnnxMl.TensorProto.DataType.INT32_VALUE) {
            return UnaryOp.TRUNC;
        }
        if (to == ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE) {
            return UnaryOp.NONZERO;
        }
        throw GraphException.unsupported(node, "Cast to " + ai.onnx.proto.OnnxMl.TensorProto.DataType.forNumber(
            (int) to) + " is not supported (float32, int32, int64, bool)");
    }

    /** The kernel function and its two parameters for this node. */
    static UnaryOp function(final Node node, final PlanValue[] in, final float[] params) {
        switch (node.opType()) {
            case "Relu":
                return UnaryOp.RELU;
            case "Clip":
                params[0] = in.length > 1 && in[1] != null ? in[1].constant.scalar() : Float.NEGATIVE_INFINITY;
                params[1] = in.length > 2 && in[2] != null ? in[2].constant.scalar() : Float.POSITIVE_INFINITY;
                return UnaryOp.CLIP;
            case "HardSigmoid":
                params[0] = node.attrs().getFloat("alpha", 0.2f);
                params[1] = node.attrs().getFloat("beta", 0.5f);
                return UnaryOp.HARD_SIGMOID;
            case "HardSwish":
                params[0] = 1f / 6f;
                params[1] = 0.5f;
                return UnaryOp.HARD_SWISH;
            case "Sigmoid":
                return UnaryOp.SIGMOID;
            case "Exp":
                return UnaryOp.EXP;
            case "Erf":
                return UnaryOp.ERF;
            case "Tanh":
                return UnaryOp.TANH;
            case "LeakyRelu":
                params[0] = node.attrs().getFloat("alpha", 0.01f);
                return UnaryOp.LEAKY_RELU;
            case "Elu":
                params[0] = node.attrs().getFloat("alpha", 1f);
                return UnaryOp.ELU;
            case "Neg":
                return UnaryOp.NEG;
            case "Abs":
                return UnaryOp.ABS;
            case "Sqrt":
                return UnaryOp.SQRT;
            case "Log":
                return UnaryOp.LOG;
            case "Reciprocal":
                return UnaryOp.RECIPROCAL;
            case "Floor":
                return UnaryOp.FLOOR;
            case "Ceil":
                return UnaryOp.CEIL;
            case "Not":
                return UnaryOp.NOT;
            case "Softplus":
                return UnaryOp.SOFTPLUS;
            case "Cast":
                return castFunction(node);
            case "Round":
                return UnaryOp.ROUND;
            case "Sign":
                return UnaryOp.SIGN;
            case "Sin":
                return UnaryOp.SIN;
            case "Cos":
                return UnaryOp.COS;
            case "Selu":
                params[0] = node.attrs().getFloat("alpha", 1.67326319217681884765625f);
                params[1] = node.attrs().getFloat("gamma", 1.05070102214813232421875f);
                return UnaryOp.SELU;
            case "ThresholdedRelu":
                params[0] = node.attrs().getFloat("alpha", 1f);
                return UnaryOp.THRESHOLDED_RELU;
            case "Softsign":
                return UnaryOp.SOFTSIGN;
            case "Celu":
                params[0] = node.attrs().getFloat("alpha", 1f);
                return UnaryOp.CELU;
            case "Tan":
                return UnaryOp.TAN;
            case "Asin":
                return UnaryOp.ASIN;
            case "Acos":
                return UnaryOp.ACOS;
            case "Atan":
                return UnaryOp.ATAN;
            case "Sinh":
                return UnaryOp.SINH;
            case "Cosh":
                return UnaryOp.COSH;
            case "Asinh":
                return UnaryOp.ASINH;
            case "Acosh":
                return UnaryOp.ACOSH;
            case "Atanh":
                return UnaryOp.ATANH;
            case "IsNaN":
                return UnaryOp.IS_NAN;
            case "IsInf":
                params[0] = node.attrs().getInt("detect_negative", 1);
                params[1] = node.attrs().getInt("detect_positive", 1);
                return UnaryOp.IS_INF;
            case "Shrink":
                params[0] = node.attrs().getFloat("lambd", 0.5f);
                params[1] = node.attrs().getFloat("bias", 0f);
                return UnaryOp.SHRINK;
            default:
                throw GraphException.unsupported(node, "not an element-wise function");
        }
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final float[] params = new float[2];
        final UnaryOp f = function(node, b.values(), params);
        final Operand x = b.in(0);
        final Operand y = b.out(0);
        final boolean vector = b.vector();
        final int n = y.size();
        final float p = params[0];
        final float q = params[1];
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            final int tasks = Tasks.count(par, n / 64, n);
            par.run(tasks, (t, w) -> {
                final int from = Tasks.start(n, t, tasks);
                final int to = Tasks.start(n, t + 1, tasks);
                Elementwise.unary(vector, f, p, q, xa, x.offset() + from, arena, y.offset() + from, to - from);
            });
        };
    }
}
