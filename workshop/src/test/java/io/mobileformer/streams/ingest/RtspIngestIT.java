package io.mobileformer.streams.ingest;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.embedded.EmbeddedKafka;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ResizeMode;
import io.mobileformer.streams.media.FfmpegLog;
import io.mobileformer.streams.testing.H264Clip;
import io.mobileformer.streams.testing.RtspTestServer.Behaviour;
import io.mobileformer.streams.testing.RtspTestServer;
import io.mobileformer.streams.testing.SendTimes;
import io.mobileformer.streams.testing.SharedKafka;
import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real RTSP on loopback, real FFmpeg client, real Kafka: cameras die, hang, freeze and come back, and the records keep
 * landing. Servers are {@link RtspTestServer}s in this JVM, so the test needs no ffmpeg binary.
 */
class RtspIngestIT {
    private static final String PASSWORD = "Camera-Pa55word";
    /** The real-footage test's auth schedule runs 20 times faster than the defaults (60 s base, 15 min cap). */
    private static final int AUTH_SPEEDUP = 20;
    private static H264Clip clip;

    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final List<AutoCloseable> open = new ArrayList<>();
    private EmbeddedKafka kafka;

    @BeforeAll
    static void makeClip() throws Exception {
        // 3 s at 15 fps with a key frame every second: 1 s segments
        clip = H264Clip.make(45, 320, 240, 15, 15);
    }

