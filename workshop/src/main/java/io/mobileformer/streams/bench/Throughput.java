package io.mobileformer.streams.bench;

/** Items per second of a repeated call: a short warm-up, then as many calls as fit in the time given. */
public final class Throughput {

    /** One call of the measured work. */
    @FunctionalInterface
    public interface Call {
        void run() throws Exception;
    }

    private Throughput() {
    }

    /** @param itemsPerCall images per call (the batch size) */
    public static double measure(final Call call, final int itemsPerCall, final double seconds) throws Exception {
        for (int i = 0; i < 3; i++) {
            call.run();
        }
        long n = 0;
        final long start = System.nanoTime();
        while (System.nanoTime() - start < seconds * 1e9) {
            call.run();
            n += itemsPerCall;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }
}
