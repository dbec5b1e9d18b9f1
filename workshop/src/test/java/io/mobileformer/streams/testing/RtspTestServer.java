package io.mobileformer.streams.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small RTSP server on loopback for integration tests: serves one looping H.264 {@link H264Clip} as a live camera
 * would (RTSP 1.0, RTP/AVP over TCP interleaved, RFC 6184 single-NAL and FU-A packetization, optional Basic
 * authentication, optional RTCP sender reports), at real time.
 *
 * <p>The camera's timeline is known to the test: frame {@code k} of loop {@code L} is captured at
 * {@code origin + pts(k) + L * loop} ({@link #captureMicros}), whatever connections come and go, and a restarted
 * server given the same origin goes on with the same timeline, as a camera that kept capturing while its network was
 * down (the plain {@link #start(int, H264Clip, Behaviour, String, String)} starts every session at frame 0 instead,
 * with no burst). Each access unit is sent, in decode order, one frame interval after the one before, as early as its
 * reordering allows ({@link H264Clip#reorderTicks()} after its decoding time: a clip with B-frames sends each
 * P-frame the moment it is captured, the B-frames that need it later); its RTP timestamp is its capture time (plus a
 * random base per session, as RFC 3550 asks). A new session starts with the last key frame and what followed it, sent
 * at once (a camera's GOP cache: a burst at connect), then goes on at real time; after a freeze the video resumes at a
 * key frame. Sender reports (RFC 3550 section 6.4.1: the camera's NTP time and the RTP timestamp of the same instant)
 * go on the interleaved RTCP channel after that burst and every second, frozen or not.
 *
 * <p>Why our own: Debian's ffmpeg 5.1 cannot serve RTSP ({@code -rtsp_flags listen} exists only for its demuxer, to
 * receive a push), and a test server can misbehave on purpose: {@link #close()} kills it mid-stream (every socket
 * closed, like a crashed camera), {@link #video(Video)} stops the video or replaces it with noise while connections
 * stay open (a frozen encoder), and {@link Behaviour#SILENT} accepts connections and never answers (a hung camera).
 * The client side is FFmpeg's own RTSP demuxer, unmodified.
 */
public final class RtspTestServer implements AutoCloseable {

    /** How the server treats clients. */
    public enum Behaviour {
        /** A working camera. */
        SERVE,
        /** Accepts TCP connections, reads requests, never replies. */
        SILENT
    }

    /** What a playing session sends. */
    public enum Video {
        /** The clip, at real time. */
        FLOWING,
        /** Nothing: the connection stays open and idle (socket timeouts can see this). */
        FROZEN,
        /** Interleaved data on a channel no stream uses, instead of video: the socket stays busy, no frame arrives. */
        NOISE
    }

    private static final int MTU = 1400;
    /** Seconds from the NTP epoch (1900) to the Unix epoch. */
    private static final long NTP_UNIX_SECONDS = 2_208_988_800L;
    private static final long SENDER_REPORT_MICROS = 1_000_000;

    private final H264Clip clip;
    private final Behaviour behaviour;
    private final String basicAuth;
    private final ServerSocket server;
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final AtomicInteger plays = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Long> keyFramesSentMicros = new CopyOnWriteArrayList<>();
    private final List<Long> connectionMicros = new CopyOnWriteArrayList<>();
    private final AtomicInteger refusals = new AtomicInteger();
    private final AtomicInteger senderReports = new AtomicInteger();
    private final long originMicros;
    private final boolean sendReports;
    private final boolean live;
    private volatile Video video = Video.FLOWING;
    private volatile long lastVideoSentNanos;
    private volatile boolean closed;

    private RtspTestServer(final int port, final H264Clip clip, final Behaviour behaviour, final String user,
                           final String password, final long originMicros, final boolean sendReports)
        throws IOException {
        this.clip = clip;
        this.originMicros = originMicros;
        this.sendReports = sendReports;
        this.live = originMicros != Long.MIN_VALUE;
        this.behaviour = behaviour;
        this.basicAuth = user == null ? null : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
            .getBytes(StandardCharsets.UTF_8));
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        final Thread t = new Thread(this::acceptLoop, "rtsp-test-server-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    /**
     * @param port 0 for any free port; the port of a closed server to restart it there
     * @param user null for no authentication
     */
    public static RtspTestServer start(final int port, final H264Clip clip, final Behaviour behaviour,
                                       final String user, final String password) throws IOException {
        return new RtspTestServer(port, clip, behaviour, user, password, Long.MIN_VALUE, false);
    }

    /**
     * A camera whose frame 0 was captured at {@code originMicros} (pass a killed server's {@link #originMicros()} to
     * restart the same camera), with or without RTCP sender reports.
     */
    public static RtspTestServer start(final int port, final H264Clip clip, final String user, final String password,
                                       final long originMicros, final boolean senderReports) throws IOException {
        return new RtspTestServer(port, clip, Behaviour.SERVE, user, password, originMicros, senderReports);
    }

    /** When the camera captured frame 0 of its clip, microseconds since the epoch. */
    public long originMicros() {
        return originMicros;
    }

    /**
     * The source's own timeline: when the camera captured frame {@code clipIndex} (decode order) in the loop nearest to
     * {@code nearMicros}, microseconds since the epoch.
     */
    public long captureMicros(final int clipIndex, final long nearMicros) {
        final long pts = micros(clip.pts().get(clipIndex));
        final long loop = micros(clip.loopTicks());
        final long l = Math.round((double) (nearMicros - originMicros - pts) / loop);
        return originMicros + pts + l * loop;
    }

    /** When connections were accepted, microseconds since the epoch. */
    public List<Long> connectionMicros() {
        return List.copyOf(connectionMicros);
    }

    /** Requests answered 401 (wrong or missing credentials). */
    public int refusals() {
        return refusals.get();
    }

    /** RTCP sender reports sent, all sessions. */
    public int senderReports() {
        return senderReports.get();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code rtsp://[userInfo@]127.0.0.1:port/cam}. */
    public String url(final String userInfo) {
        return "rtsp://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + port() + "/cam";
    }

    /** Sessions that reached PLAY. */
    public int plays() {
        return plays.get();
    }

    /** TCP connections accepted so far: one per client attempt (FFmpeg's RTSP client uses one connection). */
    public int connections() {
        return connections.get();
    }

    /**
     * Capture times (microseconds since the epoch) of the key frames sent, in any session: the source's own timeline,
     * which a segment's capture time must match. (Sent at that moment, unless in the burst that starts a session.)
     */
    public List<Long> keyFramesSentMicros() {
        return List.copyOf(keyFramesSentMicros);
    }

    /** {@link System#nanoTime()} when the last video frame was written, in any session. */
    public long lastVideoSentNanos() {
        return lastVideoSentNanos;
    }

    /** Switches what every playing session sends; requests are answered throughout. */
    public void video(final Video mode) {
        this.video = mode;
    }

    /** Kills the server: the listening socket and every client connection close at once. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (final IOException ignored) {
            // closing anyway
        }
        for (final Socket s : clients) {
            try {
                s.setSoLinger(true, 0);     // reset, like a process that died, not a polite FIN after TEARDOWN
                s.close();
            } catch (final IOException ignored) {
                // already gone
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                final Socket s = server.accept();
                connections.incrementAndGet();
                connectionMicros.add(nowMicros());
                clients.add(s);
                final Thread t = new Thread(() -> session(s), "rtsp-test-session-" + s.getPort());
                t.setDaemon(true);
                t.start();
            } catch (final IOException e) {
                return;
            }
        }
    }

    private void session(final Socket socket) {
        final Object writeLock = new Object();
        Thread sender = null;
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream())) {
            final OutputStream out = socket.getOutputStream();
            while (!closed) {
                final Request r = Request.read(in);
                if (r == null) {
                    return;
                }
                if (behaviour == Behaviour.SILENT) {
                    continue;
                }
                final String base = "rtsp://127.0.0.1:" + port() + "/cam/";
                final StringBuilder headers = new StringBuilder();
                int status = 200;
                if (basicAuth != null && !r.method.equals("OPTIONS") && !basicAuth.equals(r.header("authorization"))) {
                    status = 401;
                    refusals.incrementAndGet();
                    headers.append("WWW-Authenticate: Basic realm=\"mfs-test\"\r\n");
                    respond(out, writeLock, r, status, headers, null);
                    continue;
                }
                byte[] body = null;
                switch (r.method) {
                    case "OPTIONS" -> headers.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, "
                        + "GET_PARAMETER\r\n");
                    case "DESCRIBE" -> {
                        body = sdp().getBytes(StandardCharsets.US_ASCII);
                        headers.append("Content-Base: ").append(base).append("\r\nContent-Type: application/sdp\r\n");
                    }
                    case "SETUP" -> {
                        final String transport = r.header("transport");
                        if (transport == null || !transport.contains("TCP")) {
                            status = 461;       // Unsupported Transport: the client falls back to TCP
                        } else {
                            headers.append("Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n");
                        }
                        headers.append("Session: 4242;timeout=60\r\n");
                    }
                    case "PLAY" -> {
                        final Start start = start();
                        // RTP-Info (RFC 2326 12.33) says where the stream starts, as cameras do: without it FFmpeg
                        // drops the first packet while it learns the sequence numbers
                        headers.append("Session: 4242\r\nRange: npt=0.000-\r\nRTP-Info: url=").append(base)
                            .append("track1;seq=").append(start.seq).append(";rtptime=")
                            .append(Integer.toUnsignedString(start.rtpBase + (int) captureTicks(start.first)))
                            .append("\r\n");
                        respond(out, writeLock, r, status, headers, null);
                        if (sender == null) {
                            plays.incrementAndGet();
                            sender = new Thread(() -> stream(out, writeLock, start), "rtsp-test-rtp-"
                                + socket.getPort());
                            sender.setDaemon(true);
                            sender.start();
                        }
                        continue;
                    }
                    case "GET_PARAMETER", "SET_PARAMETER" -> headers.append("Session: 4242\r\n");
                    case "TEARDOWN" -> {
                        respond(out, writeLock, r, status, headers, null);
                        return;
                    }
                    default -> status = 405;
                }
                respond(out, writeLock, r, status, headers, body);
            }
        } catch (final IOException e) {
            // client gone or server killed
        } finally {
            clients.remove(socket);
            if (sender != null) {
                sender.interrupt();
            }
        }
    }

    private String sdp() {
        final Base64.Encoder b64 = Base64.getEncoder();
        final byte[] sps = clip.sps();
        final String profileLevel = String.format(Locale.ROOT, "%02x%02x%02x", sps[1] & 0xff, sps[2] & 0xff,
            sps[3] & 0xff);
        return "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=mfs test camera\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + "a=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            + "a=fmtp:96 packetization-mode=1;profile-level-id=" + profileLevel + ";sprop-parameter-sets="
            + b64.encodeToString(sps) + "," + b64.encodeToString(clip.pps()) + "\r\n"
            + "a=framerate:" + clip.fps() + "\r\na=control:track1\r\n";
    }

    private static void respond(final OutputStream out, final Object lock, final Request r, final int status,
                                final CharSequence headers, final byte[] body) throws IOException {
        final String reason = switch (status) {
            case 200 -> "OK";
            case 401 -> "Unauthorized";
            case 405 -> "Method Not Allowed";
            case 461 -> "Unsupported Transport";
            default -> "Error";
        };
        final String head = "RTSP/1.0 " + status + " " + reason + "\r\nCSeq: " + r.header("cseq") + "\r\n" + headers
            + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n";
        synchronized (lock) {
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                out.write(body);
            }
            out.flush();
        }
    }

    /**
     * Where a session starts: its timeline's origin, the first access unit it sends (the last key frame before the
     * next one due: a burst, for a camera on a fixed timeline) and the next one due, its random RTP bases.
     */
    private record Start(long origin, long first, long next, int rtpBase, int ssrc, int seq) {
    }

    private Start start() {
        final java.util.Random random = new java.util.Random();
        final int n = clip.units().size();
        // a camera (fixed origin) goes on with its timeline and starts a session at its last key frame; the plain
        // test server starts every session's timeline at frame 0, now
        final long origin = live ? originMicros : nowMicros();
        final long firstSend = clip.dts().get(0) + clip.reorderTicks();
        final long next = live ? Math.max(0, Math.floorDiv(ticks(nowMicros() - origin) - firstSend,
            clip.frameTicks()) + 1) : 0;
        long from = next - 1;
        while (from >= 0 && !clip.keys().get((int) (from % n))) {
            from--;
        }
        return new Start(origin, from >= 0 ? from : next, next, random.nextInt(1 << 30), random.nextInt(),
            random.nextInt(1 << 15));
    }

    /** Capture time of access unit {@code g} of the timeline (frame {@code g % n} of loop {@code g / n}), 90 kHz. */
    private long captureTicks(final long g) {
        final int n = clip.units().size();
        return clip.pts().get((int) (g % n)) + g / n * clip.loopTicks();
    }

    /** Sends the clip, looped, at real time as RTP over the RTSP connection (interleaved channel 0, RTCP on 1). */
    private void stream(final OutputStream out, final Object lock, final Start start) {
        final int rtpBase = start.rtpBase;
        final Sender sender = new Sender(out, lock, start.ssrc, start.seq);
        final int n = clip.units().size();
        final long frame = clip.frameTicks();
        final long firstSend = clip.dts().get(0) + clip.reorderTicks();
        final long origin = start.origin;
        try {
            long g = start.next;
            boolean needKey = false;
            if (video == Video.FLOWING) {
                for (long b = start.first; b < g; b++) {
                    send(sender, b, origin, rtpBase);
                }
            }
            long nextReport = 0;
            for (; !closed; g++) {
                final long due = origin + micros(firstSend + g * frame);
                long now;
                while ((now = nowMicros()) < due) {
                    if (sendReports && now >= nextReport) {
                        sender.senderReport(now, rtpBase + (int) ticks(now - origin));
                        senderReports.incrementAndGet();
                        nextReport = now + SENDER_REPORT_MICROS;
                    }
                    final long wait = Math.min(due, sendReports ? nextReport : due) - now;
                    if (wait > 0) {
                        Thread.sleep(wait / 1000, (int) (wait % 1000) * 1000);
                    }
                }
                if (video == Video.FROZEN) {
                    needKey = true;
                    continue;
                }
                if (video == Video.NOISE) {
                    needKey = true;
                    synchronized (lock) {
                        out.write(new byte[] {'$', 4, 0, 100});
                        out.write(new byte[100]);
                        out.flush();
                    }
                    continue;
                }
                if (needKey && !clip.keys().get((int) (g % n))) {
                    continue;       // an encoder that stopped restarts with a key frame
                }
                needKey = false;
                send(sender, g, origin, rtpBase);
            }
        } catch (final IOException | InterruptedException e) {
            // connection closed
        }
    }

    /** Sends access unit {@code g} of the camera's timeline (frame {@code g % n} of loop {@code g / n}). */
    private void send(final Sender sender, final long g, final long origin, final int rtpBase) throws IOException {
        final int k = (int) (g % clip.units().size());
        final long captureTicks = captureTicks(g);
        if (clip.keys().get(k)) {
            keyFramesSentMicros.add(origin + micros(captureTicks));
        }
        final List<byte[]> nals = clip.units().get(k);
        final int rtpTime = rtpBase + (int) captureTicks;
        for (int i = 0; i < nals.size(); i++) {
            sender.packetize(nals.get(i), i == nals.size() - 1, rtpTime);
        }
        lastVideoSentNanos = System.nanoTime();
    }

    private static long micros(final long ticks) {
        return Math.floorDiv(ticks * 100, 9);
    }

    private static long ticks(final long micros) {
        return Math.floorDiv(micros * 9, 100);
    }

    private static long nowMicros() {
        final java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** One session's RTP and RTCP sender: sequence numbers, and the counts a sender report carries. */
    private static final class Sender {
        private final OutputStream out;
        private final Object lock;
        private final int ssrc;
        private int seq;
        private int packets;
        private int octets;

        Sender(final OutputStream out, final Object lock, final int ssrc, final int firstSeq) {
            this.out = out;
            this.lock = lock;
            this.ssrc = ssrc;
            this.seq = firstSeq;
        }

        void packetize(final byte[] nal, final boolean last, final int rtpTime) throws IOException {
            if (nal.length <= MTU) {
                rtp(last, rtpTime, nal, 0, nal.length, null);
                return;
            }
            // FU-A: indicator keeps F and NRI with type 28; header carries start/end bits and the NAL type
            final byte indicator = (byte) ((nal[0] & 0xe0) | 28);
            for (int off = 1; off < nal.length; off += MTU) {
                final int len = Math.min(MTU, nal.length - off);
                final boolean first = off == 1;
                final boolean end = off + len == nal.length;
                final byte header = (byte) ((first ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f));
                rtp(last && end, rtpTime, nal, off, len, new byte[] {indicator, header});
            }
        }

        private void rtp(final boolean marker, final int rtpTime, final byte[] data, final int off, final int len,
                         final byte[] prefix) throws IOException {
            final int size = 12 + (prefix == null ? 0 : prefix.length) + len;
            final ByteArrayOutputStream p = new ByteArrayOutputStream(4 + size);
            p.write('$');
            p.write(0);
            p.write(size >> 8);
            p.write(size);
            p.write(0x80);
            p.write((marker ? 0x80 : 0) | 96);
            p.write(seq >> 8);
            p.write(seq);
            int32(p, rtpTime);
            int32(p, ssrc);
            if (prefix != null) {
                p.write(prefix, 0, prefix.length);
            }
            p.write(data, off, len);
            seq = (seq + 1) & 0xffff;
            packets++;
            octets += size - 12;
            synchronized (lock) {
                p.writeTo(out);
                out.flush();
            }
        }

        /** A compound RTCP packet: a sender report (no report blocks) and an SDES with the CNAME, on channel 1. */
        void senderReport(final long wallMicros, final int rtpTime) throws IOException {
            final ByteArrayOutputStream r = new ByteArrayOutputStream(64);
            r.write(0x80);                      // V=2, no padding, no report blocks
            r.write(200);                       // SR
            r.write(0);
            r.write(6);                         // length in 32-bit words, less one
            int32(r, ssrc);
            final long seconds = Math.floorDiv(wallMicros, 1_000_000);
            final long fraction = (Math.floorMod(wallMicros, 1_000_000L) << 32) / 1_000_000;
            int32(r, (int) (seconds + NTP_UNIX_SECONDS));
            int32(r, (int) fraction);
            int32(r, rtpTime);
            int32(r, packets);
            int32(r, octets);
            final byte[] cname = "mfs-test@127.0.0.1".getBytes(StandardCharsets.US_ASCII);
            final int sdesWords = (4 + 2 + cname.length + 1 + 3) / 4;       // SSRC, item, end marker, padded
            r.write(0x81);                      // one chunk
            r.write(202);                       // SDES
            r.write(0);
            r.write(sdesWords);
            int32(r, ssrc);
            r.write(1);                         // CNAME
            r.write(cname.length);
            r.write(cname, 0, cname.length);
            for (int pad = 4 * sdesWords - (4 + 2 + cname.length); pad > 0; pad--) {
                r.write(0);
            }
            final byte[] body = r.toByteArray();
            synchronized (lock) {
                out.write(new byte[] {'$', 1, (byte) (body.length >> 8), (byte) body.length});
                out.write(body);
                out.flush();
            }
        }

        private static void int32(final ByteArrayOutputStream b, final int v) {
            b.write(v >>> 24);
            b.write(v >>> 16);
            b.write(v >>> 8);
            b.write(v);
        }
    }

    /** One RTSP request; interleaved binary frames from the client (RTCP) are skipped while reading. */
    private record Request(String method, Map<String, String> headers) {
        String header(final String name) {
            return headers.get(name);
        }

        static Request read(final InputStream in) throws IOException {
            String line;
            do {
                in.mark(1);
                final int first = in.read();
                if (first < 0) {
                    return null;
                }
                if (first == '$') {
                    in.read();
                    final int len = (in.read() << 8) | in.read();
                    in.skipNBytes(len);
                    line = "";
                    continue;
                }
                in.reset();
                line = line(in);
                if (line == null) {
                    return null;
                }
            } while (line.isEmpty());
            final String method = line.split(" ")[0];
            final Map<String, String> headers = new TreeMap<>();
            String h;
            while ((h = line(in)) != null && !h.isEmpty()) {
                final int colon = h.indexOf(':');
                if (colon > 0) {
                    headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
                }
            }
            final String length = headers.get("content-length");
            if (length != null) {
                in.skipNBytes(Integer.parseInt(length));
            }
            return new Request(method, headers);
        }

        private static String line(final InputStream in) throws IOException {
            final StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    final int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append((char) c);
            }
            return sb.length() == 0 ? null : sb.toString();
        }
    }
}
