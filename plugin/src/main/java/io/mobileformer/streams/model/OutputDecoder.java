package io.mobileformer.streams.model;

import io.mobileformer.engine.Tensor;

import java.util.List;
import java.util.Map;

/** Turns a model's raw outputs for a batch into detections in model-input pixels, one list per image. */
public interface OutputDecoder {

    List<List<Detection>> decode(Map<String, Tensor> outputs);

    static OutputDecoder forContract(final ModelContract c, final float scoreThreshold, final int maxDetections) {
        return switch (c.format()) {
            case CENTERNET -> new CenterNetDecoder(c.labels(), c.stride(), scoreThreshold, maxDetections);
            case DETR -> new DetrDecoder(c.labels(), c.inputWidth(), c.inputHeight(), scoreThreshold, maxDetections);
        };
    }
}
