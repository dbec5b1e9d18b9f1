package io.mobileformer.streams.view;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;

/**
 * Who may read the view: anyone (the default, for a view bound to loopback), or whoever presents HTTP basic
 * credentials or a bearer token taken from the environment. Browsers use basic auth (they ask once and send it with
 * the page, the event stream and every frame); scripts may send {@code Authorization: Bearer <token>}.
 *
 * <p>Environment: {@code MFS_VIEW_USER} and {@code MFS_VIEW_PASSWORD} (both, for basic auth), {@code MFS_VIEW_TOKEN}
 * (bearer). Secrets never come from files or the command line, where they would show in {@code ps} and in
 * version control. Comparisons take the same time whatever the input.
 */
public final class ViewAuth {
    public static final String ENV_USER = "MFS_VIEW_USER";
    public static final String ENV_PASSWORD = "MFS_VIEW_PASSWORD";
    public static final String ENV_TOKEN = "MFS_VIEW_TOKEN";

    private final byte[] basic;
    private final byte[] bearer;

    private ViewAuth(final String user, final String password, final String token) {
        this.basic = user == null ? null : ("Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
            .getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8);
        this.bearer = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    /** No authentication: for a view only this host can reach. */
    public static ViewAuth none() {
        return new ViewAuth(null, null, null);
    }

    public static ViewAuth basic(final String user, final String password) {
        return new ViewAuth(user, password, null);
    }

    public static ViewAuth bearer(final String token) {
        return new ViewAuth(null, null, token);
    }

    /** From {@link #ENV_USER}, {@link #ENV_PASSWORD} and {@link #ENV_TOKEN}; a user without a password is refused. */
    public static ViewAuth fromEnv(final Map<String, String> env) {
        final String user = blankToNull(env.get(ENV_USER));
        final String password = blankToNull(env.get(ENV_PASSWORD));
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("set both " + ENV_USER + " and " + ENV_PASSWORD + " for basic auth, "
                + "or neither");
        }
        if (user != null && user.indexOf(':') >= 0) {
            throw new IllegalArgumentException(ENV_USER + " may not contain ':' (HTTP basic auth splits on it)");
        }
        return new ViewAuth(user, password, blankToNull(env.get(ENV_TOKEN)));
    }

    private static String blankToNull(final String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Whether any credential is required. */
    public boolean required() {
        return basic != null || bearer != null;
    }

    /** Whether basic auth is one way in (then a 401 invites the browser to ask). */
    boolean offersBasic() {
        return basic != null;
    }

    /** Whether a request with this {@code Authorization} header (or none) may read. */
    boolean allows(final String authorization) {
        if (!required()) {
            return true;
        }
        if (authorization == null) {
            return false;
        }
        final byte[] given = authorization.trim().getBytes(StandardCharsets.UTF_8);
        final boolean b = basic != null && MessageDigest.isEqual(basic, given);
        final boolean t = bearer != null && MessageDigest.isEqual(bearer, given);
        return b | t;
    }

    /** For the start line: what is required, never the secrets. */
    String describe() {
        if (!required()) {
            return "no authentication";
        }
        return (basic != null ? "basic auth" : "") + (basic != null && bearer != null ? " or " : "")
            + (bearer != null ? "bearer token" : "");
    }
}
