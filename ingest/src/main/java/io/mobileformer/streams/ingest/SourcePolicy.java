package io.mobileformer.streams.ingest;

import io.mobileformer.streams.media.CredentialRedactor;
import org.apache.kafka.common.config.ConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which camera sources may be opened: a scheme allowlist, and for files one root directory that no path may leave.
 *
 * <p>FFmpeg opens far more than cameras ({@code concat:}, {@code subfile:}, {@code pipe:}, {@code data:}, any local
 * file), so a camera URL is a capability: whoever writes the configuration chooses what this process reads. Checks run
 * once, at start, and fail with a message that names the setting to change. A file path is resolved against the root,
 * normalized ({@code ..}), and then its real path (every symlink followed) must still lie under the root's real path.
 */
public final class SourcePolicy {
    /** Schemes this ingest knows how to open (and can restrict FFmpeg's nested protocols for). */
    public static final Set<String> SUPPORTED = Set.of("rtsp", "rtsps", "http", "https", "file");

    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");

    private final Set<String> allowed;
    private final Optional<Path> fileRoot;

    /**
     * @param allowedSchemes the {@code source.schemes} setting
     * @param fileRoot       the {@code source.file.root} setting; empty refuses every file source
     */
    public SourcePolicy(final List<String> allowedSchemes, final String fileRoot) {
        final Set<String> s = new TreeSet<>();
        for (final String scheme : allowedSchemes) {
            final String lower = scheme.trim().toLowerCase(Locale.ROOT);
            if (!SUPPORTED.contains(lower)) {
                throw new ConfigException(IngestConfig.SOURCE_SCHEMES, allowedSchemes, "scheme '" + scheme
                    + "' is not supported; choose from " + new TreeSet<>(SUPPORTED));
            }
            s.add(lower);
        }
        this.allowed = Set.copyOf(s);
        this.fileRoot = fileRoot == null || fileRoot.isBlank() ? Optional.empty() : Optional.of(Path.of(fileRoot));
    }

    public Set<String> allowedSchemes() {
        return allowed;
    }

    /**
     * Checks one camera URL against the policy.
     *
     * @throws ConfigException naming the camera, the reason and the setting that would allow it (credentials masked)
     */
    public SourceLocation resolve(final String cameraId, final String url) {
        CredentialRedactor.remember(url);
        final String shown = CredentialRedactor.redact(url);
        final Matcher m = SCHEME.matcher(url);
        // a bare path is a file; a one-letter "scheme" is a Windows drive, also a file
        final String scheme = m.find() && m.group(1).length() > 1 ? m.group(1).toLowerCase(Locale.ROOT) : "file";
        if (!allowed.contains(scheme)) {
            throw refused(cameraId, shown, "scheme '" + scheme + "' is not allowed (" + IngestConfig.SOURCE_SCHEMES
                + "=" + String.join(",", allowed) + ")" + (SUPPORTED.contains(scheme) ? "; add it to "
                + IngestConfig.SOURCE_SCHEMES + " if this source is trusted" : "; supported schemes are "
                + new TreeSet<>(SUPPORTED)));
        }
        if (!scheme.equals("file")) {
            return new SourceLocation(scheme, url, shown);
        }
        final Path real = file(cameraId, shown, filePath(url));
        return new SourceLocation(scheme, "file:" + real, "file:" + real);
    }

    private static String filePath(final String url) {
        if (url.regionMatches(true, 0, "file://", 0, 7)) {
            return url.substring(7);     // file:///abs -> /abs; file://host/x -> host/x (relative, stays under root)
        }
        if (url.regionMatches(true, 0, "file:", 0, 5)) {
            return url.substring(5);
        }
        return url;
    }

    private Path file(final String cameraId, final String shown, final String path) {
        final Path root = fileRoot.orElseThrow(() -> refused(cameraId, shown, "file sources are read only under "
            + IngestConfig.SOURCE_FILE_ROOT + ", which is not set; set it to the directory that holds the videos"));
        final Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (final IOException e) {
            throw refused(cameraId, shown, IngestConfig.SOURCE_FILE_ROOT + "=" + root + " is not a readable "
                + "directory: " + e.getMessage());
        }
        final Path candidate;
        try {
            candidate = realRoot.resolve(path).normalize();
        } catch (final InvalidPathException e) {
            throw refused(cameraId, shown, "not a valid path: " + e.getMessage());
        }
        if (!candidate.startsWith(realRoot)) {
            throw refused(cameraId, shown, "the path leads outside " + IngestConfig.SOURCE_FILE_ROOT + "=" + realRoot);
        }
        final Path real;
        try {
            real = candidate.toRealPath();
        } catch (final IOException e) {
            throw refused(cameraId, shown, "the file does not exist or cannot be read under " + realRoot);
        }
        if (!real.startsWith(realRoot)) {
            throw refused(cameraId, shown, "a symbolic link leads outside " + IngestConfig.SOURCE_FILE_ROOT + "="
                + realRoot);
        }
        if (!Files.isRegularFile(real) || !Files.isReadable(real)) {
            throw refused(cameraId, shown, "not a readable regular file");
        }
        return real;
    }

    private static ConfigException refused(final String cameraId, final String shown, final String why) {
        return new ConfigException("camera '" + cameraId + "' source " + shown + " refused: " + why);
    }
}
