package io.mobileformer.streams.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options plus positional arguments; unknown options are refused by name, so
 * a typo never silently falls back to a default.
 */
final class Args {
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    Args(final String[] argv, final Set<String> valued, final Set<String> flags) {
        for (int i = 0; i < argv.length; i++) {
            final String a = argv[i];
            if (a.startsWith("--")) {
                final String[] kv = a.substring(2).split("=", 2);
                final String name = kv[0];
                if (valued.contains(name)) {
                    if (kv.length == 2) {
                        options.put(name, kv[1]);
                    } else if (i + 1 < argv.length) {
                        options.put(name, argv[++i]);
                    } else {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                } else if (flags.contains(name)) {
                    options.put(name, "true");
                } else {
                    throw new IllegalArgumentException("unknown option --" + name + "; known: "
                        + String.join(", ", union(valued, flags).stream().map(s -> "--" + s).toList()));
                }
            } else {
                positional.add(a);
            }
        }
    }

    private static List<String> union(final Set<String> a, final Set<String> b) {
        final List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    String get(final String name, final String def) {
        return options.getOrDefault(name, def);
    }

    String require(final String name) {
        final String v = options.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    int getInt(final String name, final int def) {
        final String v = options.get(name);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, not '" + v + "'");
        }
    }

    double getDouble(final String name, final double def) {
        final String v = options.get(name);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, not '" + v + "'");
        }
    }

    boolean flag(final String name) {
        return options.containsKey(name);
    }

    List<String> positional() {
        return positional;
    }
}
