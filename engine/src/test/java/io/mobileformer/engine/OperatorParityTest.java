package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every operator of our exports against ONNX Runtime CPU on random inputs, through models built in the test: plain
 * and fused convolutions of every geometry (odd sizes into stride 2 included), broadcasting products and element-wise
 * ops, normalizations and the shape operators, each with the vector and the scalar kernels.
 */
class OperatorParityTest {

    private static void assertParity(final OnnxMl.ModelProto model, final Tensor input) throws EngineException {
        final double diff = Parity.check(model, input);
        assertTrue(diff <= Parity.TOLERANCE, "max abs diff " + diff + " > " + Parity.TOLERANCE);
    }

    private static OnnxMl.AttributeProto[] convAttrs(final int k, final int stride, final int pad, final int group) {
        return new OnnxMl.AttributeProto[] {TestModels.ints("kernel_shape", k, k),
            TestModels.ints("strides", stride, stride), TestModels.ints("pads", pad, pad, pad, pad),
            TestModels.attr("group", (long) group)};
    }

    @ParameterizedTest(name = "Conv cin={0} cout={1} k={2} s={3} g={4} on {5}x{6}")
    @CsvSource({
        "24, 96, 1, 1, 1, 16, 16",     // pointwise expand
        "96, 24, 1, 1, 1, 9, 7",       // pointwise project, odd plane (edge tiles)
        "24, 12, 1, 1, 4, 8, 8",       // 26M's grouped pointwise
        "16, 16, 3, 1, 16, 13, 21",    // depthwise stride 1
        "16, 16, 3, 2, 16, 25, 42",    // depthwise stride 2: 25x42 -> 13x21
        "8, 24, 3, 2, 8, 25, 42",      // depth multiplier 3 (bneck-lite)
        "3, 8, 3, 2, 1, 25, 42",       // the stem
        "8, 12, 3, 1, 2, 11, 10",      // grouped 3x3
        "20, 20, 3, 1, 20, 5, 3"})     // depthwise on a plane narrower than a vector
    void conv(final int cin, final int cout, final int k, final int s, final int g, final int h, final int w)
        throws EngineException {
        final TestModels m = new TestModels(cin * 31L + cout, cin, h, w);
        final String y = m.node("Conv", List.of("images", m.weights(0.3f, cout, cin / g, k, k), m.weights(0.1f, cout)),
            convAttrs(k, s, k / 2, g));
        assertParity(m.output(y).build(), TestModels.input(1, 2, cin, h, w));
    }

    @ParameterizedTest(name = "Conv + {0}")
    @ValueSource(strings = {"Relu", "Clip", "Add", "AddRelu", "DyRelu", "DwDyRelu", "FullDyRelu"})
    void fusedConv(final String kind) throws EngineException {
        final int c = 12;
        final TestModels m = new TestModels(kind.hashCode(), c, 9, 11);
        final boolean dw = kind.equals("DwDyRelu");
        final String conv = dw
            ? m.node("Conv", List.of("images", m.weights(0.3f, c, 1, 3, 3), m.weights(0.1f, c)), convAttrs(3, 1, 1, c))
            : m.node("Conv", List.of("images", m.weights(0.3f, c, c, 1, 1), m.weights(0.1f, c)), convAttrs(1, 1, 0, 1));
        final String y = switch (kind) {
            case "Relu" -> m.node("Relu", List.of(conv));
            case "Clip" -> m.node("Clip", List.of(conv, m.floats(new float[] {0f}), m.floats(new float[] {0.5f})));
            case "Add" -> m.node("Add", List.of(conv, "images"));
            case "AddRelu" -> m.node("Relu", List.of(m.node("Add", List.of("images", conv))));
            case "FullDyRelu" -> {
                final String a1 = m.node("Sigmoid", List.of("images"));
                final String a2 = m.node("Sub", List.of(a1, m.floats(new float[] {0.5f})));
                yield m.node("Max", List.of(m.node("Mul", List.of(conv, a1)), m.node("Mul", List.of(a2, conv))));
            }
            default -> {
                // slopes per image and channel from a pooled input, as DY-ReLU derives them from a token
                final String pooled = m.node("ReduceMean", List.of("images"), TestModels.ints("axes", 2, 3));
                final String a1 = m.node("Mul", List.of(m.node("HardSigmoid", List.of(pooled),
                    TestModels.attr("alpha", 1f / 6f)), m.floats(new float[] {2f})));
                final String a2 = m.node("Sub", List.of(a1, m.floats(new float[] {1f})));
                yield m.node("Max", List.of(m.node("Mul", List.of(conv, a1)), m.node("Mul", List.of(conv, a2))));
            }
        };
        final OnnxMl.ModelProto model = m.output(y).build();
        assertParity(model, TestModels.input(2, 3, c, 9, 11));
        try (JavaEngine je = JavaEngine.load(model, JavaEngine.Options.threads(1))) {
            final String fused = je.stepLabels().get(je.stepLabels().size() - 1);
            assertTrue(fused.startsWith("Conv(") && fused.contains("+"), "the activation is fused: " + je.stepLabels());
        }
    }