    @BeforeEach
    void captureStderr() {
        kafka = SharedKafka.get();
        // everything logged (slf4j-simple writes to System.err) is kept to check for credentials
        System.setErr(new PrintStream(new Tee(originalErr, stderr), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        System.setErr(originalErr);
    }

    private <T extends AutoCloseable> T track(final T resource) {
        open.add(resource);
        return resource;
    }

    private Map<String, String> config(final String topic) {
        final Map<String, String> m = new HashMap<>();
        m.put("bootstrap.servers", kafka.bootstrapServers());
        m.put("topic", topic);
        m.put("segment.ms", "1000");
        m.put("source.io-timeout-ms", "1500");
        m.put("source.stall-timeout-ms", "3000");
        m.put("source.backoff.base-ms", "200");
        m.put("source.backoff.max-ms", "800");
        m.put("sequence.origin", "zero");
        m.put("health.log-interval-ms", "1000");
        return m;
    }

    private String topic() throws Exception {
        final String t = "ingest-" + UUID.randomUUID();
        kafka.createTopics(1, t);
        return t;
    }

    @Test
    void recoversAfterTheServerIsKilledAndRestartedWhileAnotherCameraKeepsFlowing() throws Exception {
        final RtspTestServer a = track(RtspTestServer.start(0, clip, Behaviour.SERVE, "viewer", PASSWORD));
        final RtspTestServer b = track(RtspTestServer.start(0, clip, Behaviour.SERVE, null, null));
        final String topic = topic();
        final Map<String, String> props = config(topic);
        props.put("cameras", "a,b");
        props.put("camera.a.url", a.url("viewer:" + PASSWORD));
        props.put("camera.b.url", b.url(null));
        final Collector records = track(new Collector(kafka.bootstrapServers(), topic));
        final Ingest ingest = track(Ingest.start(IngestConfig.of(props)));

        await(Duration.ofSeconds(30), () -> records.of("a").size() >= 3 && records.of("b").size() >= 3,
            "both cameras publish", ingest);
        final long firstConnectMs = ingest.health("a").lastConnectMs();

        final int aBeforeKill = records.of("a").size();
        final Instant killed = Instant.now();
        a.close();
        await(Duration.ofSeconds(15), () -> ingest.health("a").state() == CameraHealth.State.RECONNECTING,
            "camera a notices its server died", ingest);
        final int bAtKill = records.of("b").size();
        await(Duration.ofSeconds(15), () -> records.of("b").size() >= bAtKill + 3,
            "camera b keeps flowing while a is down", ingest);
        assertTrue(ingest.health("a").state() != CameraHealth.State.CONNECTED, "a cannot be connected: no server");
        await(Duration.ofSeconds(15), () -> ingest.health("a").failedAttempts() >= 2,
            "refused attempts are counted as failed attempts", ingest);
        assertEquals(0, ingest.health("a").reconnects(), "no successful reconnect while the server is down");
        // the segment a held when its server died is published (it starts with a key frame), nothing more
        final int aWhileDown = records.of("a").size();
        assertTrue(aWhileDown <= aBeforeKill + 2, aBeforeKill + " -> " + aWhileDown);

        final Instant restarted = Instant.now();
        final RtspTestServer a2 = track(RtspTestServer.start(a.port(), clip, Behaviour.SERVE, "viewer", PASSWORD));
        await(Duration.ofSeconds(30), () -> ingest.health("a").state() == CameraHealth.State.CONNECTED,
            "camera a reconnects", ingest);
        System.out.printf("reconnect: camera a connected %d ms after its server restarted (backoff cap 800 ms); "
            + "opening took %d ms (first connection: %d ms)%n", Duration.between(restarted, Instant.now()).toMillis(),
            ingest.health("a").lastConnectMs(), firstConnectMs);
        // the reconnect reuses what the first connection learnt (the frame rate): FFmpeg's probe does not time 20
        // frames again, which at 15 fps alone is 1.3 s of the first connect
        assertTrue(ingest.health("a").lastConnectMs() < firstConnectMs - 500, ingest.health("a").lastConnectMs()
            + " ms to reconnect vs " + firstConnectMs + " ms to connect");
        await(Duration.ofSeconds(30), () -> records.of("a").size() >= aWhileDown + 3,
            "camera a recovers after its server restarts", ingest);
        assertEquals(CameraHealth.State.CONNECTED, ingest.health("a").state());
        assertTrue(a2.plays() >= 1);
        assertTrue(records.of("b").stream().filter(e -> e.getCaptureTime().isAfter(killed)
            && e.getCaptureTime().isBefore(restarted)).count() >= 2, "b published while a was down");
        assertTrue(records.of("a").stream().anyMatch(e -> e.getCaptureTime().isAfter(restarted)));

        // honest health: one outage is one successful reconnect, the refused attempts are counted apart, and the
        // error is cleared once the camera is back; the health line and JMX say the same
        final CameraHealth.Snapshot back = ingest.health("a").snapshot();
        assertEquals(1, back.reconnects(), back.logLine());
        assertEquals(null, back.lastError(), back.logLine());
        final ObjectName bean = new ObjectName("mobileformer.ingest:type=camera-health,camera=a");
        assertEquals(1L, ((Number) ManagementFactory.getPlatformMBeanServer().getAttribute(bean, "reconnect-total"))
            .longValue(), "JMX reports the one reconnect");
        final long failedJmx = ((Number) ManagementFactory.getPlatformMBeanServer().getAttribute(bean,
            "failed-attempts-total")).longValue();
        assertEquals(back.failedAttempts(), failedJmx, "JMX and the health line agree");
        assertTrue(back.logLine().contains("reconnects=1 failed_attempts=" + failedJmx), back.logLine());

        ingest.close();
        final long worstA = assertOnTheSourceTimeline("a", records, a, a2);
        final long worstB = assertOnTheSourceTimeline("b", records, b);
        System.out.printf("capture clock: worst distance to the source's timeline a=%d us b=%d us over %d+%d "
            + "records%n", worstA, worstB, records.of("a").size(), records.of("b").size());
        final Map<String, List<FrameEnvelope>> all = Map.of("a", records.of("a"), "b", records.of("b"));
        for (final Map.Entry<String, List<FrameEnvelope>> e : all.entrySet()) {
            assertSequencesContiguous(e.getKey(), e.getValue());
            for (final FrameEnvelope env : e.getValue()) {
                assertEquals("video/mp2t", env.getContentType());
                assertEquals(320, env.getWidth());
                final List<DecodedFrame> frames = decode(env);
                assertTrue(frames.size() >= 1 && frames.size() <= 30, frames.size() + " frames");
                assertTrue(frames.get(0).keyFrame(), "every segment starts with a key frame");
            }
        }
        // whole segments between the first and the last: one 1 s GOP each
        final List<FrameEnvelope> b1 = records.of("b");
        assertEquals(15, decode(b1.get(1)).size());

        final String log = stderr.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("health camera=a state="), "periodic health line is logged");
        assertFalse(log.contains(PASSWORD), "the camera password never reaches a log");
        assertFalse(ingest.snapshots().toString().contains(PASSWORD));
        assertTrue(log.contains("rtsp://***@127.0.0.1:" + a.port()), "the source is logged, masked");
    }

    @Test
    void hangingFrozenNoisyAndUnauthorizedCamerasNeitherBlockOthersNorHangThemselves() throws Exception {
        final RtspTestServer ok = track(RtspTestServer.start(0, clip, Behaviour.SERVE, null, null));
        final RtspTestServer silent = track(RtspTestServer.start(0, clip, Behaviour.SILENT, null, null));
        final RtspTestServer frozen = track(RtspTestServer.start(0, clip, Behaviour.SERVE, null, null));
        final RtspTestServer noisy = track(RtspTestServer.start(0, clip, Behaviour.SERVE, null, null));
        final String topic = topic();
        final Map<String, String> props = config(topic);
        props.put("cameras", "ok,silent,frozen,noisy");
        props.put("camera.ok.url", ok.url(null));
        props.put("camera.silent.url", silent.url(null));
        props.put("camera.frozen.url", frozen.url(null));
        props.put("camera.noisy.url", noisy.url(null));
        final Collector records = track(new Collector(kafka.bootstrapServers(), topic));
        final Ingest ingest = track(Ingest.start(IngestConfig.of(props)));

        await(Duration.ofSeconds(30), () -> records.of("ok").size() >= 2 && records.of("frozen").size() >= 2
                && records.of("noisy").size() >= 2, "working cameras publish while one hangs",
            ingest);
        // the silent camera accepts TCP and never answers: every open gives up after the socket timeout
        await(Duration.ofSeconds(20), () -> ingest.health("silent").failedAttempts() >= 2,
            "a hung camera's open times out and is retried", ingest);
        assertEquals(0, records.of("silent").size());
        assertTrue(ingest.health("silent").state() != CameraHealth.State.CONNECTED);

        // frozen: the connection goes quiet (socket timeout); noisy: bytes keep coming but no video (stall guard)
        final long frozenFailed = ingest.health("frozen").failedAttempts();
        final long noisyFailed = ingest.health("noisy").failedAttempts();
        final long frozeAt = System.nanoTime();
        frozen.video(RtspTestServer.Video.FROZEN);
        noisy.video(RtspTestServer.Video.NOISE);
        final int okAtFreeze = records.of("ok").size();
        await(Duration.ofSeconds(10), () -> ingest.health("frozen").state() != CameraHealth.State.CONNECTED,
            "the frozen camera is dropped", ingest);
        // on time: source.io-timeout-ms (1500) after the last video the server sent, well before the stall timeout
        // (3000) would have; the margin is for a reader that lags on a loaded machine
        final long now = System.nanoTime();
        final long droppedMs = (now - frozen.lastVideoSentNanos()) / 1_000_000;
        System.out.printf("stall: frozen camera dropped %d ms after the server's last frame, %d ms after the freeze "
            + "(source.io-timeout-ms=1500)%n", droppedMs, (now - frozeAt) / 1_000_000);
        assertTrue(droppedMs >= 1400 && droppedMs < 2900, "dropped " + droppedMs + " ms after the last frame");
        // dropped, and retried: attempts against a server that sends no video fail (counted as failed attempts)
        await(Duration.ofSeconds(20), () -> ingest.health("frozen").failedAttempts() > frozenFailed
                && ingest.health("noisy").failedAttempts() > noisyFailed,
            "cameras that stop sending video are dropped and reconnected", ingest);
        assertTrue(stderr.toString(StandardCharsets.UTF_8).lines().anyMatch(l -> l.contains("camera noisy:")
            && l.contains("no new video") && l.contains("source.io-timeout-ms")), "the noisy camera's drop names the "
            + "setting");
        await(Duration.ofSeconds(20), () -> records.of("ok").size() >= okAtFreeze + 2,
            "the working camera keeps flowing", ingest);
        final int frozenAtThaw = records.of("frozen").size();
        final int noisyAtThaw = records.of("noisy").size();
        frozen.video(RtspTestServer.Video.FLOWING);
        noisy.video(RtspTestServer.Video.FLOWING);
        await(Duration.ofSeconds(30), () -> records.of("frozen").size() >= frozenAtThaw + 2
                && records.of("noisy").size() >= noisyAtThaw + 2,
            "both recover once video comes back", ingest);
        for (final String camera : List.of("frozen", "noisy")) {
            final CameraHealth.Snapshot back = ingest.health(camera).snapshot();
            assertTrue(back.reconnects() >= 1 && back.lastError() == null, "back: " + back.logLine());
        }

        ingest.close();
        for (final CameraHealth.Snapshot s : ingest.snapshots()) {
            assertEquals(CameraHealth.State.STOPPED, s.state(), s.logLine());
        }
        for (final String camera : List.of("ok", "frozen", "noisy")) {
            assertSequencesContiguous(camera, records.of(camera));
        }
        assertOnTheSourceTimeline("ok", records, ok);
        assertOnTheSourceTimeline("frozen", records, frozen);
        final String log = stderr.toString(StandardCharsets.UTF_8);
        assertFalse(log.contains(PASSWORD), "neither password reaches a log");
        assertTrue(log.contains("camera silent:"), "the hung camera's failures are logged");
    }

    /**
     * A wrong password is not a network failure: the camera is retried on the long, separate schedule (here shortened
     * to a 3 s base and 6 s cap: waits of at least 1.5 s, then 3 s), reported as auth_failed, and the network-error
     * pace (200-800 ms here) never applies to it.
     */
    @Test
    void aRefusedLoginIsRetriedOnItsOwnLongScheduleAndReportedAsAuthFailed() throws Exception {
        final RtspTestServer locked = track(RtspTestServer.start(0, clip, Behaviour.SERVE, "admin", PASSWORD));
        final String topic = topic();
        final Map<String, String> props = config(topic);
        props.put("cameras", "locked");
        props.put("camera.locked.url", locked.url("admin:Wrong-" + PASSWORD));
        props.put("source.auth-backoff.base-ms", "3000");
        props.put("source.auth-backoff.max-ms", "6000");
        final Ingest ingest = track(Ingest.start(IngestConfig.of(props)));
        await(Duration.ofSeconds(15), () -> ingest.health("locked").state() == CameraHealth.State.AUTH_FAILED,
            "the refused login is reported", ingest);
        final long start = System.nanoTime();
        Thread.sleep(8000);
        final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        final int attempts = locked.connections();
        final CameraHealth.Snapshot s = ingest.health("locked").snapshot();
        System.out.printf("auth: %d connection attempts in %d ms after the first refusal; %s%n", attempts, elapsedMs,
            s.logLine());
        // first try at 0, then waits of >= 1.5 s, 3 s, 3 s: at most 4 tries within 8 s (the network pace: ~20)
        assertTrue(attempts >= 2 && attempts <= 4, attempts + " attempts");
        assertEquals(CameraHealth.State.AUTH_FAILED, s.state(), s.logLine());
        assertEquals(s.failedAttempts(), s.authFailures(), s.logLine());
        assertTrue(s.authFailures() >= 2, s.logLine());
        assertTrue(s.logLine().contains("state=auth_failed"), s.logLine());
        assertEquals(s.authFailures(), ((Number) ingest.metrics().value("locked", "auth-failures-total")).longValue());
        assertEquals(6, ingest.metrics().value("locked", "state"));
        assertTrue(s.lastError().contains("401") && s.lastError().contains("rtsp://***@127.0.0.1"), s.lastError());
        ingest.close();
        assertFalse(stderr.toString(StandardCharsets.UTF_8).contains(PASSWORD), "the password never reaches a log");
    }

    @Test
    void jpegModeSamplesFramesAtTheConfiguredRate() throws Exception {
        final RtspTestServer cam = track(RtspTestServer.start(0, clip, Behaviour.SERVE, null, null));
        final String topic = topic();
        final Map<String, String> props = config(topic);
        props.put("cameras", "snap");
        props.put("camera.snap.url", cam.url(null));
        props.put("camera.snap.mode", "jpeg");
        props.put("jpeg.fps", "2");
        final Collector records = track(new Collector(kafka.bootstrapServers(), topic));
        final Ingest ingest = track(Ingest.start(IngestConfig.of(props)));
        await(Duration.ofSeconds(30), () -> records.of("snap").size() >= 6, "JPEGs are published", ingest);
        ingest.close();
        final List<FrameEnvelope> jpegs = records.of("snap");
        assertSequencesContiguous("snap", jpegs);
        for (int i = 0; i < jpegs.size(); i++) {
            final FrameEnvelope e = jpegs.get(i);
            assertEquals("image/jpeg", e.getContentType());
            final List<DecodedFrame> frames = decode(e);
            assertEquals(1, frames.size());
            assertEquals(320, frames.get(0).geometry().srcW());
            assertEquals(240, frames.get(0).geometry().srcH());
            if (i > 0) {
                // 2 fps from a 15 fps stream: the first frame at or after each 500 ms of presentation time
                final long gapMs = Duration.between(jpegs.get(i - 1).getCaptureTime(), e.getCaptureTime()).toMillis();
                assertTrue(gapMs >= 400 && gapMs <= 600, "gap " + gapMs + " ms between JPEGs " + (i - 1) + "/" + i);
            }
        }
    }

    private static H264Clip footage;
    private static Map<String, Integer> footagePictures;

    /** {@code samples/vtest-tail.ts}, read once: real footage with B-frames, 10 fps, a key frame every second. */
    private static synchronized H264Clip footage() throws Exception {
        if (footage == null) {
            footage = H264Clip.read(Path.of("samples/vtest-tail.ts"));
            footagePictures = footage.pictures();
            assertEquals(200, footage.units().size());
            assertTrue(footage.reorderTicks() > 0, "B-frames: frames are sent out of presentation order");
        }
        return footage;
    }

    /**
     * The capture clock end to end, on real footage whose timeline the test knows: two loopback RTSP cameras serve
     * {@code samples/vtest-tail.ts} (a real campus camera, H.264 High with B-frames, 10 fps, a key frame every
     * second) as RTP with timestamps from the file's own PTS, looped on a continuous timeline, one with RTCP sender
     * reports and one without; both are frozen briefly (connections up), killed and restarted on the same timeline,
     * then frozen for longer than the socket timeout. A third camera refuses the password, for the auth-failure
     * schedule. Real FFmpeg client, real broker.
     *
     * <p>How the test knows which source frame each published frame is: the remuxer copies coded slices byte for
     * byte, so each frame demuxed from a record is found in the clip by a digest of its slices
     * ({@link H264Clip#picture}), and the server's timeline ({@link RtspTestServer#captureMicros}) says when the camera
     * captured that frame in the loop nearest to the stamped time.
     */
    @Test
    void realFootageKilledFrozenAndRestartedStaysOnTheSourcesTimeline() throws Exception {
        footage();
        final String topic = "ingest-real-" + UUID.randomUUID();
        kafka.createTopics(1, topic);
        // the cameras have been capturing for a while (mid-clip), each on its own timeline
        final long origin = nowMicros() - 7_300_000;
        final RtspTestServer sr = track(RtspTestServer.start(0, footage, null, null, origin, true));
        final RtspTestServer pts = track(RtspTestServer.start(0, footage, null, null, origin - 3_130_000, false));
        final RtspTestServer locked = track(RtspTestServer.start(0, footage, "admin", PASSWORD, origin, false));
        final Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("topic", topic);
        props.put("cameras", "sr,pts,locked");
        props.put("camera.sr.url", sr.url(null));
        props.put("camera.pts.url", pts.url(null));
        props.put("camera.locked.url", locked.url("admin:Wrong-" + PASSWORD));
        props.put("segment.ms", "1000");
        props.put("source.io-timeout-ms", "2000");
        props.put("source.stall-timeout-ms", "4000");
        props.put("source.backoff.base-ms", "200");
        props.put("source.backoff.max-ms", "800");
        props.put("source.auth-backoff.base-ms", Long.toString(60_000 / AUTH_SPEEDUP));
        props.put("source.auth-backoff.max-ms", Long.toString(900_000 / AUTH_SPEEDUP));
        props.put("sequence.origin", "zero");
        props.put("health.log-interval-ms", "2000");
        props.put("producer.interceptor.classes", SendTimes.class.getName());
        final Collector records = track(new Collector(kafka.bootstrapServers(), topic));
        final Ingest ingest = track(Ingest.start(IngestConfig.of(props)));
        final List<String> cams = List.of("sr", "pts");

        await(Duration.ofSeconds(30), () -> records.of("sr").size() >= 3 && records.of("pts").size() >= 3,
            "both cameras publish", ingest);

        // a short freeze: no video for 300 ms (and up to a second more until the next key frame), connections up
        freeze(300, sr, pts);
        final Map<String, Integer> atThaw = counts(records, cams);
        await(Duration.ofSeconds(15), () -> grew(records, atThaw, 3), "video resumes on the same connections", ingest);
        assertEquals(1, sr.plays(), "the short freeze did not cost a reconnect");
        assertEquals(1, pts.plays());

        // kill both servers; restart them 4 s later on the same ports and the same timelines
        sr.close();
        pts.close();
        await(Duration.ofSeconds(10), () -> cams.stream().allMatch(c -> ingest.health(c).state()
            == CameraHealth.State.RECONNECTING), "both notice their server died", ingest);
        Thread.sleep(4000);
        final Map<String, Integer> atRestart = counts(records, cams);
        final long restarted = System.nanoTime();
        final RtspTestServer sr2 = track(RtspTestServer.start(sr.port(), footage, null, null, origin, true));
        final RtspTestServer pts2 = track(RtspTestServer.start(pts.port(), footage, null, null, origin - 3_130_000,
            false));
        final Map<String, Long> connectedMs = new HashMap<>();
        final Map<String, Long> publishedMs = new HashMap<>();
        final long end = restarted + Duration.ofSeconds(20).toNanos();
        while (publishedMs.size() < cams.size() && System.nanoTime() < end) {
            for (final String c : cams) {
                final long ms = (System.nanoTime() - restarted) / 1_000_000;
                if (!connectedMs.containsKey(c) && ingest.health(c).state() == CameraHealth.State.CONNECTED) {
                    connectedMs.put(c, ms);
                }
                if (!publishedMs.containsKey(c) && records.of(c).size() > atRestart.get(c)) {
                    publishedMs.put(c, ms);
                }
            }
            Thread.sleep(10);
        }
        assertEquals(2, publishedMs.size(), "both cameras publish again after the restart: " + ingest.snapshots());
        for (final String c : cams) {
            System.out.printf(Locale.ROOT, "reconnect %s: connected %d ms after its server restarted (open took %d ms, "
                    + "backoff cap 800 ms), first record %d ms after%n", c, connectedMs.get(c),
                ingest.health(c).lastConnectMs(), publishedMs.get(c));
            assertEquals(1, ingest.health(c).snapshot().reconnects(), ingest.health(c).snapshot().logLine());
        }
        final Map<String, Integer> afterRestart = counts(records, cams);
        await(Duration.ofSeconds(15), () -> grew(records, afterRestart, 3), "both flow after the restart", ingest);

        // a long freeze: connections stay open on the server, no video for 4 s (twice source.io-timeout-ms)
        freeze(4000, sr2, pts2);
        final Map<String, Integer> atResume = counts(records, cams);
        await(Duration.ofSeconds(20), () -> grew(records, atResume, 3), "both recover after the freeze", ingest);
        for (final String c : cams) {
            assertEquals(2, ingest.health(c).snapshot().reconnects(), ingest.health(c).snapshot().logLine());
        }

        // the refused camera: ten minutes of its schedule, compressed
        final List<Long> tries = locked.connectionMicros();
        assertFalse(tries.isEmpty(), "the locked camera was tried");
        final long window = 600_000_000L / AUTH_SPEEDUP;
        final long sleep = tries.get(0) + window - nowMicros();
        if (sleep > 0) {
            Thread.sleep(sleep / 1000 + 1);
        }
        final long attempts = locked.connectionMicros().stream().filter(t -> t < tries.get(0) + window).count();
        final CameraHealth.Snapshot auth = ingest.health("locked").snapshot();
        System.out.printf(Locale.ROOT, "auth: %d login attempts in %d s (ten minutes at %dx: base %d ms, cap %d ms), "
                + "%d requests refused; real schedule (base 60 s, cap 15 min, waits in [cap/2, cap]): tries at 0, "
                + ">=30 s, >=90 s, >=210 s, >=450 s, >=900 s, so at most 5 in ten minutes; %s%n", attempts,
            window / 1_000_000, AUTH_SPEEDUP, 60_000 / AUTH_SPEEDUP, 900_000 / AUTH_SPEEDUP, locked.refusals(),
            auth.logLine());
        // compressed: waits >= 1.5, 3, 6, 12 s (tries by 22.5 s at the earliest, the next after 45 s) and <= 3, 6, 12 s
        // (a fourth try by 21 s): 4 or 5 tries
        assertTrue(attempts >= 4 && attempts <= 5, attempts + " attempts in ten compressed minutes");
        assertEquals(CameraHealth.State.AUTH_FAILED, auth.state(), auth.logLine());
        assertEquals(0, locked.plays());
        assertEquals(0, records.of("locked").size());

        ingest.close();
        final Map<String, Integer> finalCounts = counts(records, cams);
        await(Duration.ofSeconds(10), () -> cams.stream().allMatch(c -> records.of(c).size()
            == SendTimes.of(topic, c).size()), "every record sent is read back " + finalCounts, ingest);

        final String log = stderr.toString(StandardCharsets.UTF_8);
        final long anchoredSr = log.lines()
            .filter(l -> l.contains("camera sr: capture times from the camera's clock")).count();
        System.out.printf(Locale.ROOT, "sender reports: %d sent by the first server, %d by the restarted one; "
            + "camera sr anchored on them on %d of %d connections%n", sr.senderReports(), sr2.senderReports(), anchoredSr,
            ingest.health("sr").snapshot().reconnects() + 1);
        assertTrue(sr.senderReports() > 0 && sr2.senderReports() > 0);
        assertEquals(3, anchoredSr, "every connection of camera sr used its sender reports");
        assertFalse(log.contains("camera pts: capture times from the camera's clock"), "camera pts sent none");
        assertFalse(log.contains("no longer agrees"), log.lines().filter(l -> l.contains("no longer agrees")).toList()
            .toString());
        assertFalse(log.contains(PASSWORD), "the password never reaches a log");
        for (final String c : cams) {
            // killed mid-stream: the frame FFmpeg's parser was assembling may be cut, so it is left out (and counted);
            // the check below that every published frame is one the camera sent would catch it otherwise
            assertTrue(log.contains("camera " + c + ": the connection broke mid-stream"), c);
        }

        final long frameMicros = Math.round(1e6 / footage.fps());
        for (final String c : cams) {
            final Timeline t = onTheSourcesTimeline(c, records.of(c), SendTimes.of(topic, c),
                c.equals("sr") ? sr2 : pts2);
            System.out.printf(Locale.ROOT, "capture clock %s: %d records, %d frames; frame time - source capture time: "
                    + "min %+.1f ms, median %+.1f ms, max %+.1f ms (limit: one frame, %d ms); latest frame %.1f ms "
                    + "before its record was published at the closest%n", c, records.of(c).size(), t.errors.size(),
                t.percentile(0) / 1e3, t.percentile(50) / 1e3, t.percentile(100) / 1e3, frameMicros / 1000,
                t.closestToPublish / 1e3);
        }
    }

    /** Errors against the source's timeline, microseconds, and the smallest publish-minus-last-frame margin. */
    private record Timeline(List<Long> errors, long closestToPublish) {
        double percentile(final int p) {
            final List<Long> sorted = errors.stream().sorted().toList();
            return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
        }
    }

    /**
     * Every frame of every record of one camera: a frame the camera sent (found in the clip), in the source's decode
     * order within its record, with a time (captureTime plus its presentation offset, as the detector computes it)
     * strictly later than the frame before, not later than the moment its record was published, and within one frame
     * interval of when the camera captured it.
     */
    private static Timeline onTheSourcesTimeline(final String camera, final List<FrameEnvelope> envs,
                                                 final Map<Long, Long> sent, final RtspTestServer timeline)
        throws Exception {
        final long frameMicros = Math.round(1e6 / footage.fps());
        final int n = footage.units().size();
        final List<Long> errors = new ArrayList<>();
        final List<String> perRecord = new ArrayList<>();
        final List<String> wrong = new ArrayList<>();
        long previous = Long.MIN_VALUE;
        long closest = Long.MAX_VALUE;
        for (int i = 0; i < envs.size(); i++) {
            final FrameEnvelope env = envs.get(i);
            assertEquals(i, env.getSequence(), camera + ": sequences start at 0 with no gap and no duplicate");
            final byte[] payload = new byte[env.getPayload().remaining()];
            env.getPayload().duplicate().get(payload);
            final String where = camera + " record " + i + " of " + envs.size();
            final List<Frame> coded = demux(payload, where);
            final List<DecodedFrame> decoded = decode(env);
            assertTrue(coded.get(0).key, where + " starts with a key frame");
            assertEquals(coded.size(), decoded.size(), where + ": every frame decodes");
            // frames the camera did not send (a freeze) leave gaps, but none comes twice or out of decode order
            for (int j = 1; j < coded.size(); j++) {
                final int step = Math.floorMod(coded.get(j).clipIndex - coded.get(j - 1).clipIndex, n);
                assertTrue(step >= 1 && step < n / 2, where + ": frame " + j + " follows the one before in the "
                    + "source's decode order: " + coded.stream().map(Frame::clipIndex).toList());
            }
            final List<Frame> shown = coded.stream().sorted(Comparator.comparingLong(Frame::ptsMicros)).toList();
            final Instant c = env.getCaptureTime();
            final long capture = c.getEpochSecond() * 1_000_000 + c.getNano() / 1000;
            final Long publishedAt = sent.get(env.getSequence());
            assertNotNull(publishedAt, where + " was sent");
            for (int j = 0; j < shown.size(); j++) {
                final long offset = shown.get(j).ptsMicros - shown.get(0).ptsMicros;
                assertTrue(Math.abs(decoded.get(j).ptsMicros() - offset) <= 1, where + ": the decoder's offset "
                    + decoded.get(j).ptsMicros() + " is the stream's " + offset);
                final long t = capture + decoded.get(j).ptsMicros();
                assertTrue(t > previous, where + ", frame " + j + ": " + t + " after " + previous);
                previous = t;
                assertTrue(t <= publishedAt, where + ", frame " + j + " is " + (t - publishedAt)
                    + " us later than the moment its record was published");
                closest = Math.min(closest, publishedAt - t);
                final long error = t - timeline.captureMicros(shown.get(j).clipIndex, t);
                if (Math.abs(error) >= frameMicros) {
                    wrong.add(where + ", frame " + j + " (source frame " + shown.get(j).clipIndex + "): " + error
                        + " us");
                }
                errors.add(error);
            }
            perRecord.add(String.format(Locale.ROOT, "%d:%+.1fms/%df", i, errors.get(errors.size() - shown.size())
                / 1e3, shown.size()));
        }
        System.out.println("capture clock " + camera + ", first frame's distance to the source's timeline per record: "
            + perRecord);
        assertTrue(wrong.isEmpty(), camera + ": frames more than one frame interval from when the camera captured "
            + "them: " + wrong);
        return new Timeline(errors, closest);
    }

    /** A coded frame of a record: which frame of the clip it is, its PTS in the record, whether it is a key frame. */
    private record Frame(int clipIndex, long ptsMicros, boolean key) {
    }

    private static List<Frame> demux(final byte[] ts, final String where) throws Exception {
        final List<Frame> frames = new ArrayList<>();
        FfmpegLog.install();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(new ByteArrayInputStream(ts))) {
            g.setFormat("mpegts");
            g.start();
            AVPacket p;
            while ((p = g.grabPacket()) != null) {
                final byte[] data = new byte[p.size()];
                p.data().get(data);
                final Integer index = footagePictures.get(H264Clip.picture(H264Clip.split(data)));
                assertNotNull(index, where + ", packet " + frames.size() + " (" + data.length + " bytes, key "
                    + ((p.flags() & avcodec.AV_PKT_FLAG_KEY) != 0) + ", after " + frames.stream().map(Frame::clipIndex)
                    .toList() + "): every published frame is one the camera sent");
                frames.add(new Frame(index, Math.floorDiv(p.pts() * 100, 9),
                    (p.flags() & avcodec.AV_PKT_FLAG_KEY) != 0));
                avcodec.av_packet_unref(p);
            }
            g.stop();
        }
        return frames;
    }

