package io.mobileformer.streams.analytics;

/**
 * A constant-velocity Kalman filter over a box's centre, aspect ratio and height, the motion model of SORT and
 * ByteTrack: state {@code [cx, cy, a, h, vcx, vcy, va, vh]}, measurement {@code [cx, cy, a, h]} with
 * {@code a = width / height}. One step is one analysed frame. Process and measurement noise scale with the box height
 * (a near, large object moves more pixels per frame than a far, small one), with the weights those trackers use:
 * 1/20 of the height for position, 1/160 for velocity.
 *
 * <p>Static functions over caller-owned arrays: {@code mean} has 8 entries, {@code cov} is the 8 × 8 covariance,
 * row-major (64 entries). Nothing here allocates per call except small scratch arrays.
 */
final class KalmanBoxFilter {
    static final int DIM = 8;
    private static final double POS = 1.0 / 20;
    private static final double VEL = 1.0 / 160;

    private KalmanBoxFilter() {
    }

    /** {@code [cx, cy, a, h]} of a box {@code [x0, y0, x1, y1]}; a degenerate height is lifted to 1e-3 pixel. */
    static double[] measurement(final double x0, final double y0, final double x1, final double y1) {
        final double h = Math.max(1e-3, y1 - y0);
        return new double[] {(x0 + x1) / 2, (y0 + y1) / 2, Math.max(0, x1 - x0) / h, h};
    }

    /** The box {@code [x0, y0, x1, y1]} a state's position part describes. */
    static double[] box(final double[] mean) {
        final double h = mean[3];
        final double w = mean[2] * h;
        return new double[] {mean[0] - w / 2, mean[1] - h / 2, mean[0] + w / 2, mean[1] + h / 2};
    }

    /** A new track: at the measured box, not moving, uncertain about velocity. */
    static void initiate(final double[] z, final double[] mean, final double[] cov) {
        System.arraycopy(z, 0, mean, 0, 4);
        for (int i = 4; i < DIM; i++) {
            mean[i] = 0;
        }
        final double h = z[3];
        final double[] std = {2 * POS * h, 2 * POS * h, 1e-2, 2 * POS * h, 10 * VEL * h, 10 * VEL * h, 1e-5,
            10 * VEL * h};
        java.util.Arrays.fill(cov, 0);
        for (int i = 0; i < DIM; i++) {
            cov[i * DIM + i] = std[i] * std[i];
        }
    }

    /** One frame ahead: x = F x, P = F P Fᵀ + Q with F = [[I, I], [0, I]]. */
    static void predict(final double[] mean, final double[] cov) {
        final double h = mean[3];
        for (int i = 0; i < 4; i++) {
            mean[i] += mean[i + 4];
        }
        // F P: the top rows gain the velocity rows below them
        final double[] fp = cov.clone();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < DIM; c++) {
                fp[r * DIM + c] += cov[(r + 4) * DIM + c];
            }
        }
        // (F P) Fᵀ: the left columns gain the velocity columns to their right
        for (int r = 0; r < DIM; r++) {
            for (int c = 0; c < DIM; c++) {
                cov[r * DIM + c] = fp[r * DIM + c] + (c < 4 ? fp[r * DIM + c + 4] : 0);
            }
        }
        final double[] q = {POS * h, POS * h, 1e-2, POS * h, VEL * h, VEL * h, 1e-5, VEL * h};
        for (int i = 0; i < DIM; i++) {
            cov[i * DIM + i] += q[i] * q[i];
        }
    }

    /** Folds in a measurement {@code z = [cx, cy, a, h]}: K = P Hᵀ S⁻¹, x += K (z − H x), P −= K S Kᵀ. */
    static void update(final double[] mean, final double[] cov, final double[] z) {
        final double h = mean[3];
        final double[] r = {POS * h, POS * h, 1e-1, POS * h};
        // S = H P Hᵀ + R: the top-left 4 × 4 block of P
        final double[] s = new double[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                s[i * 4 + j] = cov[i * DIM + j];
            }
            s[i * 4 + i] += r[i] * r[i];
        }
        final double[] sInv = invert4(s);
        // P Hᵀ is the left 8 × 4 block of P; K = P Hᵀ S⁻¹ (8 × 4)
        final double[] k = new double[DIM * 4];
        for (int row = 0; row < DIM; row++) {
            for (int j = 0; j < 4; j++) {
                double acc = 0;
                for (int t = 0; t < 4; t++) {
                    acc += cov[row * DIM + t] * sInv[t * 4 + j];
                }
                k[row * 4 + j] = acc;
            }
        }
        final double[] y = new double[4];
        for (int i = 0; i < 4; i++) {
            y[i] = z[i] - mean[i];
        }
        for (int row = 0; row < DIM; row++) {
            double acc = 0;
            for (int j = 0; j < 4; j++) {
                acc += k[row * 4 + j] * y[j];
            }
            mean[row] += acc;
        }
        // K S Kᵀ = K (P Hᵀ)ᵀ since K S = P Hᵀ; computed from the old P, then kept exactly symmetric
        final double[] ph = new double[DIM * 4];
        for (int row = 0; row < DIM; row++) {
            for (int j = 0; j < 4; j++) {
                ph[row * 4 + j] = cov[row * DIM + j];
            }
        }
        for (int row = 0; row < DIM; row++) {
            for (int c = row; c < DIM; c++) {
                double acc = 0;
                for (int j = 0; j < 4; j++) {
                    acc += k[row * 4 + j] * ph[c * 4 + j];
                }
                final double v = cov[row * DIM + c] - acc;
                cov[row * DIM + c] = v;
                cov[c * DIM + row] = v;
            }
        }
    }

    /** Inverse of a symmetric positive-definite 4 × 4 matrix by Gauss-Jordan elimination with partial pivoting. */
    static double[] invert4(final double[] m) {
        final double[] a = m.clone();
        final double[] inv = new double[16];
        for (int i = 0; i < 4; i++) {
            inv[i * 4 + i] = 1;
        }
        for (int col = 0; col < 4; col++) {
            int piv = col;
            for (int r = col + 1; r < 4; r++) {
                if (Math.abs(a[r * 4 + col]) > Math.abs(a[piv * 4 + col])) {
                    piv = r;
                }
            }
            if (a[piv * 4 + col] == 0) {
                throw new ArithmeticException("singular innovation covariance");
            }
            if (piv != col) {
                swapRows(a, piv, col);
                swapRows(inv, piv, col);
            }
            final double d = a[col * 4 + col];
            for (int c = 0; c < 4; c++) {
                a[col * 4 + c] /= d;
                inv[col * 4 + c] /= d;
            }
            for (int r = 0; r < 4; r++) {
                if (r != col) {
                    final double f = a[r * 4 + col];
                    for (int c = 0; c < 4; c++) {
                        a[r * 4 + c] -= f * a[col * 4 + c];
                        inv[r * 4 + c] -= f * inv[col * 4 + c];
                    }
                }
            }
        }
        return inv;
    }

    private static void swapRows(final double[] a, final int r1, final int r2) {
        for (int c = 0; c < 4; c++) {
            final double t = a[r1 * 4 + c];
            a[r1 * 4 + c] = a[r2 * 4 + c];
            a[r2 * 4 + c] = t;
        }
    }
}
