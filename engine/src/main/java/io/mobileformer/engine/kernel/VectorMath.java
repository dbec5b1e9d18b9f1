package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector {@code exp}, as a loop over arrays rather than a function of a vector. Two JDK 17 traps shaped it:
 * <ul>
 *   <li>{@code convert(F2I)} is not intrinsified here, so the integer part is rounded with the 1.5 * 2^23 trick and
 *       read back from the float's bits (7.8 ns per element became 0.38);</li>
 *   <li>a vector-to-vector {@code exp} helper, once compiled on its own, is too big for C2 to inline into later
 *       callers, and every vector crossing the call is then boxed (~1 GB/s of garbage in the bridge softmaxes).
 *       A loop method takes and returns only arrays, so nothing needs inlining.</li>
 * </ul>
 */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MAGIC_BITS = Float.floatToRawIntBits(FastMath.ROUND_MAGIC) - 127;

    private VectorMath() {
    }

    /**
     * {@code y[i] = exp(a * x[i] - sub[so + i * sStep])} for i in [0, n) ({@code sStep} 0: one value for all);
     * the tail uses {@link FastMath#exp}. {@code y} may be {@code x}.
     */
    static void exp(final float[] x, final int xo, final float a, final float[] sub, final int so, final int sStep,
                    final float[] y, final int yo, final int n) {
        exp(x, xo, a, sub, so, sStep, y, yo, n, null, 0);
    }

    /**
     * Like {@link #exp(float[], int, float, float[], int, int, float[], int, int)}, also adding each result into
     * {@code acc[ao + i]} when {@code acc} is not null, and returning the sum of the results: the softmax sums
     * without a second pass over what was just written.
     */
    static float exp(final float[] x, final int xo, final float a, final float[] sub, final int so, final int sStep,
                     final float[] y, final int yo, final int n, final float[] acc, final int ao) {
        final boolean accumulate = acc != null;
        FloatVector total = FloatVector.zero(S);
        final int nv = n - n % L;
        final FloatVector va = FloatVector.broadcast(S, a);
        final FloatVector lo = FloatVector.broadcast(S, FastMath.EXP_LO);
        final FloatVector hi = FloatVector.broadcast(S, FastMath.EXP_HI);
        final FloatVector flush = FloatVector.broadcast(S, FastMath.EXP_FLUSH);
        final FloatVector log2e = FloatVector.broadcast(S, FastMath.LOG2E);
        final FloatVector magic = FloatVector.broadcast(S, FastMath.ROUND_MAGIC);
        final FloatVector zero = FloatVector.zero(S);
        final float[] s = sStep == 0 ? Scratch.get().splat(sub[so], 0) : sub;
        final int sBase = sStep == 0 ? 0 : so;
        for (int i = 0; i < nv; i += L) {
            final FloatVector in = FloatVector.fromArray(S, x, xo + i).mul(va)
                .sub(FloatVector.fromArray(S, s, sBase + i * sStep));
            final FloatVector v = in.max(lo).min(hi);
            final FloatVector shifted = v.fma(log2e, magic);
            final FloatVector k = shifted.sub(magic);
            final FloatVector r = v.sub(k.mul(FastMath.LN2_HI)).sub(k.mul(FastMath.LN2_LO));
            FloatVector p = r.mul(FastMath.P0).add(FastMath.P1).mul(r).add(FastMath.P2).mul(r).add(FastMath.P3)
                .mul(r).add(FastMath.P4).mul(r).add(FastMath.P5);
            p = p.fma(r.mul(r), r).add(1f);
            final IntVector bits = shifted.reinterpretAsInts().sub(MAGIC_BITS).lanewise(VectorOperators.LSHL, 23);
            final FloatVector e = p.mul(bits.reinterpretAsFloats()).blend(zero, in.lt(flush));
            e.intoArray(y, yo + i);
            total = total.add(e);
            if (accumulate) {
                e.add(FloatVector.fromArray(S, acc, ao + i)).intoArray(acc, ao + i);
            }
        }
        float sum = total.reduceLanes(VectorOperators.ADD);
        for (int i = nv; i < n; i++) {
            final float e = FastMath.exp(a * x[xo + i] - sub[so + i * sStep]);
            y[yo + i] = e;
            sum += e;
            if (accumulate) {
                acc[ao + i] += e;
            }
        }
        return sum;
    }
}
