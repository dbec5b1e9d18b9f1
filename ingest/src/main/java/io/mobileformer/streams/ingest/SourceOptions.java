package io.mobileformer.streams.ingest;

/**
 * How every camera connection is opened and watched; from the {@code source.*} settings.
 *
 * @param ioTimeoutMs    socket timeout for connecting and reading (FFmpeg {@code timeout} / {@code rw_timeout})
 * @param stallTimeoutMs no video packet for this long means the connection is dead
 * @param rtspTransport  RTSP lower transport ({@code tcp}, {@code udp}, ...)
 * @param fileRealtime   pace file sources at their frame rate
 * @param fileLoop       start a file source again when it ends
 */
public record SourceOptions(long ioTimeoutMs, long stallTimeoutMs, String rtspTransport, boolean fileRealtime,
                            boolean fileLoop) {

    static SourceOptions of(final IngestConfig c) {
        return new SourceOptions(c.getLong(IngestConfig.SOURCE_IO_TIMEOUT_MS),
            c.getLong(IngestConfig.SOURCE_STALL_TIMEOUT_MS), c.getString(IngestConfig.SOURCE_RTSP_TRANSPORT),
            c.getBoolean(IngestConfig.SOURCE_FILE_REALTIME), c.getBoolean(IngestConfig.SOURCE_FILE_LOOP));
    }
}
