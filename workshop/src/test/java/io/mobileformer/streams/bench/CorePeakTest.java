package io.mobileformer.streams.bench;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorePeakTest {

    @Test
    void theCpuinfoRuleCountsTwoPipesOfTheWidestFma() {
        assertEquals(2.0 * 16 * 2 * 2.0, CorePeak.of(Set.of("avx512f", "avx2", "fma"), 2000, "x").gflops(), 1e-9);
        assertEquals(2.0 * 8 * 2 * 3.0, CorePeak.of(Set.of("avx2", "fma"), 3000, "x").gflops(), 1e-9);
        assertEquals(2.0 * 4 * 2 * 1.0, CorePeak.of(Set.of("sse2"), 1000, "x").gflops(), 1e-9);
    }

    /** The child JVM really runs and its figure comes back (a fallback to this JVM would say so in the assumption). */
    @Test
    void thePeakIsMeasuredInAJvmOfItsOwn() {
        final CorePeak peak = CorePeak.measureApart();
        assertTrue(peak.assumption().endsWith("; in a JVM of its own"), peak.assumption());
        assertTrue(peak.gflops() > 0, peak.assumption());
    }
}
