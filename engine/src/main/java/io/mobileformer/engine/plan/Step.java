package io.mobileformer.engine.plan;

import io.mobileformer.engine.kernel.Parallel;

/**
 * One bound kernel call of a plan. Steps hold no per-call state: the arena of the call comes in as an argument, so
 * the same plan may run on several threads at once.
 */
@FunctionalInterface
public interface Step {
    void run(float[] arena, Parallel par);
}
