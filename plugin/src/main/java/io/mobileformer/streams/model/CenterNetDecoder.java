package io.mobileformer.streams.model;

import io.mobileformer.engine.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Decodes dense CenterNet outputs: a cell is a peak when no cell of its 3x3 neighbourhood in the same class plane is
 * higher (the 3x3 max-pool rule of {@code training/mobile_former/detection.py}); the top-k peaks above the threshold
 * become boxes {@code centre = (cell + offset) * stride}, {@code size = wh * stride}. No NMS: peaks are already local
 * maxima.
 */
public final class CenterNetDecoder implements OutputDecoder {
    private final List<String> labels;
    private final int stride;
    private final float threshold;
    private final int maxDetections;

    public CenterNetDecoder(final List<String> labels, final int stride, final float threshold, final int maxDetections) {
        this.labels = List.copyOf(labels);
        this.stride = stride;
        this.threshold = threshold;
        this.maxDetections = maxDetections;
    }

    @Override
    public List<List<Detection>> decode(final Map<String, Tensor> outputs) {
        final Tensor heat = outputs.get("heatmap");
        final Tensor wh = outputs.get("wh");
        final Tensor off = outputs.get("offset");
        final int n = heat.dim(0);
        final int k = heat.dim(1);
        final int h = heat.dim(2);
        final int w = heat.dim(3);
        final float[] hm = heat.data();
        final float[] whd = wh.data();
        final float[] od = off.data();
        final int plane = h * w;
        final List<List<Detection>> result = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            // min-heap of (score, flat index) keeping the best maxDetections peaks
            final PriorityQueue<long[]> best = new PriorityQueue<>((p, q) -> Float.compare(
                Float.intBitsToFloat((int) p[0]), Float.intBitsToFloat((int) q[0])));
            for (int c = 0; c < k; c++) {
                final int base = (b * k + c) * plane;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        final float v = hm[base + y * w + x];
                        if (v < threshold || !isPeak(hm, base, w, h, x, y, v)) {
                            continue;
                        }
                        if (best.size() < maxDetections) {
                            best.add(new long[] {Float.floatToIntBits(v), (long) c * plane + y * w + x});
                        } else if (v > Float.intBitsToFloat((int) best.peek()[0])) {
                            best.poll();
                            best.add(new long[] {Float.floatToIntBits(v), (long) c * plane + y * w + x});
                        }
                    }
                }
            }
            final List<Detection> dets = new ArrayList<>(best.size());
            for (final long[] p : best) {
                final int c = (int) (p[1] / plane);
                final int cell = (int) (p[1] % plane);
                final int y = cell / w;
                final int x = cell % w;
                final int o = b * 2 * plane + cell;
                final float cx = (x + od[o]) * stride;
                final float cy = (y + od[o + plane]) * stride;
                final float bw = whd[o] * stride;
                final float bh = whd[o + plane] * stride;
                dets.add(new Detection(c, label(c), Float.intBitsToFloat((int) p[0]), cx - bw / 2, cy - bh / 2,
                    cx + bw / 2, cy + bh / 2));
            }
            dets.sort((p, q) -> Float.compare(q.score(), p.score()));
            result.add(dets);
        }
        return result;
    }

    private static boolean isPeak(final float[] hm, final int base, final int w, final int h, final int x, final int y,
                                  final float v) {
        for (int dy = -1; dy <= 1; dy++) {
            final int yy = y + dy;
            if (yy < 0 || yy >= h) {
                continue;
            }
            for (int dx = -1; dx <= 1; dx++) {
                final int xx = x + dx;
                if (xx >= 0 && xx < w && hm[base + yy * w + xx] > v) {
                    return false;
                }
            }
        }
        return true;
    }

    private String label(final int c) {
        return c < labels.size() ? labels.get(c) : "class-" + c;
    }
}
