package io.mobileformer.streams.media;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes camera credentials from text before it is logged, stored in a health record or put in an exception message.
 *
 * <p>Two layers, because either alone leaks: the user-info part of any URL ({@code rtsp://user:pass@host} becomes
 * {@code rtsp://***@host}) and secret-looking query parameters ({@code ?password=}, {@code token=}, ...) are masked
 * by pattern, and every password {@linkplain #remember registered} from the configured camera URLs is masked verbatim
 * wherever it appears (a URL that does not parse as one, a message that quotes only the password, its percent-decoded
 * form). The registry is process-wide on purpose: FFmpeg's log callback is process-wide too, and it must mask what any
 * camera's connection prints.
 */
public final class CredentialRedactor {
    /** What replaces a secret. */
    public static final String MASK = "***";

    // scheme://userinfo@ : greedy up to the last '@' before the path, so an unencoded '@' in a password is covered
    private static final Pattern USERINFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/\\s\"'<>]*@");
    private static final Pattern SECRET_PARAM = Pattern.compile(
        "(?i)([?&;](?:password|passwd|pwd|pass|token|access_token|auth|apikey|api_key|key|secret|signature|sig)=)"
            + "[^&;\\s\"'<>]*");
    private static final Pattern LEADING_USERINFO = Pattern.compile("(?i)^[a-z][a-z0-9+.-]*://([^/\\s]*)@");
    private static final Set<String> SECRETS = new CopyOnWriteArraySet<>();

    private CredentialRedactor() {
    }

    /**
     * Registers the user info of a camera URL (raw and percent-decoded, whole and password alone) so that it is masked
     * even where it does not appear as part of a URL.
     */
    public static void remember(final String url) {
        final Matcher m = LEADING_USERINFO.matcher(url);
        if (!m.find()) {
            return;
        }
        final String userInfo = m.group(1);
        addSecret(userInfo);
        final int colon = userInfo.indexOf(':');
        if (colon >= 0) {
            addSecret(userInfo.substring(colon + 1));
        }
    }

    private static void addSecret(final String raw) {
        // very short secrets would mask ordinary words; the URL pattern still covers them inside URLs
        if (raw.length() >= 4) {
            SECRETS.add(raw);
            final String decoded = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
            if (decoded.length() >= 4) {
                SECRETS.add(decoded);
            }
        }
    }

    /** The text with every URL user-info part, secret query parameter and registered secret masked. */
    public static String redact(final String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = USERINFO.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
        out = SECRET_PARAM.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        for (final String s : SECRETS) {
            out = out.replace(s, MASK);
        }
        return out;
    }

    /** A one-line description of an error and its causes (class and redacted message of each), safe to log. */
    public static String describe(final Throwable error) {
        final StringBuilder sb = new StringBuilder();
        Throwable t = error;
        for (int depth = 0; t != null && depth < 5; depth++, t = t.getCause()) {
            if (depth > 0) {
                sb.append("; caused by ");
            }
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                sb.append(": ").append(redact(t.getMessage()));
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return sb.toString();
    }
}
