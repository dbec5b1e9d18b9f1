package io.mobileformer.engine.kernel;

/**
 * Whether the Vector API kernels can run in this JVM. Checked once at class init: the incubator module must be
 * resolved ({@code --add-modules=jdk.incubator.vector}) and {@code -Dmfs.java.vector=false} must not be set. Vector
 * kernels live in their own classes ({@code *Vector}) that are loaded only when this says yes, so the scalar path
 * works in a JVM started without the module.
 */
public final class Simd {
    /** System property that forces the scalar kernels when set to {@code false}. */
    public static final String PROPERTY = "mfs.java.vector";

    private static final boolean AVAILABLE = probe();
    private static final boolean ENABLED = AVAILABLE && !"false".equalsIgnoreCase(System.getProperty(PROPERTY));

    private Simd() {
    }

    /** The module is present (whatever the property says). */
    public static boolean available() {
        return AVAILABLE;
    }

    /** The default for new engines: available and not switched off by {@value #PROPERTY}. */
    public static boolean enabledByDefault() {
        return ENABLED;
    }

    /** Float lanes of the preferred vector shape, or 1 where the Vector API is absent. */
    public static int lanes() {
        return AVAILABLE ? VectorShape.lanes() : 1;
    }

    private static boolean probe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            return VectorShape.lanes() >= 4;
        } catch (final LinkageError e) {
            return false;
        }
    }

    /** Kept apart so that {@link Simd} itself never links against the incubator module. */
    private static final class VectorShape {
        static int lanes() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        }
    }
}
