package io.mobileformer.streams.analytics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KalmanBoxFilterTest {

    @Test
    void learnsAConstantVelocityAndPredictsAhead() {
        final double[] mean = new double[8];
        final double[] cov = new double[64];
        KalmanBoxFilter.initiate(KalmanBoxFilter.measurement(100, 50, 140, 130), mean, cov);
        for (int f = 1; f <= 20; f++) {
            KalmanBoxFilter.predict(mean, cov);
            KalmanBoxFilter.update(mean, cov, KalmanBoxFilter.measurement(100 + 3 * f, 50 - 2 * f, 140 + 3 * f,
                130 - 2 * f));
        }
        assertEquals(3, mean[4], 0.05, "x velocity learnt");
        assertEquals(-2, mean[5], 0.05, "y velocity learnt");
        KalmanBoxFilter.predict(mean, cov);
        final double[] box = KalmanBoxFilter.box(mean);
        assertEquals(100 + 3 * 21, box[0], 0.5);
        assertEquals(50 - 2 * 21, box[1], 0.5);
        assertEquals(140 + 3 * 21, box[2], 0.5);
        assertEquals(130 - 2 * 21, box[3], 0.5);
        for (int r = 0; r < 8; r++) {
            assertTrue(cov[r * 8 + r] > 0, "variances stay positive");
            for (int c = 0; c < 8; c++) {
                assertEquals(cov[r * 8 + c], cov[c * 8 + r], 1e-12, "symmetric");
            }
        }
    }

    @Test
    void measurementsPullTheStateAndShrinkItsUncertainty() {
        final double[] mean = new double[8];
        final double[] cov = new double[64];
        KalmanBoxFilter.initiate(KalmanBoxFilter.measurement(0, 0, 20, 40), mean, cov);
        KalmanBoxFilter.predict(mean, cov);
        final double before = cov[0];
        KalmanBoxFilter.update(mean, cov, KalmanBoxFilter.measurement(4, 0, 24, 40));
        assertTrue(mean[0] > 10 && mean[0] < 14, "between prediction (10) and measurement (14): " + mean[0]);
        assertTrue(cov[0] < before, "uncertainty shrinks");
    }

    @Test
    void invertsA4x4() {
        final double[] m = {4, 1, 0, 0.5, 1, 3, 0.2, 0, 0, 0.2, 2, 0.1, 0.5, 0, 0.1, 5};
        final double[] inv = KalmanBoxFilter.invert4(m);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                double acc = 0;
                for (int k = 0; k < 4; k++) {
                    acc += m[i * 4 + k] * inv[k * 4 + j];
                }
                assertEquals(i == j ? 1 : 0, acc, 1e-12);
            }
        }
    }
}
