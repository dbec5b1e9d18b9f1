package io.mobileformer.streams.decode;

import java.util.Locale;
import java.util.Optional;

/** The payload kinds a {@code FrameEnvelope} may carry, with the FFmpeg demuxer that reads each. */
public enum ContentType {
    JPEG("image/jpeg", "jpeg_pipe", false),
    PNG("image/png", "png_pipe", false),
    MPEG_TS("video/mp2t", "mpegts", true),
    MP4("video/mp4", "mp4", true),
    MATROSKA("video/x-matroska", "matroska", true);

    private final String mime;
    private final String demuxer;
    private final boolean video;

    ContentType(final String mime, final String demuxer, final boolean video) {
        this.mime = mime;
        this.demuxer = demuxer;
        this.video = video;
    }

    public String mime() {
        return mime;
    }

    /** FFmpeg input format name; set explicitly so a payload is never probed as something else. */
    public String demuxer() {
        return demuxer;
    }

    public boolean isVideo() {
        return video;
    }

    /** Parses a MIME type, accepting common aliases and ignoring parameters ({@code video/mp4; codecs=...}). */
    public static Optional<ContentType> parse(final String value) {
        if (value == null) {
            return Optional.empty();
        }
        final String v = value.split(";")[0].trim().toLowerCase(Locale.ROOT);
        return Optional.ofNullable(switch (v) {
            case "image/jpeg", "image/jpg", "image/pjpeg" -> JPEG;
            case "image/png" -> PNG;
            case "video/mp2t", "video/mpegts", "video/mpeg-ts" -> MPEG_TS;
            case "video/mp4", "video/quicktime", "video/iso.segment" -> MP4;
            case "video/x-matroska", "video/matroska", "video/webm" -> MATROSKA;
            default -> null;
        });
    }
}
