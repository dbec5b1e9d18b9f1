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
 * authentication), at real time.
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

    private final H264Clip clip;
    private final Behaviour behaviour;
    private final String basicAuth;
    private final ServerSocket server;
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final AtomicInteger plays = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Long> keyFramesSentMicros = new CopyOnWriteArrayList<>();
    private volatile Video video = Video.FLOWING;
    private volatile long lastVideoSentNanos;
    private volatile boolean closed;

    private RtspTestServer(final int port, final H264Clip clip, final Behaviour behaviour, final String user,
                           final String password) throws IOException {
        this.clip = clip;
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
        return new RtspTestServer(port, clip, behaviour, user, password);
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
     * Wall-clock times (microseconds since the epoch) at which a key frame was sent, in any session: the source's own
     * timeline, which a segment's capture time must match.
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
                        headers.append("Session: 4242\r\nRange: npt=0.000-\r\n");
                        respond(out, writeLock, r, status, headers, null);
                        if (sender == null) {
                            plays.incrementAndGet();
                            sender = new Thread(() -> stream(out, writeLock), "rtsp-test-rtp-" + socket.getPort());
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

    /** Sends the clip, looped, at real time as RTP over the RTSP connection (interleaved channel 0). */
    private void stream(final OutputStream out, final Object lock) {
        final long start = System.nanoTime();
        final long frameNanos = Math.round(1e9 / clip.fps());
        int seq = 0;
        final int n = clip.units().size();
        try {
            for (long i = 0; !closed; i++) {
                final long wait = start + i * frameNanos - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (video == Video.FROZEN) {
                    continue;
                }
                if (video == Video.NOISE) {
                    synchronized (lock) {
                        out.write(new byte[] {'$', 4, 0, 100});
                        out.write(new byte[100]);
                        out.flush();
                    }
                    continue;
                }
                final int rtpTime = (int) (i * 90_000 / clip.fps());
                final List<byte[]> nals = clip.units().get((int) (i % n));
                if (clip.keys().get((int) (i % n))) {
                    final java.time.Instant now = java.time.Instant.now();
                    keyFramesSentMicros.add(now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
                }
                for (int k = 0; k < nals.size(); k++) {
                    seq = packetize(out, lock, nals.get(k), k == nals.size() - 1, rtpTime, seq);
                }
                lastVideoSentNanos = System.nanoTime();
            }
        } catch (final IOException | InterruptedException e) {
            // connection closed
        }
    }

    private static int packetize(final OutputStream out, final Object lock, final byte[] nal, final boolean last,
                                 final int rtpTime, final int seq) throws IOException {
        if (nal.length <= MTU) {
            rtp(out, lock, seq, rtpTime, last, nal, 0, nal.length, null);
            return seq + 1;
        }
        // FU-A: indicator keeps F and NRI with type 28; header carries start/end bits and the NAL type
        final byte indicator = (byte) ((nal[0] & 0xe0) | 28);
        int s = seq;
        for (int off = 1; off < nal.length; off += MTU) {
            final int len = Math.min(MTU, nal.length - off);
            final boolean first = off == 1;
            final boolean end = off + len == nal.length;
            final byte header = (byte) ((first ? 0x80 : 0) | (end ? 0x40 : 0) | (nal[0] & 0x1f));
            rtp(out, lock, s++, rtpTime, last && end, nal, off, len, new byte[] {indicator, header});
        }
        return s;
    }

    private static void rtp(final OutputStream out, final Object lock, final int seq, final int rtpTime,
                            final boolean marker, final byte[] data, final int off, final int len,
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
        p.write(rtpTime >>> 24);
        p.write(rtpTime >>> 16);
        p.write(rtpTime >>> 8);
        p.write(rtpTime);
        p.write(new byte[] {0x12, 0x34, 0x56, 0x78}, 0, 4);     // SSRC
        if (prefix != null) {
            p.write(prefix, 0, prefix.length);
        }
        p.write(data, off, len);
        synchronized (lock) {
            p.writeTo(out);
            out.flush();
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
