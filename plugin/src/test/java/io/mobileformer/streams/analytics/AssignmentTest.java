package io.mobileformer.streams.analytics;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AssignmentTest {

    @Test
    void findsTheOptimumWhereGreedyFails() {
        // greedy takes (0,0) at cost 1 and must then pay 10 for (1,1): total 11; the optimum is 2 + 2
        final double[][] cost = {{1, 2}, {2, 10}};
        assertArrayEquals(new int[] {1, 0}, Assignment.solve(cost, 100));
    }

    @Test
    void gatedPairsStayUnmatched() {
        final double[][] cost = {{0.1, 0.95}, {0.97, 0.99}};
        assertArrayEquals(new int[] {0, -1}, Assignment.solve(cost, 0.9));
    }

    @Test
    void rectangularEitherWay() {
        assertArrayEquals(new int[] {2, 0}, Assignment.solve(new double[][] {{5, 4, 1}, {1, 5, 5}}, 10));
        assertArrayEquals(new int[] {-1, 0, 1}, Assignment.solve(new double[][] {{9, 9}, {1, 9}, {9, 1}}, 10));
        assertArrayEquals(new int[0], Assignment.solve(new double[0][0], 1));
        assertArrayEquals(new int[] {-1, -1}, Assignment.solve(new double[2][0], 1));
    }

    @Test
    void matchesBruteForceOnRandomMatrices() {
        final SplittableRandom rng = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            final int rows = 1 + rng.nextInt(6);
            final int cols = 1 + rng.nextInt(6);
            final double[][] cost = new double[rows][cols];
            for (final double[] row : cost) {
                for (int j = 0; j < cols; j++) {
                    row[j] = rng.nextDouble();
                }
            }
            final double gate = 0.7;
            final int[] got = Assignment.solve(cost, gate);
            final double[] best = bruteForce(cost, gate, 0, new boolean[cols], 0, 0);
            int matched = 0;
            double total = 0;
            final boolean[] used = new boolean[cols];
            for (int r = 0; r < rows; r++) {
                if (got[r] >= 0) {
                    assertEquals(false, used[got[r]], "a column is used once");
                    used[got[r]] = true;
                    assertEquals(true, cost[r][got[r]] <= gate, "only allowed pairs");
                    matched++;
                    total += cost[r][got[r]];
                }
            }
            assertEquals(best[0], matched, "most pairs");
            assertEquals(best[1], total, 1e-9, "least cost among them");
        }
    }

    /** {most matches, least cost with that many} over every partial matching that respects the gate. */
    private static double[] bruteForce(final double[][] cost, final double gate, final int row, final boolean[] used,
                                       final int matched, final double total) {
        if (row == cost.length) {
            return new double[] {matched, total};
        }
        double[] best = bruteForce(cost, gate, row + 1, used, matched, total);
        for (int c = 0; c < cost[row].length; c++) {
            if (!used[c] && cost[row][c] <= gate) {
                used[c] = true;
                final double[] r = bruteForce(cost, gate, row + 1, used, matched + 1, total + cost[row][c]);
                used[c] = false;
                if (r[0] > best[0] || r[0] == best[0] && r[1] < best[1] - 1e-12) {
                    best = r;
                }
            }
        }
        return best;
    }

    @Test
    void nanIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Assignment.solve(new double[][] {{Double.NaN}}, 1));
    }
}
