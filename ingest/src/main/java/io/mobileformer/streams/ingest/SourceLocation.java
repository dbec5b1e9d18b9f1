package io.mobileformer.streams.ingest;

/**
 * A camera source that passed the {@link SourcePolicy}: what FFmpeg opens, and what may be shown.
 *
 * @param scheme  lower-case scheme: rtsp, rtsps, http, https or file
 * @param input   the string given to FFmpeg; may hold credentials, so never log it (use {@link #display()})
 * @param display the same location with credentials masked
 */
public record SourceLocation(String scheme, String input, String display) {

    public boolean isFile() {
        return scheme.equals("file");
    }

    public boolean isRtsp() {
        return scheme.startsWith("rtsp");
    }

    /**
     * The protocols FFmpeg may open for this source, nested ones included ({@code protocol_whitelist}). Limiting them
     * per source means an HTTPS playlist cannot make FFmpeg read {@code file:} URLs or other hosts' schemes that the
     * scheme allowlist did not grant.
     */
    public String protocolWhitelist() {
        return switch (scheme) {
            case "rtsp" -> "rtsp,rtp,srtp,tcp,udp";
            case "rtsps" -> "rtsp,rtsps,rtp,srtp,tcp,udp,tls";
            case "http" -> "http,tcp,crypto";
            case "https" -> "https,tls,tcp,crypto";
            case "file" -> "file";
            default -> throw new IllegalStateException("no protocol whitelist for scheme " + scheme);
        };
    }

    @Override
    public String toString() {
        return display;
    }
}