    @Test
    void batchNormFoldedAndStandalone() throws EngineException {
        final int c = 6;
        final TestModels m = new TestModels(5, c, 7, 7);
        final String[] bn = {m.weights(0.2f, c), m.weights(0.2f, c), m.weights(0.2f, c),
            m.floats(new float[] {1f, 0.5f, 2f, 0.9f, 1.1f, 0.7f}, c)};
        final String conv = m.node("Conv", List.of("images", m.weights(0.3f, c, c, 1, 1)), convAttrs(1, 1, 0, 1));
        final String folded = m.node("BatchNormalization", List.of(conv, bn[0], bn[1], bn[2], bn[3]));
        final String alone = m.node("BatchNormalization", List.of("images", bn[0], bn[1], bn[2], bn[3]));
        assertParity(m.output(folded).output(alone).build(), TestModels.input(3, 2, c, 7, 7));
    }

    /** Mobile→Former (spec 1.1): queries of constant tokens against pixels, softmax over pixels, head merge. */
    @Test
    void mobileToFormerAttention() throws EngineException {
        final int c = 12;
        final int hw = 25 * 3;
        final TestModels m = new TestModels(6, c, 25, 3);
        final String x = m.node("Reshape", List.of("images", m.longs(new long[] {-1, 2, 6, hw}, 4)));
        final String q = m.weights(0.5f, 1, 2, 3, 6);                                  // [1, heads, M, c]
        final String s = m.node("MatMul", List.of(q, x));                              // [N, 2, 3, hw]
        final String p = m.node("Softmax", List.of(s), TestModels.attr("axis", -1L));
        final String xt = m.node("Transpose", List.of(x), TestModels.ints("perm", 0, 1, 3, 2));
        final String o = m.node("MatMul", List.of(p, xt));                             // [N, 2, 3, 6]
        final String merged = m.node("Reshape", List.of(m.node("Transpose", List.of(o),
            TestModels.ints("perm", 0, 2, 1, 3)), m.longs(new long[] {-1, 3, 12}, 3)));
        final String z = m.node("Add", List.of(m.weights(1f, 1, 3, 12), merged));   // tokens broadcast over N
        final String ln = m.node("LayerNormalization", List.of(z, m.weights(0.3f, 12), m.weights(0.1f, 12)),
            TestModels.attr("axis", -1L), TestModels.attr("epsilon", 1e-5f));
        assertParity(m.output(ln).output(s).build(), TestModels.input(4, 2, c, 25, 3));
    }

