package io.mobileformer.engine.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The attributes of one node, typed as ONNX stores them (INT, INTS, FLOAT, FLOATS, STRING). Getters take the ONNX
 * default so each operator reads like its specification page.
 */
public final class Attributes {
    public static final Attributes NONE = new Attributes(Map.of());

    private final Map<String, Object> values;

    public Attributes(final Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    boolean has(final String name) {
        return values.containsKey(name);
    }

    public long getInt(final String name, final long dflt) {
        final Object v = values.get(name);
        return v == null ? dflt : ((Number) v).longValue();
    }

    public float getFloat(final String name, final float dflt) {
        final Object v = values.get(name);
        return v == null ? dflt : ((Number) v).floatValue();
    }

    public String getString(final String name, final String dflt) {
        final Object v = values.get(name);
        return v == null ? dflt : (String) v;
    }

    public long[] getInts(final String name, final long[] dflt) {
        final Object v = values.get(name);
        return v == null ? dflt : ((long[]) v).clone();
    }

    float[] getFloats(final String name, final float[] dflt) {
        final Object v = values.get(name);
        return v == null ? dflt : ((float[]) v).clone();
    }

    /** A copy with one attribute set: how fusion passes record what they fused. */
    public Attributes with(final String name, final Object value) {
        final Map<String, Object> m = new LinkedHashMap<>(values);
        m.put(name, value);
        return new Attributes(m);
    }

    Map<String, Object> asMap() {
        return values;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
