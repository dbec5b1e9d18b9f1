package io.mobileformer.streams.view;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A running live view: a topic reader, a frame renderer and the web server, started together and closed together.
 * Reads only; its consumers belong to a group of its own ({@code mfs-view-<random>}, no offsets committed) and
 * start at the end of each topic: it shows what happens from now on.
 *
 * <p>Cost: one thread reading detections, dead letters, tracks and events (small records); one thread that fetches
 * and decodes only the input records of the frames it draws, at most {@code maxFps} per camera; one thread per open
 * page. Nothing here can hold up the pipeline: it reads what the pipeline has committed, on its own connections.
 */
public final class LiveView implements AutoCloseable {
    /** How to serve: where, who may look, and how many frames per camera per second are drawn. */
    public record Options(String bind, int port, ViewAuth auth, double maxFps, double minScore) {
        public Options {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("view port must be in 0..65535 (0: any free port): " + port);
            }
            if (!(maxFps > 0 && maxFps <= 30)) {
                throw new IllegalArgumentException("view frames per second must be in (0, 30]: " + maxFps);
            }
            if (!(minScore >= 0 && minScore <= 1)) {
                throw new IllegalArgumentException("view minimum score must be in [0, 1]: " + minScore);
            }
        }

        /** Loopback, unauthenticated unless the environment says otherwise, 2 frames per camera per second. */
        public static Options loopback(final int port, final double minScore) {
            return new Options("127.0.0.1", port, ViewAuth.fromEnv(System.getenv()), 2, minScore);
        }
    }

    private final ViewState state;
    private final TopicReader reader;
    private final Thread readerThread;
    private final Thread rendererThread;
    private final ViewServer server;
    private final ViewAuth auth;

    private LiveView(final Map<String, Object> kafka, final List<ViewSources> sources, final Options options)
        throws IOException {
        this.auth = options.auth();
        this.state = new ViewState(sources.stream().flatMap(s -> s.all().stream()).distinct().toList(),
            (float) options.minScore());
        this.reader = new TopicReader(consumer(kafka, "mfs-view-" + UUID.randomUUID(), 1 << 20), sources, state);
        final int maxPayload = sources.stream().mapToInt(s -> s.limits().maxPayloadBytes()).max().orElseThrow();
        final FrameSource frames = new FrameSource(new RecordFetcher(consumer(kafka, null, maxPayload + (1 << 20))),
            sources);
        ViewServer s = null;
        try {
            s = new ViewServer(state, options.auth(), new InetSocketAddress(options.bind(), options.port()));
        } catch (final IOException | RuntimeException e) {
            frames.close();
            throw new IOException("cannot serve the live view on " + options.bind() + ":" + options.port() + ": "
                + e.getMessage(), e);
        }
        this.server = s;
        this.readerThread = new Thread(reader, "mfs-view-topics");
        this.rendererThread = new Thread(new FrameRenderer(frames, state, options.maxFps()), "mfs-view-frames");
        readerThread.setDaemon(true);
        rendererThread.setDaemon(true);
        readerThread.start();
        rendererThread.start();
    }

    /**
     * Starts a view of the pipelines whose topics and decoding are {@code sources}.
     *
     * @param kafka client settings (bootstrap.servers, security); group, isolation and deserializers are the view's
     */
    public static LiveView start(final Map<String, Object> kafka, final List<ViewSources> sources,
                                 final Options options) throws IOException {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("a view needs at least one pipeline's topics");
        }
        return new LiveView(kafka, sources, options);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final Map<String, Object> kafka, final String group,
                                                          final int maxFetch) {
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // a tracks or events topic created after the view started is subscribed within seconds
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, maxFetch);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Math.max(maxFetch, 50 << 20));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, group == null ? "mfs-view-frames" : group);
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        } else {
            p.remove(ConsumerConfig.GROUP_ID_CONFIG);
            // one record at a time, by offset: the one a detection names
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        }
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Where the page is, e.g. {@code http://127.0.0.1:8090/}. */
    public String url() {
        final InetSocketAddress a = server.address();
        final String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/";
    }

    /** One line for the operator: where, and who may look. */
    public String describe() {
        return "live view at " + url() + " (read-only, " + auth.describe() + ")";
    }

    @Override
    public void close() {
        state.close();
        server.close();
        reader.wakeup();
        rendererThread.interrupt();
        try {
            readerThread.join(5_000);
            rendererThread.join(15_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
