package io.mobileformer.engine.graph;

import io.mobileformer.engine.EngineException;
import io.mobileformer.engine.JavaEngine;

/**
 * Something in the model that this engine refuses, found while loading or planning. Unchecked inside the package so
 * operator code stays readable; {@link JavaEngine} turns it into an {@link EngineException} of the same kind.
 */
public final class GraphException extends RuntimeException {
    private final EngineException.Kind kind;

    private GraphException(final EngineException.Kind kind, final String message) {
        super(message);
        this.kind = kind;
    }

    /** The model uses an operator, attribute value or shape this engine does not implement. */
    public static GraphException unsupported(final Node node, final String detail) {
        return new GraphException(EngineException.Kind.UNSUPPORTED, "node '" + node.name() + "' (" + node.opType()
            + "): " + detail);
    }

    /** The model is malformed: shapes that do not agree, missing inputs. */
    public static GraphException invalid(final Node node, final String detail) {
        return new GraphException(EngineException.Kind.LOAD, "node '" + node.name() + "' (" + node.opType() + "): "
            + detail);
    }

    public static GraphException invalid(final String detail) {
        return new GraphException(EngineException.Kind.LOAD, detail);
    }

    EngineException.Kind kind() {
        return kind;
    }

    public EngineException toEngineException(final String engine) {
        return new EngineException(kind, engine, getMessage(), this);
    }
}
