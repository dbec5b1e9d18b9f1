package io.mobileformer.streams.bench;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel's per-thread figures found by the Java thread's name (Linux, where the tests run). */
class ThreadSchedTest {

    @Test
    void aBusyThreadIsFoundByNameAndItsTimeOnACoreGrows() throws Exception {
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch started = new CountDownLatch(1);
        final Thread busy = new Thread(() -> {
            started.countDown();
            long x = 0;
            while (!stop.get()) {
                x += System.nanoTime() & 1;
            }
            assertTrue(x >= 0);
        }, "sched-probe-busy-thread-with-a-long-name");
        busy.start();
        try {
            started.await();
            final ThreadSched first = ThreadSched.of("sched-probe-busy-thread-with-a-long-name");
            final long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(busy.getId());
            while (java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(busy.getId())
                < cpu0 + 50_000_000L) {
                Thread.sleep(5);
            }
            final ThreadSched grown = ThreadSched.of("sched-probe").since(first);
            assertTrue(grown.onCpuNanos() >= 40_000_000L, "the kernel's count follows the JVM's: " + grown);
            assertTrue(grown.slices() >= 1, grown.toString());
        } finally {
            stop.set(true);
            busy.join();
        }
        assertEquals(new ThreadSched(0, 0, 0), ThreadSched.of("no-such-thread"));
    }
}
