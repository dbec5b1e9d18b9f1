package io.mobileformer.streams.analytics;

import java.util.Arrays;

/**
 * Minimum-cost bipartite assignment (the Hungarian method in its shortest-augmenting-path form with row and column
 * potentials, O(n²m)), with a gate: a pair whose cost exceeds {@code maxCost} is never matched. Pure and deterministic:
 * ties resolve by row and column order, so the same matrix always gives the same matching.
 *
 * <p>A greedy "best IoU first" matcher would be cheaper, but it lets one track take a detection that two tracks need
 * and leaves the other unmatched; with crowded, crossing objects that is exactly the identity switch a tracker exists
 * to avoid. The matrices here are small (tracks × detections of one frame), so the exact solution costs microseconds.
 */
public final class Assignment {
    /** Stands in for a gated-out pair: large enough that no optimum uses it while an allowed pair is possible. */
    private static final double FORBIDDEN = 1e9;

    private Assignment() {
    }

    /**
     * @param cost    {@code cost[row][col]}, rows and columns in any number (a rectangular matrix is fine)
     * @param maxCost pairs costing more are not matched
     * @return for each row, its matched column, or -1
     */
    public static int[] solve(final double[][] cost, final double maxCost) {
        final int rows = cost.length;
        final int cols = rows == 0 ? 0 : cost[0].length;
        final int[] out = new int[rows];
        Arrays.fill(out, -1);
        if (rows == 0 || cols == 0) {
            return out;
        }
        final boolean transpose = rows > cols;
        final int n = transpose ? cols : rows;
        final int m = transpose ? rows : cols;
        final double[][] a = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                final double c = transpose ? cost[j][i] : cost[i][j];
                if (Double.isNaN(c)) {
                    throw new IllegalArgumentException("cost[" + (transpose ? j : i) + "][" + (transpose ? i : j)
                        + "] is NaN");
                }
                a[i][j] = c > maxCost ? FORBIDDEN : c;
            }
        }
        final int[] colOfRow = minimise(a, n, m);
        for (int i = 0; i < n; i++) {
            final int j = colOfRow[i];
            if (a[i][j] >= FORBIDDEN) {
                continue;
            }
            if (transpose) {
                out[j] = i;
            } else {
                out[i] = j;
            }
        }
        return out;
    }

    /** Every row of the n × m matrix (n ≤ m) assigned to a distinct column at minimum total cost. */
    private static int[] minimise(final double[][] a, final int n, final int m) {
        // 1-based: column 0 is the virtual start of each augmenting path; p[j] is the row holding column j
        final double[] u = new double[n + 1];
        final double[] v = new double[m + 1];
        final int[] p = new int[m + 1];
        final int[] way = new int[m + 1];
        final double[] minv = new double[m + 1];
        final boolean[] used = new boolean[m + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            Arrays.fill(used, false);
            do {
                used[j0] = true;
                final int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = 0;
                for (int j = 1; j <= m; j++) {
                    if (!used[j]) {
                        final double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
                        if (cur < minv[j]) {
                            minv[j] = cur;
                            way[j] = j0;
                        }
                        if (minv[j] < delta) {
                            delta = minv[j];
                            j1 = j;
                        }
                    }
                }
                for (int j = 0; j <= m; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                final int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        final int[] colOfRow = new int[n];
        for (int j = 1; j <= m; j++) {
            if (p[j] != 0) {
                colOfRow[p[j] - 1] = j - 1;
            }
        }
        return colOfRow;
    }
}
