package io.mobileformer.streams.model;

import java.util.List;
import java.util.Locale;

/** The output conventions a model can follow ({@code mf.format}); each names the outputs it requires, in order. */
public enum ModelFormat {
    /** Dense anchor-free: heatmap [N,K,h,w] after sigmoid, wh [N,2,h,w] in cells, offset [N,2,h,w] in [0,1). */
    CENTERNET("centernet", List.of("heatmap", "wh", "offset")),
    /** End-to-end set prediction: logits [N,Q,K+1] (last = no object), boxes [N,Q,4] normalized cx,cy,w,h. */
    DETR("detr", List.of("logits", "boxes"));

    private final String id;
    private final List<String> outputs;

    ModelFormat(final String id, final List<String> outputs) {
        this.id = id;
        this.outputs = outputs;
    }

    public String id() {
        return id;
    }

    public List<String> outputs() {
        return outputs;
    }

    public static ModelFormat parse(final String value) {
        for (final ModelFormat f : values()) {
            if (f.id.equals(value.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("mf.format '" + value + "' is not one of centernet, detr");
    }
}
