package io.mobileformer.engine.conformance;

import ai.onnx.proto.OnnxMl;
import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;
import io.mobileformer.engine.Tensor;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.OnnxModelLoader;
import io.mobileformer.engine.kernel.Simd;
import io.mobileformer.engine.ops.Ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * ONNX's own backend tests as the engine's conformance suite: every test of a directory laid out like Debian's
 * {@code libonnx-testdata} (1.12.0, {@code /usr/share/libonnx-testdata/data/node}: one folder per test with a
 * {@code model.onnx} and {@code test_data_set_*} folders of {@code input_*.pb} / {@code output_*.pb}) whose operators
 * the engine claims is loaded, run on its inputs and compared with its outputs at the tolerances of ONNX's backend
 * runner ({@code rtol 1e-3, atol 1e-7} for floats, exact for integers and bools).
 *
 * <p>Each test lands in one {@link Outcome}:
 * <ul>
 *   <li>{@code SKIPPED}: it uses an operator the engine does not claim ({@link Ops#supported()}), or an element type
 *   it does not take (float64, float16, strings, ...): not run;</li>
 *   <li>{@code REFUSED}: the engine declined it at load or plan with {@code UNSUPPORTED}, naming what it lacks (an
 *   opset before 13, a 3-D convolution, an attribute value): the engine's documented behaviour, counted apart so the
 *   gap stays visible;</li>
 *   <li>{@code FAILED}: a wrong value, a wrong shape, or any other exception;</li>
 *   <li>{@code PASSED}: every output of every data set matched, with the vector and with the scalar kernels.</li>
 * </ul>
 * The engine's conformance test and {@code ./mfs engine conformance} both run this class, so they cannot disagree.
 */
public final class Conformance {
    /** Where Debian's {@code libonnx-testdata} puts the node tests. */
    public static final Path DEFAULT_NODE_DIR = Path.of("/usr/share/libonnx-testdata/data/node");
    private static final double RTOL = 1e-3;
    private static final double ATOL = 1e-7;

    /** Where one test landed; see the class comment. */
    public enum Outcome { PASSED, FAILED, REFUSED, SKIPPED }

    /** One test's outcome and, when it did not pass, why. */
    public record Result(String test, Outcome outcome, String detail) {
    }

    /** The outcomes of one suite, in test-name order. */
    public record Report(List<Result> results) {
        public long count(final Outcome o) {
            return results.stream().filter(r -> r.outcome() == o).count();
        }

        /** Tests of claimed operators that ran: passed plus failed. */
        public long tests() {
            return count(Outcome.PASSED) + count(Outcome.FAILED);
        }

        public List<Result> failures() {
            return results.stream().filter(r -> r.outcome() == Outcome.FAILED).toList();
        }

        /**
         * {@code CONFORMANCE ops=<claimed> tests=<run> passed=<n> failed=<n> refused=<n> skipped=<n> (of <all>)}:
         * the line the engine's README quotes.
         */
        public String line() {
            return String.format("CONFORMANCE ops=%d tests=%d passed=%d failed=%d refused=%d skipped=%d (of %d)",
                Ops.supported().size(), tests(), count(Outcome.PASSED), count(Outcome.FAILED),
                count(Outcome.REFUSED), count(Outcome.SKIPPED), results.size());
        }

        /** The line, then every failed and refused test by name with why. */
        public String summary() {
            final StringBuilder s = new StringBuilder(line()).append('\n');
            for (final Result r : results) {
                if (r.outcome() == Outcome.FAILED || r.outcome() == Outcome.REFUSED) {
                    s.append("  ").append(r.outcome()).append(' ').append(r.test()).append(": ").append(r.detail())
                        .append('\n');
                }
            }
            return s.toString();
        }
    }

    private Conformance() {
    }

    /** Runs every test folder directly under {@code dir}. */
    public static Report run(final Path dir) throws IOException {
        final List<Path> tests;
        try (Stream<Path> list = Files.list(dir)) {
            tests = list.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
        }
        final List<Result> results = new ArrayList<>();
        for (final Path t : tests) {
            results.add(runOne(t));
        }
        return new Report(List.copyOf(results));
    }

    /** Runs one test folder. */
    public static Result runOne(final Path test) throws IOException {
        final String name = test.getFileName().toString();
        final OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(test.resolve("model.onnx")));
        final TreeSet<String> missing = new TreeSet<>();
        for (final OnnxMl.NodeProto n : model.getGraph().getNodeList()) {
            if (!n.getOpType().equals("Constant") && !Ops.isSupported(n.getOpType())) {
                missing.add(n.getOpType());
            }
        }
        if (!missing.isEmpty()) {
            return new Result(name, Outcome.SKIPPED, "operators " + missing);
        }
        final List<String> inputNames = new ArrayList<>();
        final Set<String> initialized = new HashSet<>();
        model.getGraph().getInitializerList().forEach(i -> initialized.add(i.getName()));
        model.getGraph().getInputList().stream().map(OnnxMl.ValueInfoProto::getName)
            .filter(n -> !initialized.contains(n)).forEach(inputNames::add);
        final List<String> outputNames = model.getGraph().getOutputList().stream()
            .map(OnnxMl.ValueInfoProto::getName).toList();
        final List<Path> sets;
        try (Stream<Path> list = Files.list(test)) {
            sets = list.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        }
        // both kernel families: a test passes only if the vector and the scalar kernels both match
        final boolean[] families = Simd.available() ? new boolean[] {true, false} : new boolean[] {false};
        for (final boolean vector : families) {
            final Result r = runWith(name, model, new JavaEngine.Options(1, vector), sets, inputNames, outputNames);
            if (r.outcome() != Outcome.PASSED) {
                return families.length == 1 || r.outcome() != Outcome.FAILED ? r : new Result(r.test(), r.outcome(),
                    r.detail() + (vector ? " (vector kernels)" : " (scalar kernels)"));
            }
        }
        return new Result(name, Outcome.PASSED, "");
    }

    private static Result runWith(final String name, final OnnxMl.ModelProto model, final JavaEngine.Options options,
                                  final List<Path> sets, final List<String> inputNames,
                                  final List<String> outputNames) throws IOException {
        try (JavaEngine engine = JavaEngine.load(model, options)) {
            for (final Path set : sets) {
                final Map<String, Tensor> inputs = new LinkedHashMap<>();
                for (int i = 0; i < inputNames.size(); i++) {
                    final Tensor t = read(set.resolve("input_" + i + ".pb"));
                    if (t == null) {
                        return new Result(name, Outcome.SKIPPED, "input element type");
                    }
                    inputs.put(inputNames.get(i), t);
                }
                final Map<String, Tensor> expected = new LinkedHashMap<>();
                for (int i = 0; i < outputNames.size(); i++) {
                    final Tensor t = read(set.resolve("output_" + i + ".pb"));
                    if (t == null) {
                        return new Result(name, Outcome.SKIPPED, "output element type");
                    }
                    expected.put(outputNames.get(i), t);
                }
                final String diff = compare(expected, engine.run(inputs));
                if (diff != null) {
                    return new Result(name, Outcome.FAILED, set.getFileName() + ": " + diff);
                }
            }
            return new Result(name, Outcome.PASSED, "");
        } catch (final EngineException e) {
            return e.kind() == EngineException.Kind.UNSUPPORTED
                ? new Result(name, Outcome.REFUSED, firstLine(e.getMessage()))
                : new Result(name, Outcome.FAILED, e.kind() + " " + firstLine(e.getMessage()));
        } catch (final RuntimeException e) {
            return new Result(name, Outcome.FAILED, firstLine(e.toString()));
        }
    }

    private static String firstLine(final String s) {
        final String line = s == null ? "" : s.lines().findFirst().orElse("");
        return line.length() > 220 ? line.substring(0, 220) + "..." : line;
    }

    /** A {@code .pb} TensorProto as a Tensor, or {@code null} for an element type the engine does not take. */
    public static Tensor read(final Path pb) throws IOException {
        final OnnxMl.TensorProto p = OnnxMl.TensorProto.parseFrom(Files.readAllBytes(pb));
        final Tensor.Type type = switch (p.getDataType()) {
            case OnnxMl.TensorProto.DataType.FLOAT_VALUE -> Tensor.Type.FLOAT32;
            case OnnxMl.TensorProto.DataType.INT64_VALUE -> Tensor.Type.INT64;
            case OnnxMl.TensorProto.DataType.INT32_VALUE -> Tensor.Type.INT32;
            case OnnxMl.TensorProto.DataType.BOOL_VALUE -> Tensor.Type.BOOL;
            default -> null;
        };
        if (type == null) {
            return null;
        }
        final Constant c = OnnxModelLoader.tensor(p);
        return type == Tensor.Type.FLOAT32 ? new Tensor(c.floats(), c.shape()) : Tensor.of(type, c.longs(), c.shape());
    }

    /** {@code null} when {@code actual} matches {@code expected} at ONNX's tolerances, else what differs first. */
    public static String compare(final Map<String, Tensor> expected, final Map<String, Tensor> actual) {
        for (final Map.Entry<String, Tensor> e : expected.entrySet()) {
            final Tensor want = e.getValue();
            final Tensor got = actual.get(e.getKey());
            if (got == null) {
                return "output '" + e.getKey() + "' missing";
            }
            if (!Arrays.equals(want.shape(), got.shape())) {
                return "output '" + e.getKey() + "' shape " + Arrays.toString(got.shape()) + ", expected "
                    + Arrays.toString(want.shape());
            }
            if (want.type() != Tensor.Type.FLOAT32) {
                final long[] w = want.longs().orElseThrow();
                final float[] g = got.data();
                for (int i = 0; i < w.length; i++) {
                    final long v = got.type() == Tensor.Type.FLOAT32 ? Math.round((double) g[i])
                        : got.longs().orElseThrow()[i];
                    if (v != w[i]) {
                        return "output '" + e.getKey() + "'[" + i + "] = " + v + ", expected " + w[i];
                    }
                }
                continue;
            }
            final float[] w = want.data();
            final float[] g = got.data();
            for (int i = 0; i < w.length; i++) {
                final boolean ok = Float.isNaN(w[i]) ? Float.isNaN(g[i])
                    : w[i] == g[i] || Math.abs((double) g[i] - w[i]) <= ATOL + RTOL * Math.abs((double) w[i]);
                if (!ok) {
                    return "output '" + e.getKey() + "'[" + i + "] = " + g[i] + ", expected " + w[i];
                }
            }
        }
        return null;
    }
}
