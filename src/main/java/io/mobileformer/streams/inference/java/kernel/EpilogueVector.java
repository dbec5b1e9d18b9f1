package io.mobileformer.streams.inference.java.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector form of {@link Epilogue#apply}: whole vectors along the row, the scalar path for the tail. */
final class EpilogueVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private EpilogueVector() {
    }

    static void apply(final Epilogue ep, final float[] c, final int cOff, final int ldc, final int row0,
                      final int rows, final int col0, final int cols, final Epilogue.Inputs in) {
        final int vecCols = cols - cols % L;
        final Activation act = ep.activation();
        final FloatVector lo = FloatVector.broadcast(S, ep.lo());
        final FloatVector hi = FloatVector.broadcast(S, ep.hi());
        final boolean perRowSlope = in.slopeLd() == 0;
        for (int r = 0; r < rows; r++) {
            final int row = row0 + r;
            final int o = cOff + r * ldc;
            final FloatVector br = FloatVector.broadcast(S, ep.biasRow() == null ? 0f : ep.biasRow()[row]);
            FloatVector s1 = null;
            FloatVector s2 = null;
            if (act == Activation.DYRELU && perRowSlope) {
                s1 = FloatVector.broadcast(S, in.slope1()[in.slope1Off() + row]);
                s2 = FloatVector.broadcast(S, in.slope2()[in.slope2Off() + row]);
            }
            final int resRow = ep.residual() ? in.resOff() + row * in.resLd() + col0 : 0;
            final int slopeRow = perRowSlope ? 0 : row * in.slopeLd() + col0;
            for (int j = 0; j < vecCols; j += L) {
                FloatVector v = FloatVector.fromArray(S, c, o + j).add(br);
                if (ep.biasCol() != null) {
                    v = v.add(FloatVector.fromArray(S, ep.biasCol(), col0 + j));
                }
                if (ep.residual()) {
                    v = v.add(FloatVector.fromArray(S, in.residual(), resRow + j));
                }
                switch (act) {
                    case RELU -> v = v.max(0f);
                    case CLIP -> v = v.max(lo).min(hi);
                    case DYRELU -> {
                        if (perRowSlope) {
                            v = v.mul(s1).max(v.mul(s2));
                        } else {
                            v = v.mul(FloatVector.fromArray(S, in.slope1(), in.slope1Off() + slopeRow + j))
                                .lanewise(VectorOperators.MAX,
                                    v.mul(FloatVector.fromArray(S, in.slope2(), in.slope2Off() + slopeRow + j)));
                        }
                    }
                    default -> {
                    }
                }
                v.intoArray(c, o + j);
            }
            if (vecCols < cols) {
                ep.applyScalar(c, o + vecCols, ldc, row, 1, col0 + vecCols, cols - vecCols, in);
            }
        }
    }
}
