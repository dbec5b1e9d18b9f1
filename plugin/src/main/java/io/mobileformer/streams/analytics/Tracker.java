package io.mobileformer.streams.analytics;

import io.mobileformer.streams.model.Detection;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * A ByteTrack-style multi-object tracker for one camera (Zhang et al., "ByteTrack: Multi-Object Tracking by
 * Associating Every Detection Box", ECCV 2022): each track's box is predicted by a {@link KalmanBoxFilter}; the
 * frame's high-score detections are matched to all tracks by IoU with an exact {@link Assignment}; the low-score
 * detections then rescue tracks that are still unmatched (an occluded object scores low but is still there); what stays
 * unmatched ages. A new track gets an id only once confirmed ({@link TrackerSettings#minHits} consecutive matches), so
 * ids are dense and a one-frame false detection never consumes one.
 *
 * <p>Pure: no clock, no threads, no hashing. Time advances one step per {@link #update} and the times passed in are
 * only recorded; tracks are kept in creation order, so the same detections always give the same ids. The whole state
 * is {@link #encode}d to bytes for a changelogged state store and {@link #decode}d after a restart or a move to another
 * instance, and then continues exactly as if nothing had happened. Not thread-safe: one camera, one stream task.
 */
public final class Tracker {
    private static final int FORMAT = 1;

    enum Status { TENTATIVE, TRACKED, LOST }

    /** One object over time. Mutable, owned by the tracker. */
    static final class Track {
        long id;
        final int classId;
        final String label;
        Status status;
        int hits;
        int lostFrames;
        float score;
        long firstSeenMicros;
        long lastSeenMicros;
        /** Matched in the frame being processed; meaningless between frames, so not part of the state. */
        boolean matched;
        final double[] mean = new double[KalmanBoxFilter.DIM];
        final double[] cov = new double[KalmanBoxFilter.DIM * KalmanBoxFilter.DIM];

        Track(final int classId, final String label) {
            this.classId = classId;
            this.label = label;
        }
    }

    /**
     * What one frame did.
     *
     * @param trackIds per input detection, the id of the confirmed track it belongs to, or 0 when none (yet)
     * @param boxes    per input detection with an id, the track's filtered box {@code [x0, y0, x1, y1]} after this
     *                 frame (smoother than the detection); null where the id is 0
     * @param ended    tracks that ended in this frame (lost for longer than {@link TrackerSettings#maxLostFrames}),
     *                 in id order
     */
    public record Update(long[] trackIds, double[][] boxes, List<Ended> ended) {
    }

    /** A track that is gone for good, and when it was last seen. */
    public record Ended(long trackId, int classId, String label, long firstSeenMicros, long lastSeenMicros) {
    }

    private final TrackerSettings settings;
    private final List<Track> tracks = new ArrayList<>();
    private long frames;
    private long nextId = 1;

    public Tracker(final TrackerSettings settings) {
        this.settings = settings;
    }

    public TrackerSettings settings() {
        return settings;
    }

    /** Frames seen so far. */
    public long frames() {
        return frames;
    }

    /** Confirmed tracks that are currently tracked or lost (not yet ended). */
    public int liveTracks() {
        return (int) tracks.stream().filter(t -> t.status != Status.TENTATIVE).count();
    }

    /**
     * Advances one frame.
     *
     * @param detections the frame's detections, in any order (the order of the returned arrays)
     * @param timeMicros the frame's capture time, recorded as first and last seen times
     */
    public Update update(final List<Detection> detections, final long timeMicros) {
        final boolean firstFrame = frames == 0;
        frames++;
        for (final Track t : tracks) {
            t.matched = false;
            if (t.status != Status.TRACKED) {
                // a track not seen in the last frame keeps its position and drift but not its growth (ByteTrack)
                t.mean[7] = 0;
            }
            KalmanBoxFilter.predict(t.mean, t.cov);
        }
        final int n = detections.size();
        final long[] ids = new long[n];
        final double[][] boxes = new double[n][];
        final Track[] owner = new Track[n];
        final List<Integer> high = new ArrayList<>();
        final List<Integer> low = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (detections.get(i).score() >= settings.highScore() ? high : low).add(i);
        }
        final List<Track> confirmed = new ArrayList<>();
        final List<Track> tentative = new ArrayList<>();
        for (final Track t : tracks) {
            (t.status == Status.TENTATIVE ? tentative : confirmed).add(t);
        }
        // 1: high-score detections against every confirmed track, tracked or lost
        final List<Integer> highLeft = match(confirmed, high, detections, settings.matchIou(), owner, timeMicros);
        // 2: low-score detections keep tracks alive that were tracked until now (never revive a lost one)
        final List<Track> stillTracked = new ArrayList<>();
        for (final Track t : confirmed) {
            if (t.status == Status.TRACKED && !t.matched) {
                stillTracked.add(t);
            }
        }
        match(stillTracked, low, detections, settings.lowMatchIou(), owner, timeMicros);
        // 3: tentative tracks against the high-score detections left
        final List<Integer> fresh = match(tentative, highLeft, detections, settings.matchIou(), owner, timeMicros);
        // what stayed unmatched ages; a tentative track must be matched in consecutive frames
        final List<Ended> ended = new ArrayList<>();
        for (final Iterator<Track> it = tracks.iterator(); it.hasNext(); ) {
            final Track t = it.next();
            if (t.matched) {
                continue;
            }
            if (t.status == Status.TENTATIVE) {
                it.remove();
            } else {
                t.status = Status.LOST;
                if (++t.lostFrames > settings.maxLostFrames()) {
                    ended.add(new Ended(t.id, t.classId, t.label, t.firstSeenMicros, t.lastSeenMicros));
                    it.remove();
                }
            }
        }
        // 4: births, from unmatched high-score detections strong enough to start a track
        for (final int d : fresh) {
            final Detection det = detections.get(d);
            if (det.score() < settings.newTrackScore()) {
                continue;
            }
            final Track t = new Track(det.classId(), det.label());
            KalmanBoxFilter.initiate(KalmanBoxFilter.measurement(det.x0(), det.y0(), det.x1(), det.y1()), t.mean,
                t.cov);
            t.status = Status.TENTATIVE;
            t.hits = 1;
            t.score = det.score();
            t.firstSeenMicros = timeMicros;
            t.lastSeenMicros = timeMicros;
            owner[d] = t;
            tracks.add(t);
        }
        // confirmation, in detection order so ids are handed out deterministically
        for (int i = 0; i < n; i++) {
            final Track t = owner[i];
            if (t == null) {
                continue;
            }
            if (t.status == Status.TENTATIVE && (firstFrame || t.hits >= settings.minHits())) {
                t.status = Status.TRACKED;
                t.id = nextId++;
            }
            if (t.status != Status.TENTATIVE) {
                ids[i] = t.id;
                boxes[i] = KalmanBoxFilter.box(t.mean);
            }
        }
        ended.sort((a, b) -> Long.compare(a.trackId(), b.trackId()));
        return new Update(ids, boxes, ended);
    }

    /**
     * Matches {@code candidates} (detection indices) to {@code pool} by IoU of the predicted box, updates the matched
     * tracks and records them in {@code owner}; returns the candidates left unmatched, in their order.
     */
    private List<Integer> match(final List<Track> pool, final List<Integer> candidates, final List<Detection> dets,
                                final double minIou, final Track[] owner, final long timeMicros) {
        if (pool.isEmpty() || candidates.isEmpty()) {
            return candidates;
        }
        final double[][] cost = new double[pool.size()][candidates.size()];
        for (int r = 0; r < pool.size(); r++) {
            final Track t = pool.get(r);
            final double[] p = KalmanBoxFilter.box(t.mean);
            for (int c = 0; c < candidates.size(); c++) {
                final Detection d = dets.get(candidates.get(c));
                final boolean sameClass = !settings.classAware() || d.classId() == t.classId;
                cost[r][c] = sameClass ? 1 - iou(p, d) : 2;
            }
        }
        final int[] col = Assignment.solve(cost, 1 - minIou);
        final boolean[] taken = new boolean[candidates.size()];
        for (int r = 0; r < pool.size(); r++) {
            if (col[r] < 0) {
                continue;
            }
            final int d = candidates.get(col[r]);
            taken[col[r]] = true;
            final Track t = pool.get(r);
            final Detection det = dets.get(d);
            KalmanBoxFilter.update(t.mean, t.cov, KalmanBoxFilter.measurement(det.x0(), det.y0(), det.x1(), det.y1()));
            if (t.status == Status.LOST) {
                t.status = Status.TRACKED;
            }
            t.hits++;
            t.lostFrames = 0;
            t.score = det.score();
            t.lastSeenMicros = timeMicros;
            t.matched = true;
            owner[d] = t;
        }
        final List<Integer> left = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            if (!taken[c]) {
                left.add(candidates.get(c));
            }
        }
        return left;
    }

    static double iou(final double[] a, final Detection d) {
        final double iw = Math.min(a[2], d.x1()) - Math.max(a[0], d.x0());
        final double ih = Math.min(a[3], d.y1()) - Math.max(a[1], d.y0());
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        final double inter = iw * ih;
        final double union = (a[2] - a[0]) * (a[3] - a[1]) + (double) (d.x1() - d.x0()) * (d.y1() - d.y0()) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    /** The whole state, for a changelogged store: a format number, counters, then every track with its filter. */
    public byte[] encode() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + tracks.size() * 400);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(frames);
            out.writeLong(nextId);
            out.writeInt(tracks.size());
            for (final Track t : tracks) {
                out.writeLong(t.id);
                out.writeInt(t.classId);
                out.writeUTF(t.label);
                out.writeByte(t.status.ordinal());
                out.writeInt(t.hits);
                out.writeInt(t.lostFrames);
                out.writeFloat(t.score);
                out.writeLong(t.firstSeenMicros);
                out.writeLong(t.lastSeenMicros);
                for (final double v : t.mean) {
                    out.writeDouble(v);
                }
                // the covariance is symmetric: its upper triangle suffices
                for (int r = 0; r < KalmanBoxFilter.DIM; r++) {
                    for (int c = r; c < KalmanBoxFilter.DIM; c++) {
                        out.writeDouble(t.cov[r * KalmanBoxFilter.DIM + c]);
                    }
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A tracker continuing from {@link #encode}d state. */
    public static Tracker decode(final byte[] state, final TrackerSettings settings) {
        final Tracker tr = new Tracker(settings);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            final int format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("tracker state format " + format + " is not " + FORMAT
                    + ": written by another version; reset the application's state to start over");
            }
            tr.frames = in.readLong();
            tr.nextId = in.readLong();
            final int n = in.readInt();
            for (int i = 0; i < n; i++) {
                final long id = in.readLong();
                final Track t = new Track(in.readInt(), in.readUTF());
                t.id = id;
                t.status = Status.values()[in.readByte()];
                t.hits = in.readInt();
                t.lostFrames = in.readInt();
                t.score = in.readFloat();
                t.firstSeenMicros = in.readLong();
                t.lastSeenMicros = in.readLong();
                for (int k = 0; k < KalmanBoxFilter.DIM; k++) {
                    t.mean[k] = in.readDouble();
                }
                for (int r = 0; r < KalmanBoxFilter.DIM; r++) {
                    for (int c = r; c < KalmanBoxFilter.DIM; c++) {
                        final double v = in.readDouble();
                        t.cov[r * KalmanBoxFilter.DIM + c] = v;
                        t.cov[c * KalmanBoxFilter.DIM + r] = v;
                    }
                }
                tr.tracks.add(t);
            }
        } catch (final IOException e) {
            throw new IllegalArgumentException("tracker state is truncated: " + e.getMessage(), e);
        }
        return tr;
    }

    @Override
    public String toString() {
        return "Tracker[frames=" + frames + ", nextId=" + nextId + ", tracks=" + Arrays.toString(tracks.stream()
            .map(t -> t.status + "#" + t.id).toArray()) + "]";
    }
}
