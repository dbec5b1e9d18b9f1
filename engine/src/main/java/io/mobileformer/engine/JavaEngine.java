package io.mobileformer.engine;

import ai.onnx.proto.OnnxMl;
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
 * The pure-Java engine: an interpreter for the ONNX operators our Mobile-Former exports use (DESIGN.md section 4),
 * with Vector API kernels and a scalar fallback.
 *
 * <p>Loading parses the file with {@code OnnxMl}, refuses any operator it does not implement (naming the node),
 * lowers and folds the graph once ({@link GraphOptimizer}) and plans batch size 1 so every shape error surfaces at
 * load. Plans for other batch sizes are made on first use and cached; each call borrows an arena from a pool, so
 * {@link #run} is thread-safe and allocates nothing but its outputs in steady state.
 *
 * <p>Threads: a batch of several images is cut into chunks of {@link Options#microBatch()} images that the threads
 * take in turn, each chunk one single-threaded forward pass (no synchronisation inside it); a single image is split
 * inside each large kernel instead. The pool belongs to the engine and {@link #close()} stops it.
 */
public final class JavaEngine implements Engine {
    public static final String NAME = "java";

    /**
     * Settings. {@code vector = false} forces the scalar kernels (also {@code -Dmfs.java.vector=false}).
     * {@code microBatch} caps the images one forward pass carries: a batch is cut into chunks of that size which the
     * threads take in turn. 1 (the default) keeps each pass's feature maps in L2 and measured ~5% faster per image
     * than whole batches of 8; larger chunks reuse token-linear weights across images.
     */
    public record Options(int threads, boolean vector, int microBatch) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, not " + threads);
            }
            if (microBatch < 1) {
                throw new IllegalArgumentException("microBatch must be >= 1, not " + microBatch);
            }
            if (vector && !Simd.available()) {
                throw new IllegalArgumentException("the Vector API is not available in this JVM "
                    + "(start it with --add-modules=jdk.incubator.vector)");
            }
        }

        public Options(final int threads, final boolean vector) {
            this(threads, vector, 1);
        }

        public static Options threads(final int threads) {
            return new Options(threads, Simd.enabledByDefault());
        }
    }

    private final Graph graph;
    private final Options options;
    private final Planner planner;
    private final Parallel pool;
    private final Map<Integer, Plan> plans = new ConcurrentHashMap<>();
    private final ArenaPool arenas = new ArenaPool();
    private final OpProfile profile = new OpProfile();
    /** Every output has the batch as its first axis, so chunks of a batch can run apart and be concatenated. */
    private final boolean splittable;
    private volatile boolean profiling;
    private volatile boolean closed;

    private JavaEngine(final Graph graph, final Options options) {
        this.graph = graph;
        this.options = options;
        this.planner = new Planner(graph.constants(), options.vector(), Ops::get);
        this.pool = Parallel.of(options.threads());
        this.splittable = batchLeads(graph);
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
            GraphOptimizer.run(g, options.vector());
            engine = new JavaEngine(g, options);
            engine.plan(1);
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

    @Override
    public Map<String, Tensor> run(final Tensor images) throws EngineException {
        if (closed) {
            throw new IllegalStateException("Trying to run a closed " + NAME + " engine.");
        }
        final int[] want = graph.inputShape();
        final int[] got = images.shape();
        if (got.length != want.length + 1 || !java.util.Arrays.equals(java.util.Arrays.copyOfRange(got, 1, got.length),
            want)) {
            throw new EngineException(EngineException.Kind.RUN, NAME, "input " + images + " does not match the model's "
                + "[N, " + java.util.Arrays.toString(want).replaceAll("[\\[\\]]", "") + "]");
        }
        final int n = got[0];
        try {
            final int chunks = (n + options.microBatch() - 1) / options.microBatch();
            if (chunks <= 1 || !splittable) {
                return runPlan(plan(n), images.data(), 0, pool);
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
            results[t] = runPlan(plan(to - from), images.data(), from * perImage, Parallel.SEQUENTIAL);
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

    private Map<String, Tensor> runPlan(final Plan plan, final float[] input, final int offset, final Parallel par) {
        final float[] arena = arenas.take(plan);
        try {
            final long[] nanos = profiling ? profile.accumulator(plan) : null;
            final Map<String, Tensor> out = plan.run(Map.of(graph.input(), input), offset, arena, par, nanos);
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

    private Plan plan(final int batch) {
        return plans.computeIfAbsent(batch, b -> {
            final int[] in = graph.inputShape();
            final int[] shape = new int[in.length + 1];
            shape[0] = b;
            System.arraycopy(in, 0, shape, 1, in.length);
            return planner.plan(graph.nodes(), Map.of(graph.input(), shape), graph.outputs(), b);
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        arenas.close();
        plans.clear();
    }
}
