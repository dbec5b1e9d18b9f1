package io.mobileformer.engine.plan;

import io.mobileformer.engine.Tensor;
import io.mobileformer.engine.kernel.Parallel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The graph compiled for one batch size: bound steps in execution order, the arena size they need, and where the
 * input and outputs sit in the arena. Immutable and stateless: each call brings its own arena (see
 * {@link ArenaPool}), so concurrent calls share one plan.
 */
public final class Plan {
    /**
     * A bound step and what profiles call it: its kind ({@code label}) and the shapes of its first two inputs
     * ({@code shapes}, e.g. {@code [1,36,64,64]x[36,1,3,3]}), to tell apart steps of one kind.
     */
    public record PlannedStep(String label, Step step, long madds, String shapes) {
    }

    private final int batch;
    private final List<PlannedStep> steps;
    private final int arenaSize;
    private final Map<String, Operand> inputs;
    private final Map<String, Operand> outputs;

    Plan(final int batch, final List<PlannedStep> steps, final int arenaSize, final Map<String, Operand> inputs,
         final Map<String, Operand> outputs) {
        this.batch = batch;
        this.steps = List.copyOf(steps);
        this.arenaSize = arenaSize;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** Images one pass of this plan carries. */
    public int batch() {
        return batch;
    }

    public int arenaSize() {
        return arenaSize;
    }

    public List<PlannedStep> steps() {
        return steps;
    }

    Map<String, Operand> outputs() {
        return outputs;
    }

    /**
     * Copies {@code input} (one value per graph input, row-major, starting at the given offset) into the arena, runs
     * every step and returns copies of the outputs. {@code profile}, when not null, accumulates nanoseconds per step.
     */
    public Map<String, Tensor> run(final Map<String, float[]> input, final int inputOffset, final float[] arena,
                            final Parallel par, final long[] profile) {
        for (final Map.Entry<String, Operand> e : inputs.entrySet()) {
            final Operand o = e.getValue();
            System.arraycopy(input.get(e.getKey()), inputOffset, arena, o.offset(), o.size());
        }
        if (profile == null) {
            for (final PlannedStep s : steps) {
                s.step().run(arena, par);
            }
        } else {
            for (int i = 0; i < steps.size(); i++) {
                final long t0 = System.nanoTime();
                steps.get(i).step().run(arena, par);
                profile[i] += System.nanoTime() - t0;
            }
        }
        final Map<String, Tensor> result = new LinkedHashMap<>();
        for (final Map.Entry<String, Operand> e : outputs.entrySet()) {
            final Operand o = e.getValue();
            final float[] data = new float[o.size()];
            System.arraycopy(o.array(arena), o.offset(), data, 0, data.length);
            result.put(e.getKey(), new Tensor(data, o.shape()));
        }
        return result;
    }
}
