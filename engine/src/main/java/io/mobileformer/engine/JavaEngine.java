package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
import io.mobileformer.engine.graph.Constant;
import io.mobileformer.engine.graph.Graph;
import io.mobileformer.engine.graph.GraphException;
import io.mobileformer.engine.graph.OnnxModelLoader;
import io.mobileformer.engine.graph.Shapes;
import io.mobileformer.engine.kernel.Parallel;
import io.mobileformer.engine.kernel.Simd;
import io.mobileformer.engine.ops.Ops;
import io.mobileformer.engine.optimize.GraphOptimizer;
import io.mobileformer.engine.plan.ArenaPool;
import io.mobileformer.engine.plan.Plan;
import io.mobileformer.engine.plan.Planner;
import io.mobileformer.engine.plan.ShapeInference;
import io.mobileformer.engine.plan.Tasks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pure-Java engine: an ONNX interpreter (DESIGN.md section 4) for our Mobile-Former exports and for the
 * operators common CNN detectors use, with Vector API kernels for the hot ones and scalar kernels everywhere;
 * {@code OnnxConformanceTest} holds it to ONNX's own node tests.
 *
 * <p>Two entry points: {@link #run(Tensor)} for image models (one float input, batch first, split across threads)
 * and {@link #run(Map)} for any model (named inputs of any count, element type and shape).
 *
 * <p>Loading parses the file with {@code OnnxMl}, refuses the operators it does not implement (listing them all),
 * lowers and folds the graph once ({@link GraphOptimizer}) and plans batch size 1 (or the declared shapes) so every
 * shape error surfaces at load; a model with integer inputs, or one that reads its input shapes under a dynamic
 * axis, is optimized and planned on first use of each distinct specialization instead. Plans for other batch sizes are
 * made on first use and cached; each call borrows an arena from a pool, so
 * {@link #run} is thread-safe and allocates nothing but its outputs in steady state.
 *
 * <p>Threads: a batch of several images is cut into chunks (by default one per thread, {@link Options#microBatch()})
 * that the threads take in turn, each chunk one single-threaded forward pass (no synchronisation inside it); a single
 * image is split inside each large kernel instead. The pool belongs to the engine and {@link #close()} stops it.
 */
public final class JavaEngine implements Engine {
    public static final String NAME = "java";

    /**
     * Settings. {@code vector = false} forces the scalar kernels (also {@code -Dmfs.java.vector=false}).
     * {@code microBatch} caps the images one forward pass carries: a batch is cut into chunks of that size which the
     * threads take in turn. 0 (the default): one chunk per thread, so one thread runs a batch of 8 as one pass of 8
     * and two threads as two passes of 4. Larger passes read each token linear's weights once for all their images
     * (at one image per pass those products were memory-bound); one image per pass keeps the feature maps in L2
     * instead, and had measured ~5 % faster when it was chosen, before the later kernel changes (staged product
     * tiles, {@code TokenGemm}).
     * Now, demo model at batch 8 and one thread, the two in one JVM in alternate 1 s rounds: 422.0 against 373.7
     * img/s (15 rounds of 16), 302.7 against 258.5 and 315.0 against 281.5 in a slower hour, either loaded first
     * (README, Results). Each distinct chunk size is planned once (~40 ms) and keeps an arena of its own (demo model:
     * 3.1 MB for one image, 14.2 MB for 8).
     */
    public record Options(int threads, boolean vector, int microBatch) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, not " + threads);
            }
            if (microBatch < 0) {
                throw new IllegalArgumentException("microBatch must be >= 1, or 0 for one chunk per thread, not "
                    + microBatch);
            }
            if (vector && !Simd.available()) {
                throw new IllegalArgumentException("the Vector API is not available in this JVM "
                    + "(start it with --add-modules=jdk.incubator.vector)");
            }
        }

        public Options(final int threads, final boolean vector) {
            this(threads, vector, 0);
        }

        /** Chunks a batch of {@code n} images is cut into. */
        int chunks(final int n) {
            return microBatch == 0 ? Math.min(n, threads) : (n + microBatch - 1) / microBatch;
        }

        public static Options threads(final int threads) {
            return new Options(threads, Simd.enabledByDefault());
        }
    }

    /** The graph as loaded, never optimized: integer inputs are bound into copies of it (see {@link Variant}). */
    private final Graph source;
    /** The optimized graph when the model has float inputs only; {@code null} when each call specializes. */
    private final Variant base;
    private final Map<String, Variant> specialized = new ConcurrentHashMap<>();
    private final Options options;
    private final Parallel pool;
    private final ArenaPool arenas = new ArenaPool();
    private final OpProfile profile = new OpProfile();
    /** Every output has the batch as its first axis, so chunks of a batch can run apart and be concatenated. */
    private final boolean splittable;
    private volatile boolean profiling;
    private volatile boolean closed;

    /** Most specializations kept; beyond it the cache starts again (a model fed ever-new indices re-plans). */
    private static final int MAX_SPECIALIZATIONS = 16;

    /**
     * One optimized graph with its planner and plans (one per set of input shapes). The engine computes in float32
     * and operators read shapes, axes and indices when they are planned, so a model with integer or bool inputs is
     * optimized and planned once per distinct value of those inputs (they become constants, and shape-computing
     * sub-graphs fold away); a model with float inputs only has one variant, made at load.
     */
    private static final class Variant {
        final Graph graph;
        final Planner planner;
        final Map<String, Plan> plans = new ConcurrentHashMap<>();

        Variant(final Graph graph, final boolean vector) {
            GraphOptimizer.run(graph, vector);
            this.graph = graph;
            this.planner = new Planner(graph.constants(), vector, Ops::get);
        }

        Plan plan(final Map<String, int[]> shapes, final int batch) {
            final StringBuilder key = new StringBuilder();
            shapes.forEach((k, v) -> key.append(k).append(java.util.Arrays.toString(v)).append(';'));
            return plans.computeIfAbsent(key.toString(), k -> planner.plan(graph.nodes(), shapes, graph.outputs(),
                batch));
        }
    }

    /**
     * Whether variants are made per input shape too: the model reads shapes ({@code Shape}) and some input axis is
     * dynamic, so the shape arithmetic folds only once the call's shapes are known.
     */
    private final boolean perShape;

    /**
     * Float inputs that some operator reads at plan time (a convolution's weights, Resize's scales fed as graph
     * inputs, as ONNX's node tests do): bound per value like integer inputs.
     */
    private final java.util.Set<String> planTimeFloats = new java.util.HashSet<>();

    private JavaEngine(final Graph graph, final Options options) {
        this.source = graph;
        this.options = options;
        for (final io.mobileformer.engine.graph.Node n : graph.nodes()) {
            for (int i = 0; i < n.inputs().size(); i++) {
                if (Ops.readAtPlanTime(n.opType(), i)) {
                    planTimeFloats.add(n.input(i));
                }
            }
        }
        planTimeFloats.retainAll(graph.inputs().stream().filter(Graph.Input::isFloat).map(Graph.Input::name).toList());
        final boolean allFloat = graph.inputs().stream().allMatch(Graph.Input::isFloat) && planTimeFloats.isEmpty();
        this.perShape = graph.nodes().stream().anyMatch(n -> n.opType().equals("Shape"))
            && graph.inputs().stream().anyMatch(i -> java.util.Arrays.stream(i.dims()).anyMatch(d -> d < 0));
        this.base = allFloat && !perShape ? new Variant(graph.bind(Map.of()), options.vector()) : null;
        this.splittable = base != null && base.graph.batched() && batchLeads(base.graph);
        this.pool = Parallel.of(options.threads());    // last: nothing above may leave a pool behind by throwing
    }

    private static boolean batchLeads(final Graph g) {
        final Map<String, int[]> one = ShapeInference.run(g, 1, Ops::get);
        final Map<String, int[]> two = ShapeInference.run(g, 2, Ops::get);
        for (final String out : g.outputs()) {
            final int[] a = one.get(out);
            final int[] b = two.get(out);
            if (a == null || b == null || a.length == 0 || a[0] != 1 || b[0] != 2
                || !java.util.Arrays.equals(java.util.Arrays.copyOfRange(a, 1, a.length),
                java.util.Arrays.copyOfRange(b, 1, b.length))) {
                return false;
            }
        }
        return true;
    }

    /** Loads {@code model} for {@code threads} threads with the default kernels. */
    public static JavaEngine load(final Path model, final int threads) throws EngineException {
        return load(model, Options.threads(threads));
    }

    public static JavaEngine load(final Path model, final Options options) throws EngineException {
        final OnnxMl.ModelProto proto;
        try {
            proto = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model));
        } catch (final IOException e) {
            throw new EngineException(EngineException.Kind.LOAD, NAME, "cannot read " + model + ": " + e.getMessage(),
                e);
        }
        return load(proto, options);
    }

    /** Loads an already parsed model (tests build small ones in memory). */
    public static JavaEngine load(final OnnxMl.ModelProto proto, final Options options) throws EngineException {
        JavaEngine engine = null;
        try {
            final Graph g = OnnxModelLoader.load(proto, Ops.supported());
            engine = new JavaEngine(g, options);
            // plan once now so that an unsupported attribute or a shape error surfaces at load: batch 1 for an
            // image model (even one that reads its shapes), the declared shapes for a static one; a model with
            // integer inputs or dynamic axes other than the batch is planned on its first call
            if (engine.source.batched() && engine.planTimeFloats.isEmpty()) {
                engine.plan(1);
            } else if (engine.base != null && engine.source.inputs().stream()
                .allMatch(i -> java.util.Arrays.stream(i.dims()).allMatch(d -> d >= 0))) {
                final Map<String, int[]> shapes = new LinkedHashMap<>();
                engine.source.inputs().forEach(i -> shapes.put(i.name(), i.dims()));
                engine.base.plan(shapes, 1);
            }
            return engine;
        } catch (final GraphException e) {
            if (engine != null) {
                engine.close();
            }
            throw e.toEngineException(NAME);
        } catch (final RuntimeException e) {
            if (engine != null) {
                engine.close();
            }
            throw new EngineException(EngineException.Kind.LOAD, NAME, "cannot prepare the model: " + e, e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    public Options options() {
        return options;
    }

    /** Multiply-adds per image (convolutions and products, after fusion). */
    public long maddsPerImage() {
        return plan(1).steps().stream().mapToLong(Plan.PlannedStep::madds).sum();
    }

    /** Number of steps a batch-1 call runs, after folding and fusion. */
    public int steps() {
        return plan(1).steps().size();
    }

    /** Labels of the batch-1 steps in execution order: what fusion produced (tests assert on it). */
    List<String> stepLabels() {
        return plan(1).steps().stream().map(Plan.PlannedStep::label).toList();
    }

    /** Turns per-step timing on or off; turning it on clears what was collected. */
    public void profiling(final boolean on) {
        if (on) {
            profile.reset();
        }
        profiling = on;
    }

    public List<OpProfile.Entry> profile() {
        return profile.entries();
    }

    /** {@link #profile()}, or with {@code byShape} one entry per kind of step and input shapes. */
    public List<OpProfile.Entry> profile(final boolean byShape) {
        return profile.entries(byShape);
    }

    @Override
    public Map<String, Tensor> run(final Tensor images) throws EngineException {
        if (closed) {
            throw new IllegalStateException("Trying to run a closed " + NAME + " engine.");
        }
        if (base == null && source.batched()) {
            return run(Map.of(source.input(), images));     // shapes are read by the model: one variant per batch size
        }
        if (base == null || !base.graph.batched()) {
            throw new EngineException(EngineException.Kind.RUN, NAME, "the model's inputs are "
                + source.inputs().stream().map(i -> i.name() + java.util.Arrays.toString(i.dims())).toList()
                + ", not one batched float image input: call run(Map) with every input by name");
        }
        final Graph graph = base.graph;
        final int[] want = graph.inputShape();
        final int[] got = images.shape();
        if (got.length != want.length + 1 || !java.util.Arrays.equals(java.util.Arrays.copyOfRange(got, 1, got.length),
            want)) {
            throw new EngineException(EngineException.Kind.RUN, NAME, "input " + images + " does not match the model's "
                + "[N, " + java.util.Arrays.toString(want).replaceAll("[\\[\\]]", "") + "]");
        }
        final int n = got[0];
        try {
            final int chunks = options.chunks(n);
            if (chunks <= 1 || !splittable) {
                return runPlan(plan(n), Map.of(graph.input(), images.data()), 0, pool);
            }
            return runSplit(images, n, chunks);
        } catch (final GraphException e) {
            throw e.toEngineException(NAME);
        } catch (final RuntimeException | OutOfMemoryError e) {
            throw new EngineException(EngineException.Kind.RUN, NAME, "inference failed on a batch of " + n + ": " + e,
                e);
        }
    }

    /** Chunks taken by the threads in turn, each planned and run single-threaded, then concatenated. */
    private Map<String, Tensor> runSplit(final Tensor images, final int n, final int parts) {
        final int perImage = images.stride0();
        @SuppressWarnings("unchecked")
        final Map<String, Tensor>[] results = new Map[parts];
        pool.run(parts, (t, w) -> {
            final int from = Tasks.start(n, t, parts);
            final int to = Tasks.start(n, t + 1, parts);
            results[t] = runPlan(plan(to - from), Map.of(base.graph.input(), images.data()), from * perImage,
                Parallel.SEQUENTIAL);
        });
        final Map<String, Tensor> out = new LinkedHashMap<>();
        for (final String name : results[0].keySet()) {
            final int[] shape = results[0].get(name).shape();
            shape[0] = n;
            final float[] data = new float[Shapes.size(shape)];
            int at = 0;
            for (final Map<String, Tensor> r : results) {
                final float[] part = r.get(name).data();
                System.arraycopy(part, 0, data, at, part.length);
                at += part.length;
            }
            out.put(name, new Tensor(data, shape));
        }
        return out;
    }

    private Map<String, Tensor> runPlan(final Plan plan, final Map<String, float[]> input, final int offset,
                                        final Parallel par) {
        final float[] arena = arenas.take(plan);
        try {
            final long[] nanos = profiling ? profile.accumulator(plan) : null;
            final Map<String, Tensor> out = plan.run(input, offset, arena, par, nanos);
            if (nanos != null) {
                profile.add(plan, nanos);
            }
            return out;
        } finally {
            arenas.give(plan, arena);
        }
    }

    /**
     * Runs one batch and returns the named intermediate values that survive optimization (values fused away are
     * absent). For diagnosing a parity failure: compare with ONNX Runtime value by value to find the first node
     * that differs. Plans a fresh, uncached graph, so it is slow.
     */
    public Map<String, Tensor> trace(final Tensor images, final java.util.Collection<String> names)
        throws EngineException {
        if (base == null || !base.graph.batched()) {
            throw new IllegalStateException("trace needs an image model (one batched float input)");
        }
        final Graph graph = base.graph;
        final Planner planner = base.planner;
        final java.util.Set<String> produced = new java.util.HashSet<>();
        graph.nodes().forEach(n -> produced.addAll(n.outputs()));
        final List<String> wanted = names.stream().filter(produced::contains).distinct().toList();
        try {
            final Plan plan = planner.plan(graph.nodes(), Map.of(graph.input(), images.shape()), wanted,
                images.dim(0));
            return plan.run(Map.of(graph.input(), images.data()), 0, new float[plan.arenaSize()], pool, null);
        } catch (final GraphException e) {
            throw e.toEngineException(NAME);
        }
    }

    /** The plan of an image model for {@code batch} images. */
    private Plan plan(final int batch) {
        if (base == null && source.batched()) {
            // an image model that reads its shapes: the specialization run(Map) makes for this batch size
            final int[] shape = batchShape(source, batch);
            final Map<String, int[]> fixed = Map.of(source.input(), shape);
            return specialization(source.input() + java.util.Arrays.toString(shape) + ';', Map.of(), fixed)
                .plan(fixed, batch);
        }
        if (base == null || !base.graph.batched()) {
            throw new IllegalStateException("the model has no single batched float input: "
                + source.inputs().stream().map(Graph.Input::name).toList());
        }
        return base.plan(Map.of(base.graph.input(), batchShape(base.graph, batch)), batch);
    }

    private static int[] batchShape(final Graph g, final int batch) {
        final int[] in = g.inputShape();
        final int[] shape = new int[in.length + 1];
        shape[0] = batch;
        System.arraycopy(in, 0, shape, 1, in.length);
        return shape;
    }

    /**
     * The variant for these bound inputs and fixed shapes, made (optimized) on first use. {@code key} names them
     * completely: the bound values and fixed shapes in input order, as {@link #run(Map)} writes it.
     */
    private Variant specialization(final String key, final Map<String, Constant> bound,
                                   final Map<String, int[]> fixed) {
        if (specialized.size() >= MAX_SPECIALIZATIONS) {
            specialized.clear();
        }
        return specialized.computeIfAbsent(key, k -> new Variant(source.bind(bound, fixed), options.vector()));
    }

    /**
     * Runs the model on named inputs of any count, element type and shape the model declares, and returns every
     * graph output by name in the element type the model declares for it. The general entry point: {@link #run(Tensor)}
     * is the image-detector case of it (one float input whose first axis is the batch, split across threads).
     *
     * <p>Float32 inputs are data. Integer and bool inputs (indices, shapes, axes, masks) are bound as constants: the
     * model is optimized and planned once per distinct value of them and kept (up to {@value #MAX_SPECIALIZATIONS}), so
     * feeding ever-changing integer values re-plans on each call. A model that reads shapes ({@code Shape}) with a
     * dynamic input axis is likewise optimized once per input shape, which folds its shape arithmetic. Integer outputs
     * are exact as long as the float32 arithmetic that made them is (|values| below 2^24).
     *
     * @throws EngineException {@code RUN} when a name is missing or unknown, or an element type, rank or static axis
     *                         differs from the model's declaration (the message lists what was expected);
     *                         {@code UNSUPPORTED} when planning meets something the engine does not implement
     */
    public Map<String, Tensor> run(final Map<String, Tensor> inputs) throws EngineException {
        if (closed) {
            throw new IllegalStateException("Trying to run a closed " + NAME + " engine.");
        }
        validate(inputs);
        if (base != null && base.graph.batched()) {
            // an image model: the batched path, which cuts a batch into micro-batches the threads share
            final Map<String, Tensor> typed = new LinkedHashMap<>();
            run(inputs.get(base.graph.input())).forEach((name, t) -> typed.put(name,
                typed(t, source.outputType(name))));
            return typed;
        }
        try {
            final Variant v;
            if (base != null) {
                v = base;
            } else {
                final Map<String, Constant> bound = new LinkedHashMap<>();
                final Map<String, int[]> fixed = new LinkedHashMap<>();
                final StringBuilder key = new StringBuilder();
                for (final Graph.Input in : source.inputs()) {
                    if (planTimeFloats.contains(in.name())) {
                        // the key holds every value: two calls share a variant only with identical parameters
                        final Tensor t = inputs.get(in.name());
                        bound.put(in.name(), Constant.ofFloats(t.data().clone(), t.shape()));
                        key.append(in.name()).append(java.util.Arrays.toString(t.shape()))
                            .append(java.util.Arrays.toString(t.data())).append(';');
                    } else if (in.isFloat() && perShape) {
                        fixed.put(in.name(), inputs.get(in.name()).shape());
                        key.append(in.name()).append(java.util.Arrays.toString(inputs.get(in.name()).shape()))
                            .append(';');
                    } else if (!in.isFloat()) {
                        final Tensor t = inputs.get(in.name());
                        final long[] values = t.longs().orElseThrow();
                        bound.put(in.name(), Constant.ofLongs(values, t.shape()));
                        key.append(in.name()).append(java.util.Arrays.toString(t.shape()))
                            .append(java.util.Arrays.toString(values)).append(';');
                    }
                }
                v = specialization(key.toString(), bound, fixed);
            }
            final Map<String, int[]> shapes = new LinkedHashMap<>();
            final Map<String, float[]> data = new LinkedHashMap<>();
            for (final Graph.Input in : v.graph.inputs()) {
                shapes.put(in.name(), inputs.get(in.name()).shape());
                data.put(in.name(), inputs.get(in.name()).data());
            }
            final int batch = shapes.isEmpty() || shapes.values().iterator().next().length == 0 ? 1
                : shapes.values().iterator().next()[0];
            final Map<String, Tensor> out = runPlan(v.plan(shapes, batch), data, 0, pool);
            final Map<String, Tensor> typed = new LinkedHashMap<>();
            out.forEach((name, t) -> typed.put(name, typed(t, source.outputType(name))));
            return typed;
        } catch (final GraphException e) {
            throw e.toEngineException(NAME);
        } catch (final RuntimeException | OutOfMemoryError e) {
            throw new EngineException(EngineException.Kind.RUN, NAME, "inference failed: " + e, e);
        }
    }

    /** The declared inputs, as the model file names and shapes them (-1 for a dynamic axis). */
    public List<Graph.Input> inputs() {
        return source.inputs();
    }

    private void validate(final Map<String, Tensor> inputs) throws EngineException {
        final List<String> names = source.inputs().stream().map(Graph.Input::name).toList();
        if (!inputs.keySet().equals(new java.util.HashSet<>(names))) {
            throw new EngineException(EngineException.Kind.RUN, NAME, "inputs " + inputs.keySet()
                + " do not match the model's " + names);
        }
        for (final Graph.Input in : source.inputs()) {
            final Tensor t = inputs.get(in.name());
            final boolean isFloat = t.type() == Tensor.Type.FLOAT32;
            if (isFloat != in.isFloat()) {
                throw new EngineException(EngineException.Kind.RUN, NAME, "input '" + in.name() + "' is " + t.type()
                    + " but the model declares " + ai.onnx.proto.OnnxMl.TensorProto.DataType.forNumber(in.type()));
            }
            final int[] shape = t.shape();
            boolean ok = shape.length == in.dims().length;
            for (int i = 0; ok && i < shape.length; i++) {
                ok = in.dims()[i] < 0 || in.dims()[i] == shape[i];
            }
            if (!ok) {
                throw new EngineException(EngineException.Kind.RUN, NAME, "input '" + in.name() + "' has shape "
                    + java.util.Arrays.toString(shape) + " but the model declares "
                    + java.util.Arrays.toString(in.dims()) + " (-1: any)");
            }
        }
    }

    /** A float result as the element type the model declares for it (integers rounded, bool as non-zero). */
    private static Tensor typed(final Tensor t, final int onnxType) {
        final Tensor.Type type = switch (onnxType) {
            case ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE -> Tensor.Type.INT64;
            case ai.onnx.proto.OnnxMl.TensorProto.DataType.INT32_VALUE -> Tensor.Type.INT32;
            case ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE -> Tensor.Type.BOOL;
            default -> Tensor.Type.FLOAT32;
        };
        if (type == Tensor.Type.FLOAT32) {
            return t;
        }
        final float[] f = t.data();
        final long[] l = new long[f.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = type == Tensor.Type.BOOL ? (f[i] != 0 ? 1 : 0) : Math.round((double) f[i]);
        }
        return Tensor.of(type, l, t.shape());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        arenas.close();
        specialized.clear();
    }
}
