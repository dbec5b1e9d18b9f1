package io.mobileformer.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector body of {@link LayerNorm}. */
public final class LayerNormVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private LayerNormVector() {
    }

    static void run(final float[] x, final int xo, final float[] y, final int yo, final int d, final float[] scale,
                    final float[] bias, final float eps, final int r0, final int r1) {
        final int dv = d - d % L;
        for (int r = r0; r < r1; r++) {
            final int xr = xo + r * d;
            final int yr = yo + r * d;
            FloatVector vs = FloatVector.zero(S);
            for (int i = 0; i < dv; i += L) {
                vs = vs.add(FloatVector.fromArray(S, x, xr + i));
            }
            float sum = vs.reduceLanes(VectorOperators.ADD);
            for (int i = dv; i < d; i++) {
                sum += x[xr + i];
            }
            final float mean = sum / d;
            final FloatVector vm = FloatVector.broadcast(S, mean);
            FloatVector vq = FloatVector.zero(S);
            for (int i = 0; i < dv; i += L) {
                final FloatVector c = FloatVector.fromArray(S, x, xr + i).sub(vm);
                vq = c.fma(c, vq);
            }
            float sq = vq.reduceLanes(VectorOperators.ADD);
            for (int i = dv; i < d; i++) {
                final float c = x[xr + i] - mean;
                sq += c * c;
            }
            final float inv = (float) (1.0 / Math.sqrt(sq / d + eps));
            for (int i = 0; i < dv; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xr + i).sub(vm).mul(inv)
                    .mul(FloatVector.fromArray(S, scale, i));
                if (bias != null) {
                    v = v.add(FloatVector.fromArray(S, bias, i));
                }
                v.intoArray(y, yr + i);
            }
            for (int i = dv; i < d; i++) {
                final float v = (x[xr + i] - mean) * inv * scale[i];
                y[yr + i] = bias == null ? v : v + bias[i];
            }
        }
    }
}