    /** Stops the video of every server for {@code ms}, connections open, then lets it flow again. */
    private static void freeze(final long ms, final RtspTestServer... servers) throws InterruptedException {
        for (final RtspTestServer s : servers) {
            s.video(RtspTestServer.Video.FROZEN);
        }
        Thread.sleep(ms);
        for (final RtspTestServer s : servers) {
            s.video(RtspTestServer.Video.FLOWING);
        }
    }

    private static Map<String, Integer> counts(final Collector records, final List<String> cams) {
        final Map<String, Integer> m = new HashMap<>();
        cams.forEach(c -> m.put(c, records.of(c).size()));
        return m;
    }

    private static boolean grew(final Collector records, final Map<String, Integer> from, final int by) {
        return from.entrySet().stream().allMatch(e -> records.of(e.getKey()).size() >= e.getValue() + by);
    }

    private static long nowMicros() {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /**
     * The capture-clock rule, end to end: every frame time (captureTime + the frame's offset in its segment) is
     * strictly increasing per camera and not later than the moment the record was received (so not later than the
     * wall clock when it was published), and each segment's captureTime (its first frame, a key frame) is within one
     * frame interval of the moment one of the servers sent a key frame: the source's own timeline.
     *
     * @return the largest distance to the source's timeline, microseconds
     */
    private static long assertOnTheSourceTimeline(final String camera, final Collector records,
                                                  final RtspTestServer... servers) throws Exception {
        final List<Long> keys = new ArrayList<>();
        for (final RtspTestServer s : servers) {
            keys.addAll(s.keyFramesSentMicros());
        }
        final long frameMicros = Math.round(1e6 / clip.fps());
        final List<FrameEnvelope> envs = records.of(camera);
        final List<Long> received = records.receivedMicros(camera);
        long previous = Long.MIN_VALUE;
        long worst = 0;
        final List<String> errors = new ArrayList<>();
        for (int i = 0; i < envs.size(); i++) {
            final Instant c = envs.get(i).getCaptureTime();
            final long capture = c.getEpochSecond() * 1_000_000 + c.getNano() / 1000;
            for (final DecodedFrame f : decode(envs.get(i))) {
                final long t = capture + f.ptsMicros();
                final long prev = previous;
                final int rec = i;
                assertTrue(t > previous, () -> camera + ": frame times strictly increase (record " + rec + ", frame "
                    + f.index() + " at " + t + " after " + prev + "); pts: " + ptsOf(envs.get(rec)));
                assertTrue(t <= received.get(i), camera + ": frame " + f.index() + " of record " + i + " is "
                    + (t - received.get(i)) + " us ahead of the clock");
                previous = t;
            }
            final long nearest = keys.stream().min(java.util.Comparator.comparingLong(k -> Math.abs(k - capture)))
                .orElseThrow();
            final long error = Math.abs(capture - nearest);
            errors.add((capture - nearest) + "us/" + decode(envs.get(i)).size() + "f");
            assertTrue(error < frameMicros, camera + ": record " + i + " is " + (capture - nearest)
                + " us from the key frame the server sent; records so far: " + errors);
            worst = Math.max(worst, error);
        }
        System.out.println("capture clock, " + camera + ": distance to the source's timeline per record " + errors);
        return worst;
    }

    private static List<Long> ptsOf(final FrameEnvelope env) {
        try {
            return decode(env).stream().map(DecodedFrame::ptsMicros).toList();
        } catch (final Exception e) {
            throw new AssertionError(e);
        }
    }

    static List<DecodedFrame> decode(final FrameEnvelope env) throws Exception {
        final byte[] payload = new byte[env.getPayload().remaining()];
        env.getPayload().duplicate().get(payload);
        final List<DecodedFrame> frames = new ArrayList<>();
        try (FrameDecoder d = new FrameDecoder(PipelineConfig.defaults().decodeLimits(), Sampling.all(),
                new Preprocessor(64, 48, ResizeMode.STRETCH, new float[] {0, 0, 0}, new float[] {1, 1, 1}));
             FrameStream s = d.open(payload, env.getContentType())) {
            DecodedFrame f;
            while ((f = s.next()) != null) {
                frames.add(f);
            }
        }
        return frames;
    }

    private static void assertSequencesContiguous(final String camera, final List<FrameEnvelope> records) {
        for (int i = 0; i < records.size(); i++) {
            assertEquals(i, records.get(i).getSequence(), camera + ": per-camera sequence, no gap, no duplicate");
            if (i > 0) {
                assertFalse(records.get(i).getCaptureTime().isBefore(records.get(i - 1).getCaptureTime()),
                    camera + ": capture times never go back");
            }
        }
    }

    /** Waits for a condition, polling; fails with the cameras' health when it does not come. */
    static void await(final Duration timeout, final BooleanSupplier condition, final String what,
                      final Ingest ingest) throws InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting until " + what + "; health: " + ingest.snapshots());
            }
            Thread.sleep(100);
        }
    }

    /** Reads the topic continuously in the background, grouping records by key (camera id). */
    static final class Collector implements AutoCloseable {
        private final Map<String, List<FrameEnvelope>> byCamera = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<String, List<Long>> receivedMicros = new java.util.concurrent.ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean stop;

        Collector(final String bootstrap, final String topic) {
            thread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "collector-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 << 20), new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                    c.subscribe(List.of(topic));
                    while (!stop) {
                        for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                            final FrameEnvelope e = AvroSerdes.frameEnvelope().deserializer().deserialize(topic,
                                r.value());
                            assertEquals(r.key(), e.getCameraId(), "keyed by camera id");
                            final Instant now = Instant.now();
                            receivedMicros.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                                .add(now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
                            byCamera.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>()).add(e);
                        }
                    }
                }
            }, "collector-" + topic);
            thread.setDaemon(true);
            thread.start();
        }

        List<FrameEnvelope> of(final String camera) {
            return byCamera.getOrDefault(camera, List.of());
        }

        /** When each record of {@link #of} was received (after it was published), microseconds since the epoch. */
        List<Long> receivedMicros(final String camera) {
            return receivedMicros.getOrDefault(camera, List.of());
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5000);
        }
    }

    /** Writes to two streams. */
    static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(final OutputStream a, final OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(final int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(final byte[] buf, final int off, final int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
