package io.mobileformer.streams.model;

import io.mobileformer.engine.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decodes DETR-style set predictions: per query a softmax over K+1 classes; the score is the best real class (the
 * last class is "no object"); boxes are normalized cx, cy, w, h scaled to the input. No NMS.
 */
public final class DetrDecoder implements OutputDecoder {
    private final List<String> labels;
    private final int width;
    private final int height;
    private final float threshold;
    private final int maxDetections;

    public DetrDecoder(final List<String> labels, final int width, final int height, final float threshold,
                       final int maxDetections) {
        this.labels = List.copyOf(labels);
        this.width = width;
        this.height = height;
        this.threshold = threshold;
        this.maxDetections = maxDetections;
    }

    @Override
    public List<List<Detection>> decode(final Map<String, Tensor> outputs) {
        final Tensor logits = outputs.get("logits");
        final Tensor boxes = outputs.get("boxes");
        final int n = logits.dim(0);
        final int q = logits.dim(1);
        final int k1 = logits.dim(2);
        final float[] l = logits.data();
        final float[] bx = boxes.data();
        final List<List<Detection>> result = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            final List<Detection> dets = new ArrayList<>();
            for (int i = 0; i < q; i++) {
                final int base = (b * q + i) * k1;
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < k1; c++) {
                    max = Math.max(max, l[base + c]);
                }
                double sum = 0;
                for (int c = 0; c < k1; c++) {
                    sum += Math.exp(l[base + c] - max);
                }
                int bestClass = 0;
                float bestLogit = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < k1 - 1; c++) {
                    if (l[base + c] > bestLogit) {
                        bestLogit = l[base + c];
                        bestClass = c;
                    }
                }
                final float score = (float) (Math.exp(bestLogit - max) / sum);
                if (score < threshold) {
                    continue;
                }
                final int o = (b * q + i) * 4;
                final float cx = bx[o] * width;
                final float cy = bx[o + 1] * height;
                final float w = bx[o + 2] * width;
                final float h = bx[o + 3] * height;
                dets.add(new Detection(bestClass, bestClass < labels.size() ? labels.get(bestClass) : "class-" + bestClass,
                    score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2));
            }
            dets.sort((p, r) -> Float.compare(r.score(), p.score()));
            result.add(dets.size() > maxDetections ? new ArrayList<>(dets.subList(0, maxDetections)) : dets);
        }
        return result;
    }
}
