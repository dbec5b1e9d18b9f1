package io.mobileformer.engine.ops;

import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.Node;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.plan.Binding;
import io.mobileformer.engine.plan.Op;
import io.mobileformer.engine.plan.Operand;
import io.mobileformer.engine.plan.PlanValue;
import io.mobileformer.engine.plan.Step;

import java.util.Arrays;

/**
 * Operators whose output element is an input element found by index arithmetic, or a running sum along an axis:
 * {@code Tile}, {@code DepthToSpace} and {@code SpaceToDepth} (DCR and CRD), {@code Trilu}, {@code CumSum},
 * {@code Range} and {@code OneHot} (whose indices may be data; depth and values must be constants). Their
 * parameters (repeats, k, axis, the range's bounds) must be known at plan time. Scalar loops: none of them is hot in
 * a detector (YOLO's space-to-depth stem, a mask or position grid).
 */
public final class IndexOps implements Op {
    static final IndexOps INSTANCE = new IndexOps();

    private IndexOps() {
    }

    private static int block(final Node node, final int[] s) {
        final int b = (int) node.attrs().getInt("blocksize", 0);
        if (b < 1 || s.length != 4) {
            throw GraphException.invalid(node, "needs blocksize >= 1 and a 4-D input, not " + Shapes.str(s));
        }
        return b;
    }