    /** Former→Mobile (spec 1.4): pixels attend to tokens, softmax over 3 tokens, result back to NCHW plus Y. */
    @Test
    void formerToMobileAttention() throws EngineException {
        final TestModels m = new TestModels(7, 12, 16, 9);
        final int hw = 16 * 9;
        final String x = m.node("Reshape", List.of("images", m.longs(new long[] {-1, 2, 6, hw}, 4)));
        final String xt = m.node("Transpose", List.of(x), TestModels.ints("perm", 0, 1, 3, 2));  // [N,2,hw,6]
        final String tokens = m.node("ReduceMean", List.of(m.node("Reshape", List.of("images",
            m.longs(new long[] {-1, 3, 4, hw}, 4)))), TestModels.ints("axes", 2L), TestModels.attr("keepdims", 0L));
        final String k = m.node("MatMul", List.of(m.node("Slice", List.of(tokens, m.longs(new long[] {0}, 1),
            m.longs(new long[] {32}, 1), m.longs(new long[] {2}, 1))), m.weights(0.2f, 32, 12)));   // [N,3,12]
        final String kh = m.node("Transpose", List.of(m.node("Reshape", List.of(k,
            m.longs(new long[] {0, 3, 2, 6}, 4)))), TestModels.ints("perm", 0, 2, 3, 1));          // [N,2,6,3]
        final String v = m.node("Transpose", List.of(m.node("Reshape", List.of(k,
            m.longs(new long[] {0, 3, 2, 6}, 4)))), TestModels.ints("perm", 0, 2, 1, 3));          // [N,2,3,6]
        final String p = m.node("Softmax", List.of(m.node("MatMul", List.of(xt, kh))), TestModels.attr("axis", -1L));
        final String o = m.node("MatMul", List.of(p, v));                                          // [N,2,hw,6]
        final String back = m.node("Reshape", List.of(m.node("Transpose", List.of(o), TestModels.ints("perm", 0, 1, 3,
            2)), m.longs(new long[] {-1, 12, 16, 9}, 4)));
        final String y = m.node("Add", List.of("images", back));
        assertParity(m.output(y).build(), TestModels.input(5, 2, 12, 16, 9));
    }

