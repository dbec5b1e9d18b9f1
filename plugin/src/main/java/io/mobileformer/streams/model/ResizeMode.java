package io.mobileformer.streams.model;

import java.util.Locale;

/** How a source frame is fitted to the model input ({@code mf.resize}). */
public enum ResizeMode {
    /** Scale width and height independently to the input size; aspect ratio is not kept. */
    STRETCH,
    /** Scale by one factor to fit, centre, and pad the rest with mid grey (128, 128, 128). */
    LETTERBOX;

    public static ResizeMode parse(final String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("mf.resize '" + value + "' is not one of stretch, letterbox", e);
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