    /** Range's element count, start and step, from its three scalar inputs. */
    private static double[] range(final Node node, final PlanValue[] in) {
        final double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            if (in[i] == null || !in[i].isConstant() || in[i].size() != 1) {
                throw GraphException.unsupported(node, "start, limit and delta must be scalar constants");
            }
            v[i] = in[i].constant.isFloat() ? in[i].constant.floats()[0] : in[i].constant.longs()[0];
        }
        return new double[] {Math.max(0, Math.ceil((v[1] - v[0]) / v[2])), v[0], v[2]};
    }

    @Override
    public int[][] shapes(final Node node, final PlanValue[] in) {
        final int[] s = in[0] == null ? null : in[0].shape;
        return switch (node.opType()) {
            case "Tile" -> {
                final long[] r = ReshapeOp.constantInts(node, in, 1, "repeats");
                if (r.length != s.length) {
                    throw GraphException.invalid(node, "repeats has " + r.length + " values for rank " + s.length);
                }
                final int[] out = new int[s.length];
                for (int i = 0; i < s.length; i++) {
                    out[i] = Math.toIntExact(s[i] * r[i]);
                }
                yield new int[][] {out};
            }
            case "DepthToSpace" -> {
                final int b = block(node, s);
                if (s[1] % (b * b) != 0) {
                    throw GraphException.invalid(node, s[1] + " channels do not split into blocks of " + b * b);
                }
                yield new int[][] {{s[0], s[1] / (b * b), s[2] * b, s[3] * b}};
            }
            case "SpaceToDepth" -> {
                final int b = block(node, s);
                if (s[2] % b != 0 || s[3] % b != 0) {
                    throw GraphException.invalid(node, Shapes.str(s) + " does not tile into blocks of " + b);
                }
                yield new int[][] {{s[0], s[1] * b * b, s[2] / b, s[3] / b}};
            }
            case "Trilu" -> {
                if (s.length < 2) {
                    throw GraphException.invalid(node, "needs rank 2 or more");
                }
                if (in.length > 1 && in[1] != null) {
                    ReshapeOp.constantInts(node, in, 1, "k");
                }
                yield new int[][] {s.clone()};
            }
            case "CumSum" -> {
                Shapes.axis(node, ReshapeOp.constantInts(node, in, 1, "axis")[0], s.length);
                yield new int[][] {s.clone()};
            }
            case "Range" -> new int[][] {{(int) range(node, in)[0]}};
            case "OneHot" -> {
                final long depth = ReshapeOp.constantInts(node, in, 1, "depth")[0];
                ReshapeOp.constantInts(node, in, 2, "values");
                final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), s.length + 1);
                final int[] out = new int[s.length + 1];
                for (int i = 0, j = 0; i < out.length; i++) {
                    out[i] = i == axis ? Math.toIntExact(depth) : s[j++];
                }
                yield new int[][] {out};
            }
            default -> throw GraphException.unsupported(node, "not an index operator");
        };
    }

    @Override
    public Step bind(final Node node, final Binding b) {
        final Operand y = b.out(0);
        if (node.opType().equals("Range")) {
            final double[] r = range(node, b.values());
            return (arena, par) -> {
                for (int i = 0; i < (int) r[0]; i++) {
                    arena[y.offset() + i] = (float) (r[1] + i * r[2]);
                }
            };
        }
        final Operand x = b.in(0);
        final int[] s = x.shape();
        if (node.opType().equals("OneHot")) {
            // out[outer, d, inner] = on where d is the index (negatives from the end), else off
            final int depth = (int) b.values()[1].constant.asLongs()[0];
            final float[] values = b.values()[2].constant.asFloats();
            final int axis = Shapes.axis(node, node.attrs().getInt("axis", -1), s.length + 1);
            final int outer = Shapes.size(s, 0, axis);
            final int inner = Shapes.size(s, axis, s.length);
            return (arena, par) -> {
                final float[] xa = x.array(arena);
                for (int o = 0; o < outer; o++) {
                    for (int d = 0; d < depth; d++) {
                        for (int i = 0; i < inner; i++) {
                            long idx = (long) xa[x.offset() + o * inner + i];
                            idx = idx < 0 ? idx + depth : idx;
                            arena[y.offset() + (o * depth + d) * inner + i] = idx == d ? values[1] : values[0];
                        }
                    }
                }
            };
        }
        final int[] src = switch (node.opType()) {
            case "Tile", "DepthToSpace", "SpaceToDepth" -> sources(node, s, y.shape());
            default -> null;
        };
        if (src != null) {
            // a pure gather: every output element's input offset, computed once here
            return (arena, par) -> {
                final float[] xa = x.array(arena);
                for (int i = 0; i < src.length; i++) {
                    arena[y.offset() + i] = xa[x.offset() + src[i]];
                }
            };
        }
        if (node.opType().equals("Trilu")) {
            final long k = b.has(1) ? b.values()[1].constant.asLongs()[0] : 0;
            final boolean upper = node.attrs().getInt("upper", 1) != 0;
            final int rows = s[s.length - 2];
            final int cols = s[s.length - 1];
            return (arena, par) -> {
                final float[] xa = x.array(arena);
                for (int i = 0; i < y.size(); i++) {
                    final long d = (long) (i % cols) - (i / cols) % rows;     // column minus row
                    final boolean keep = upper ? d >= k : d <= k;
                    arena[y.offset() + i] = keep ? xa[x.offset() + i] : 0f;
                }
            };
        }
        // CumSum: along the axis, forward or reversed, inclusive or exclusive, in double for long axes
        final int axis = Shapes.axis(node, b.values()[1].constant.asLongs()[0], s.length);
        final boolean exclusive = node.attrs().getInt("exclusive", 0) != 0;
        final boolean reverse = node.attrs().getInt("reverse", 0) != 0;
        final int outer = Shapes.size(s, 0, axis);
        final int len = s[axis];
        final int inner = Shapes.size(s, axis + 1, s.length);
        return (arena, par) -> {
            final float[] xa = x.array(arena);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    double acc = 0;
                    for (int j = 0; j < len; j++) {
                        final int at = (o * len + (reverse ? len - 1 - j : j)) * inner + i;
                        final float v = xa[x.offset() + at];
                        if (!exclusive) {
                            acc += v;
                        }
                        arena[y.offset() + at] = (float) acc;
                        if (exclusive) {
                            acc += v;
                        }
                    }
                }
            }
        };
    }

    /** For Tile and the depth/space rearrangements: the input offset of every output element. */
    private static int[] sources(final Node node, final int[] s, final int[] out) {
        final int[] src = new int[Shapes.size(out)];
        final int[] st = Shapes.strides(s);
        final int[] idx = new int[out.length];
        final boolean crd = node.attrs().getString("mode", "DCR").equals("CRD");
        final int b = node.opType().equals("Tile") ? 1 : block(node, s);
        for (int i = 0; i < src.length; i++) {
            src[i] = switch (node.opType()) {
                case "Tile" -> {
                    int at = 0;
                    for (int a = 0; a < s.length; a++) {
                        at += (idx[a] % s[a]) * st[a];
                    }
                    yield at;
                }
                case "DepthToSpace" -> {
                    // output (n, c, y, x) takes input channel from the block offset (y % b, x % b)
                    final int by = idx[2] % b;
                    final int bx = idx[3] % b;
                    final int c = crd ? idx[1] * b * b + by * b + bx : (by * b + bx) * out[1] + idx[1];
                    yield idx[0] * st[0] + c * st[1] + (idx[2] / b) * st[2] + (idx[3] / b) * st[3];
                }
                default -> {
                    // SpaceToDepth, DCR: output channel (by * b + bx) * C + c reads (c, h * b + by, w * b + bx)
                    final int c = idx[1] % s[1];
                    final int blockIndex = idx[1] / s[1];
                    yield idx[0] * st[0] + c * st[1] + (idx[2] * b + blockIndex / b) * st[2]
                        + (idx[3] * b + blockIndex % b) * st[3];
                }
            };
            for (int a = out.length - 1; a >= 0 && ++idx[a] == out[a]; a--) {
                idx[a] = 0;
            }
        }
        return src;
    }
}