    @Test
    void tokenLinearsAndGelu() throws EngineException {
        final TestModels m = new TestModels(8, 3, 4, 8);
        final String z = m.node("Reshape", List.of("images", m.longs(new long[] {0, 3, 32}, 3)));
        final String q = m.node("Mul", List.of(m.node("Add", List.of(m.weights(0.1f, 48), m.node("MatMul",
            List.of(z, m.weights(0.2f, 32, 48))))), m.floats(new float[] {0.35f})));
        final String gelu = m.node("Mul", List.of(m.node("Mul", List.of(q, m.node("Add", List.of(m.node("Erf",
            List.of(m.node("Div", List.of(q, m.floats(new float[] {1.4142135f}))))), m.floats(new float[] {1f}))))),
            m.floats(new float[] {0.5f})));
        final String first = m.node("Gather", List.of(gelu, m.longs(new long[] {0})), TestModels.attr("axis", 1L));
        final String hyper = m.node("HardSigmoid", List.of(m.node("Gemm", List.of(m.node("Relu", List.of(m.node(
            "Gemm", List.of(first, m.weights(0.2f, 8, 48), m.weights(0.1f, 8)), TestModels.attr("transB", 1L)))),
            m.weights(0.3f, 16, 8), m.weights(0.1f, 16)), TestModels.attr("transB", 1L), TestModels.attr("alpha",
            0.9f), TestModels.attr("beta", 0.5f))), TestModels.attr("alpha", 1f / 6f));
        final List<String> halves = m.nodeN("Split", List.of(m.node("Reshape", List.of(hyper,
            m.longs(new long[] {-1, 16, 1, 1}, 4))), m.longs(new long[] {8, 8}, 2)), 2, TestModels.attr("axis", 1L));
        final String gemmTransA = m.node("Gemm", List.of(m.node("Transpose", List.of(first)),
            m.weights(0.2f, 5, 48)), TestModels.attr("transA", 1L), TestModels.attr("transB", 1L));
        assertParity(m.output(gelu).output(halves.get(0)).output(halves.get(1)).output(gemmTransA).build(),
            TestModels.input(6, 5, 3, 4, 8));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div", "Max", "Min"})
    void binaryBroadcasting(final String op) throws EngineException {
        final TestModels m = new TestModels(op.hashCode(), 4, 5, 6);
        final String pos = m.node("Add", List.of(m.node("Exp", List.of(m.weights(0.3f, 4, 1, 1))),
            m.floats(new float[] {0.5f})));                                       // keeps Div away from zero
        final String perChannel = m.node(op, List.of("images", pos));
        final String rowVector = m.node(op, List.of(m.weights(1f, 6), "images"));
        final String scalar = m.node(op, List.of("images", m.floats(new float[] {1.5f})));
        final String perImage = m.node(op, List.of("images", m.node("Sigmoid", List.of(m.node("ReduceMean",
            List.of("images"), TestModels.ints("axes", 2, 3))))));
        assertParity(m.output(perChannel).output(rowVector).output(scalar).output(perImage).build(),
            TestModels.input(7, 3, 4, 5, 6));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Exp", "Erf"})
    void unary(final String op) throws EngineException {
        final TestModels m = new TestModels(op.hashCode(), 3, 7, 11);
        final String y = switch (op) {
            case "Clip" -> m.node(op, List.of("images", m.floats(new float[] {-0.5f}), m.floats(new float[] {1f})));
            case "HardSigmoid" -> m.node(op, List.of("images"), TestModels.attr("alpha", 1f / 6f),
                TestModels.attr("beta", 0.5f));
            default -> m.node(op, List.of("images"));
        };
        final Tensor in = TestModels.input(8, 2, 3, 7, 11);
        for (int i = 0; i < in.size(); i++) {
            in.data()[i] *= 3f;      // reach the saturated ranges of the hard functions
        }
        assertParity(m.output(y).build(), in);
    }

    @Test
    void softmaxAxesReduceMeanAndLayerNorm() throws EngineException {
        final TestModels m = new TestModels(9, 2, 12, 60);
        final String last = m.node("Softmax", List.of("images"), TestModels.attr("axis", -1L));
        final String mean = m.node("ReduceMean", List.of("images"), TestModels.ints("axes", 1L),
            TestModels.attr("keepdims", 0L));
        final String axis1 = m.node("Softmax", List.of(mean), TestModels.attr("axis", 1L));
        final String ln = m.node("LayerNormalization", List.of("images", m.weights(0.5f, 60)),
            TestModels.attr("axis", -1L));
        final Tensor in = TestModels.input(9, 2, 2, 12, 60);
        for (int i = 0; i < in.size(); i++) {
            in.data()[i] *= 20f;     // large logits: the max subtraction matters
        }
        assertParity(m.output(last).output(axis1).output(ln).build(), in);
    }

    @Test
    void shapeOperators() throws EngineException {
        final TestModels m = new TestModels(10, 24, 5, 7);
        final String shuffled = m.node("Reshape", List.of(m.node("Transpose", List.of(m.node("Reshape",
            List.of("images", m.longs(new long[] {0, 8, 3, 5, 7}, 5)))), TestModels.ints("perm", 0, 2, 1, 3, 4)),
            m.longs(new long[] {0, -1, 5, 7}, 4)));                                // channel shuffle (26M)
        final String gathered = m.node("Gather", List.of("images", m.longs(new long[] {5})),
            TestModels.attr("axis", 1L));
        final String sliced = m.node("Slice", List.of("images", m.longs(new long[] {1, 4}, 2),
            m.longs(new long[] {-1, 100}, 2), m.longs(new long[] {2, 1}, 2), m.longs(new long[] {2, 1}, 2)));
        final List<String> split = m.nodeN("Split", List.of("images"), 3, TestModels.attr("axis", 1L));
        final String up = m.node("Resize", List.of("images", "", m.floats(new float[] {1, 1, 2, 2}, 4)),
            TestModels.attr("mode", "nearest"), TestModels.attr("coordinate_transformation_mode", "asymmetric"),
            TestModels.attr("nearest_mode", "floor"));
        final String flat = m.node("Unsqueeze", List.of(m.node("Flatten", List.of(m.node("Squeeze", List.of(
            m.node("Slice", List.of("images", m.longs(new long[] {0}, 1), m.longs(new long[] {1}, 1),
                m.longs(new long[] {2}, 1))), m.longs(new long[] {2}, 1))))), m.longs(new long[] {0}, 1)));
        assertParity(m.output(shuffled).output(gathered).output(sliced).output(split.get(2)).output(up).output(flat)
            .build(), TestModels.input(10, 2, 24, 5, 7));
    }

    /**
     * The operators common CNN detectors add to ours (YOLO, SSD, RetinaNet-style heads exported at opset 17): pooling
     * as the stem and SPPF use it, SiLU as exporters write it (Mul of x and Sigmoid(x)), LeakyRelu, Tanh, Concat of
     * branches, Pad, Where on a comparison, Split then Concat; each against ONNX Runtime with both kernel families.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"MaxPool3s2", "MaxPoolSppf", "AveragePoolCeil", "AveragePoolIncludePad",
        "GlobalAveragePool", "GlobalMaxPool", "Silu", "LeakyRelu", "Tanh", "Concat", "PadReflect", "PadConstant",
        "PadEdge", "WhereGreater", "SplitConcat", "Pow", "EqualLess", "ReduceSumAxes", "ReduceMaxAll",
        "ReduceMeanNonAdjacent", "GatherAnyIndices", "GatherElements", "TopK", "ResizeLinear",
        "ResizeLinearAlignCorners", "ResizeLinearAlignCornersScales", "ConvTranspose4s2", "ConvTransposeGroupsOutPad", "PRelu", "LogSoftmax",
        "DepthToSpaceCrd",
        "SpaceToDepthThenBack", "Tile", "CumSumReverse", "InstanceNormalization", "GridSampleBilinearBorder",
        "GridSampleBicubicReflection", "RoiAlignAvg", "RoiAlignMax"})
    void detectorOperators(final String kind) throws EngineException {
        final int c = 6;
        final TestModels m = new TestModels(kind.hashCode(), c, 11, 13);
        final String x = "images";
        final String y = switch (kind) {
            case "MaxPool3s2" -> m.node("MaxPool", List.of(x), TestModels.ints("kernel_shape", 3, 3),
                TestModels.ints("strides", 2, 2), TestModels.ints("pads", 1, 1, 1, 1));
            // SPPF: the same 5x5 stride-1 pool three times in a row, concatenated with its input
            case "MaxPoolSppf" -> {
                final OnnxMl.AttributeProto[] a = {TestModels.ints("kernel_shape", 5, 5),
                    TestModels.ints("pads", 2, 2, 2, 2)};
                final String p1 = m.node("MaxPool", List.of(x), a);
                final String p2 = m.node("MaxPool", List.of(p1), a);
                yield m.node("Concat", List.of(x, p1, p2, m.node("MaxPool", List.of(p2), a)),
                    TestModels.attr("axis", 1L));
            }
            case "AveragePoolCeil" -> m.node("AveragePool", List.of(x), TestModels.ints("kernel_shape", 3, 2),
                TestModels.ints("strides", 2, 2), TestModels.ints("pads", 1, 0, 0, 1),
                TestModels.attr("ceil_mode", 1L));
            case "AveragePoolIncludePad" -> m.node("AveragePool", List.of(x), TestModels.ints("kernel_shape", 3, 3),
                TestModels.ints("pads", 1, 1, 1, 1), TestModels.attr("count_include_pad", 1L));
            case "GlobalAveragePool" -> m.node("GlobalAveragePool", List.of(x));
            case "GlobalMaxPool" -> m.node("GlobalMaxPool", List.of(x));
            case "Silu" -> m.node("Mul", List.of(x, m.node("Sigmoid", List.of(x))));
            case "LeakyRelu" -> m.node("LeakyRelu", List.of(x), TestModels.attr("alpha", 0.1f));
            case "Tanh" -> m.node("Tanh", List.of(x));
            case "Concat" -> m.node("Concat", List.of(m.node("Relu", List.of(x)), x, m.node("Neg", List.of(x))),
                TestModels.attr("axis", -3L));
            case "PadReflect" -> m.node("Pad", List.of(x, m.longs(new long[] {0, 0, 2, 1, 0, 0, 1, 2}, 8)),
                TestModels.attr("mode", "reflect"));
            case "PadConstant" -> m.node("Pad", List.of(x, m.longs(new long[] {0, 1, 2, -1, 0, 0, 1, 3}, 8),
                m.floats(new float[] {0.5f})));
            case "PadEdge" -> m.node("Pad", List.of(x, m.longs(new long[] {0, 0, 3, 0, 0, 0, 0, 4}, 8)),
                TestModels.attr("mode", "edge"));
            case "WhereGreater" -> m.node("Where", List.of(m.node("Greater", List.of(x, m.floats(new float[] {0f}))),
                x, m.node("Mul", List.of(x, m.floats(new float[] {0.1f})))));
            case "SplitConcat" -> {
                final List<String> parts = m.nodeN("Split", List.of(x, m.longs(new long[] {2, 4}, 2)), 2,
                    TestModels.attr("axis", 1L));
                yield m.node("Concat", List.of(parts.get(1), parts.get(0)), TestModels.attr("axis", 1L));
            }
            case "ReduceSumAxes" -> m.node("ReduceSum", List.of(x, m.longs(new long[] {1, -1}, 2)));
            case "ReduceMaxAll" -> m.node("ReduceMax", List.of(x), TestModels.attr("keepdims", 0L));
            case "ReduceMeanNonAdjacent" -> m.node("ReduceMean", List.of(x), TestModels.ints("axes", 1, 3));
            case "GatherAnyIndices" -> m.node("Gather", List.of(x, m.longs(new long[] {4, -1, 0, 4, 2, 1}, 2, 3)),
                TestModels.attr("axis", 3L));
            case "GatherElements" -> {
                final long[] idx = new long[2 * c * 11 * 2];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = (i * 7L) % 13 - 6;
                }
                yield m.node("GatherElements", List.of(x, m.longs(idx, 2, c, 11, 2)), TestModels.attr("axis", -1L));
            }
            case "TopK" -> m.nodeN("TopK", List.of(x, m.longs(new long[] {4}, 1)), 2, TestModels.attr("axis", 2L))
                .get(0);
            case "ResizeLinear" -> m.node("Resize", List.of(x, "", m.floats(new float[] {1, 1, 2, 1.5f}, 4)),
                TestModels.attr("mode", "linear"));
            // align_corners by output sizes (11x13 -> 7x20: down on one axis, up on the other), and by scales that
            // give whole output lengths; fractional ones are refused at load (see alignCornersFractionalScaleIsRefused)
            case "ResizeLinearAlignCorners" -> {
                // sizes as PyTorch exports them: the input's N and C from its shape, then the new H and W
                final String nc = m.node("Slice", List.of(m.node("Shape", List.of(x)), m.longs(new long[] {0}, 1),
                    m.longs(new long[] {2}, 1)));
                final String sizes = m.node("Concat", List.of(nc, m.longs(new long[] {7, 20}, 2)),
                    TestModels.attr("axis", 0L));
                yield m.node("Resize", List.of(x, "", "", sizes), TestModels.attr("mode", "linear"),
                    TestModels.attr("coordinate_transformation_mode", "align_corners"));
            }
            case "ResizeLinearAlignCornersScales" -> m.node("Resize",
                List.of(x, "", m.floats(new float[] {1, 1, 2, 1}, 4)),
                TestModels.attr("mode", "linear"), TestModels.attr("coordinate_transformation_mode", "align_corners"));
            // the learned 2x upsampling of a detector's neck, and a grouped one with output padding and dilation
            case "ConvTranspose4s2" -> m.node("ConvTranspose", List.of(x, m.weights(0.3f, c, 4, 4, 4),
                m.weights(0.1f, 4)), TestModels.ints("strides", 2, 2), TestModels.ints("pads", 1, 1, 1, 1));
            case "ConvTransposeGroupsOutPad" -> m.node("ConvTranspose", List.of(x, m.weights(0.3f, c, 2, 3, 2)),
                TestModels.attr("group", 3L), TestModels.ints("strides", 3, 2), TestModels.ints("dilations", 2, 1),
                TestModels.ints("output_padding", 1, 0), TestModels.ints("pads", 0, 1, 2, 0));
            case "PRelu" -> m.node("PRelu", List.of(x, m.weights(0.3f, c, 1, 1)));
            case "LogSoftmax" -> m.node("LogSoftmax", List.of(m.node("Mul", List.of(x, m.floats(new float[] {30f})))),
                TestModels.attr("axis", 1L));
            case "DepthToSpaceCrd" -> m.node("DepthToSpace", List.of(m.node("Slice", List.of(x, m.longs(new long[] {0},
                1), m.longs(new long[] {4}, 1), m.longs(new long[] {1}, 1)))), TestModels.attr("blocksize", 2L),
                TestModels.attr("mode", "CRD"));
            case "SpaceToDepthThenBack" -> {
                // YOLO's focus stem is a space-to-depth; DCR DepthToSpace undoes it exactly
                final String cropped = m.node("Slice", List.of(x, m.longs(new long[] {0, 0}, 2),
                    m.longs(new long[] {10, 12}, 2), m.longs(new long[] {2, 3}, 2)));
                final String s2d = m.node("SpaceToDepth", List.of(cropped), TestModels.attr("blocksize", 2L));
                yield m.node("Concat", List.of(m.node("Relu", List.of(s2d)), m.node("SpaceToDepth", List.of(
                    m.node("DepthToSpace", List.of(s2d), TestModels.attr("blocksize", 2L))),
                    TestModels.attr("blocksize", 2L))), TestModels.attr("axis", 1L));
            }
            case "Tile" -> m.node("Tile", List.of(x, m.longs(new long[] {1, 2, 1, 3}, 4)));
            case "CumSumReverse" -> m.node("CumSum", List.of(x, m.longs(new long[] {2})),
                TestModels.attr("reverse", 1L), TestModels.attr("exclusive", 1L));
            case "InstanceNormalization" -> m.node("InstanceNormalization", List.of(x, m.weights(1f, c),
                m.weights(1f, c)), TestModels.attr("epsilon", 1e-3f));
            case "GridSampleBilinearBorder", "GridSampleBicubicReflection" -> {
                // a grid from the image itself: two channels squashed by 1.2 * tanh (a little beyond [-1, 1], so the
                // padding mode matters), moved to [N, H, W, 2]
                final String two = m.node("Slice", List.of(x, m.longs(new long[] {0}, 1), m.longs(new long[] {2}, 1),
                    m.longs(new long[] {1}, 1)));
                final String grid = m.node("Transpose", List.of(m.node("Mul", List.of(m.node("Tanh", List.of(two)),
                    m.floats(new float[] {1.2f})))), TestModels.ints("perm", 0, 2, 3, 1));
                final boolean bilinear = kind.contains("Bilinear");
                yield m.node("GridSample", List.of(x, grid), TestModels.attr("mode", bilinear ? "bilinear" : "bicubic"),
                    TestModels.attr("padding_mode", bilinear ? "border" : "reflection"),
                    TestModels.attr("align_corners", bilinear ? 0L : 1L));
            }
            case "RoiAlignAvg", "RoiAlignMax" -> m.node("RoiAlign", List.of(x,
                m.floats(new float[] {1, 1, 9, 7, 0.5f, 2, 12.5f, 10, 3, 0, 5, 4}, 3, 4),
                m.longs(new long[] {0, 1, 1}, 3)), TestModels.attr("output_height", 3L),
                TestModels.attr("output_width", 2L), TestModels.attr("sampling_ratio", kind.endsWith("Max") ? 2L : 0L),
                TestModels.attr("spatial_scale", 0.9f), TestModels.attr("mode", kind.endsWith("Max") ? "max" : "avg"));
            case "Pow" -> m.node("Pow", List.of(m.node("Sigmoid", List.of(x)), m.weights(0.5f, c, 1, 1)));
            default -> m.node("Where", List.of(m.node("Or", List.of(m.node("Equal", List.of(m.node("Floor",
                List.of(x)), m.floats(new float[] {0f}))), m.node("Less", List.of(x, m.weights(1f, 13))))), x,
                m.node("Neg", List.of(x))));
        };
        assertParity(m.output(y).build(), TestModels.input(kind.hashCode() + 1L, 2, c, 11, 13));
    }

    /**
     * Resize with align_corners and a scale that gives a fractional output length (11 x 0.7 = 7.7) is refused when the
     * model loads, naming the way out: ONNX's reference and ONNX Runtime compute different outputs for it, and the
     * engine does not pick a side silently.
     */
    @Test
    void alignCornersFractionalScaleIsRefused() {
        final int c = 3;
        final TestModels m = new TestModels(1, c, 11, 13);
        final String y = m.node("Resize", List.of("images", "", m.floats(new float[] {1, 1, 0.7f, 1f}, 4)),
            TestModels.attr("mode", "linear"), TestModels.attr("coordinate_transformation_mode", "align_corners"));
        final EngineException e = assertThrows(EngineException.class,
            () -> JavaEngine.load(m.output(y).build(), new JavaEngine.Options(1, true, 2)).close());
        assertTrue(e.getMessage().contains("output sizes"), e.getMessage());
    }

    /** Convolutions outside ConvOp's fast kernels: dilated (DeepLab, dilated encoders), 1-D and 3-D, grouped. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Dilated2", "DilatedGroupedStrided", "Conv1d", "Conv3d"})
    void generalConvolutions(final String kind) throws EngineException {
        final int c = 4;
        final int[] dims = switch (kind) {
            case "Conv1d" -> new int[] {c, 17};
            case "Conv3d" -> new int[] {c, 5, 6, 7};
            default -> new int[] {c, 11, 13};
        };
        final TestModels m = new TestModels(kind.hashCode(), dims);
        final String y = switch (kind) {
            case "Dilated2" -> m.node("Conv", List.of("images", m.weights(0.3f, 6, c, 3, 3), m.weights(0.1f, 6)),
                TestModels.ints("dilations", 2, 2), TestModels.ints("pads", 2, 2, 2, 2));
            case "DilatedGroupedStrided" -> m.node("Conv", List.of("images", m.weights(0.3f, 6, 2, 3, 2)),
                TestModels.attr("group", 2L), TestModels.ints("dilations", 3, 2), TestModels.ints("strides", 2, 1),
                TestModels.ints("pads", 3, 1, 2, 0));
            case "Conv1d" -> m.node("Conv", List.of("images", m.weights(0.3f, 5, c, 3), m.weights(0.1f, 5)),
                TestModels.ints("strides", 2), TestModels.ints("pads", 1, 1));
            default -> m.node("Conv", List.of("images", m.weights(0.3f, 3, c, 3, 3, 2)), TestModels.ints("pads",
                1, 1, 0, 1, 1, 1));
        };
        final int[] shape = new int[dims.length + 1];
        shape[0] = 2;
        System.arraycopy(dims, 0, shape, 1, dims.length);
        assertParity(m.output(y).build(), TestModels.input(kind.hashCode() + 1L, shape));
    }
}
