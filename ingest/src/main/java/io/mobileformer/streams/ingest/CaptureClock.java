package io.mobileformer.streams.ingest;

/**
 * The capture timeline of one camera: turns the presentation timestamps (PTS) of its video into wall-clock capture
 * times, across all its connections.
 *
 * <p>The rule (also in the README's ingest section and the {@code FrameEnvelope} schema):
 * <ol>
 *   <li>A frame's time is its PTS plus an offset, {@code capture = pts + offset}, so frame times inside a record follow
 *       the stream's own timeline exactly: network jitter and our buffering never enter it.</li>
 *   <li>The offset is anchored to the wall clock once per connection and is the smallest {@code arrival - pts} seen on
 *       that connection: no frame can have been captured after it arrived, so the smallest difference is the one
 *       closest to the truth (the transit time of the fastest packet). This is what makes a burst at connect right:
 *       FFmpeg's probe hands over several seconds of video at once, and anchoring on the first packet read (as this
 *       class used to) stamped the whole burst seconds late, then ahead of real time, then jumped back.</li>
 *   <li>Drift is slewed, never jumped back: where the camera's clock runs slow the offset creeps forward by at most
 *       {@link #SLEW_PPM} of the video's duration until arrivals cap it again; where it runs fast the arrivals lower
 *       the offset by the drift itself (microseconds per frame), which rule 4 absorbs.</li>
 *   <li>Per camera, times are strictly increasing (a record's first frame is later than the previous record's last)
 *       and never ahead of the wall clock at the moment the record is stamped.</li>
 *   <li>A discontinuity (the stream resumes after a freeze with its PTS continuing where it stopped, a camera that
 *       resets its timestamps) shows as arrivals lagging the offset by more than {@link #REANCHOR_MICROS} for
 *       {@link #REANCHOR_MICROS} of video in a row: the offset then re-anchors forward on those arrivals.</li>
 * </ol>
 * <p>Where the camera sends RTCP sender reports, its own clock places the frames instead ({@link #senderClock}): a
 * sender report maps an RTP timestamp to the camera's NTP time, so it says when a frame was captured, encoder latency
 * and the first packet's transit included, which arrivals cannot. It is used only while it is plausible against the
 * arrivals on the same connection: no frame captured after it was read (the camera's clock is not ahead of ours), and
 * not more than {@link #SENDER_MAX_LEAD_MICROS} before the arrival anchor of rule 2 (its clock is not behind ours, or
 * never set); otherwise rules 2-3 apply, so a camera whose clock was never set is stamped as one without reports.
 * Rules 4 and 5 hold either way.
 *
 * <p>A source read faster than real time on purpose (a file with {@code source.file.realtime=false}) has no wall-clock
 * meaning: {@link #media()} anchors on its first packet and follows PTS from there (rules 1 and 4's ordering only).
 *
 * <p>Single-threaded, like the camera that owns it; pure arithmetic on the times it is given, so tests drive it with
 * made-up clocks.
 */
final class CaptureClock {
    /** Forward correction rate for a camera clock that runs slow: 1 ms per second of video. */
    static final long SLEW_PPM = 1000;
    /** A lag of arrivals behind the offset this long, for this much video, is a discontinuity, not jitter. */
    static final long REANCHOR_MICROS = 1_000_000;
    /**
     * How much earlier than arrivals suggest a camera's own clock may place its frames: its encoder latency and the
     * first packet's transit, well under a second on IP cameras. More means the camera's clock is behind ours.
     */
    static final long SENDER_MAX_LEAD_MICROS = 1_000_000;
    /**
     * A connection's timeline has settled once its offset fell by no more than {@link #SETTLE_FALL_MICROS} over this
     * much reading: until then the reader is still working through what piled up at connect, perhaps slowly (measured:
     * on a loaded 2-core host the first connection drained its probe backlog at 1.05x real time for 6 s, and records
     * cut meanwhile were stamped 250, 150, 50 ms late).
     */
    static final long SETTLE_MICROS = 1_000_000;
    /** See {@link #SETTLE_MICROS}: well above loopback and LAN jitter, well below a frame interval. */
    static final long SETTLE_FALL_MICROS = 5_000;

    private static final long NONE = Long.MIN_VALUE;

    private final boolean wallBound;
    private long deliveryDelay;
    private long offset = NONE;
    private long offsetBeforeLast = NONE;
    private long maxPts = NONE;
    private long lagSincePts = NONE;
    private long lagMinOffset;
    private long sender = NONE;
    private long readBound = NONE;
    /** (read time, offset) after each packet of the last {@link #SETTLE_MICROS} of reading, oldest first. */
    private final java.util.ArrayDeque<long[]> recent = new java.util.ArrayDeque<>();
    private long firstRead = NONE;
    private boolean settled;
    private long lastIssued = NONE;

    private CaptureClock(final boolean wallBound) {
        this.wallBound = wallBound;
    }

    /** A live camera's clock: bound by the wall clock (rules 1-5). */
    static CaptureClock live() {
        return new CaptureClock(true);
    }

    /** A clock for sources read faster than real time: PTS from the first packet's arrival, ordering kept. */
    static CaptureClock media() {
        return new CaptureClock(false);
    }

    /** Whether this clock is bound by the wall clock (a live source). */
    boolean wallBound() {
        return wallBound;
    }

    /**
     * A new connection: its PTS timeline is unrelated to the last one's; ordering with earlier times is kept.
     *
     * @param deliveryDelayMicros how long after a frame arrived the demuxer hands it over at the least: FFmpeg's H.264
     *                            and H.265 parsers (used on RTSP and on streams over HTTP) finish an access unit only
     *                            when the next one begins, one frame interval later; 0 where frames come whole
     */
    void connected(final long deliveryDelayMicros) {
        deliveryDelay = Math.max(0, deliveryDelayMicros);
        offset = NONE;
        offsetBeforeLast = NONE;
        maxPts = NONE;
        lagSincePts = NONE;
        sender = NONE;
        readBound = NONE;
        recent.clear();
        firstRead = NONE;
        settled = false;
    }

    /**
     * Whether this connection's timeline has settled ({@link #SETTLE_MICROS}): a record cut before would be stamped
     * with an offset the backlog still inflates (unless the camera's own clock places the frames). Once settled, a connection stays so: a later backlog cannot raise the
     * offset (it is a minimum), so records cut during it are stamped right.
     */
    boolean settled() {
        return settled || !wallBound || senderAnchored();
    }

    /**
     * The camera's clock on this connection, from its RTCP sender reports: the wall-clock time, on the camera's clock,
     * of PTS 0 ({@link SenderClock}: the first report's anchor, moved by each later report).
     *
     * @param ptsZeroMicros microseconds since the epoch, or {@code Long.MIN_VALUE} while no report came
     */
    void senderClock(final long ptsZeroMicros) {
        if (ptsZeroMicros != NONE && wallBound) {
            sender = ptsZeroMicros;
        }
    }

    /**
     * Whether the camera's own clock (RTCP sender reports) places this connection's frames now: it reported, and its
     * report is plausible against the arrivals so far (see the class comment).
     */
    boolean senderAnchored() {
        return sender != NONE && offset != NONE && sender <= readBound
            && offset - sender <= SENDER_MAX_LEAD_MICROS;
    }

    /**
     * Takes one video packet as it was read; every packet must pass here, in reading order, before any frame it
     * carries is stamped.
     *
     * @param pts         presentation time, microseconds ({@code Long.MIN_VALUE}: none)
     * @param readMicros  wall-clock time it was read, microseconds since the epoch
     */
    void observe(final long pts, final long readMicros) {
        if (pts != NONE) {
            update(pts, readMicros);
            track(readMicros);
        }
    }

    private void update(final long pts, final long readMicros) {
        offsetBeforeLast = offset;
        // no frame can have been read before it was captured, whatever the parser's delay: the camera clock's bound
        readBound = readBound == NONE ? readMicros - pts : Math.min(readBound, readMicros - pts);
        final long sample = readMicros - deliveryDelay - pts;
        if (offset == NONE) {
            offset = sample;
            maxPts = pts;
            return;
        }
        if (!wallBound) {
            maxPts = Math.max(maxPts, pts);
            return;
        }
        final long advance = Math.max(0, pts - maxPts);
        maxPts = Math.max(maxPts, pts);
        final long slewed = offset + advance * SLEW_PPM / 1_000_000;
        if (sample - offset > REANCHOR_MICROS) {
            if (lagSincePts == NONE) {
                lagSincePts = pts;
                lagMinOffset = sample;
            } else {
                lagMinOffset = Math.min(lagMinOffset, sample);
                if (pts - lagSincePts >= REANCHOR_MICROS) {
                    offset = lagMinOffset;
                    lagSincePts = NONE;
                    return;
                }
            }
            offset = slewed;
        } else {
            lagSincePts = NONE;
            offset = Math.min(slewed, sample);
        }
    }

    /** Notes the offset as of this read, and whether the timeline has settled by now. */
    private void track(final long readMicros) {
        if (settled || !wallBound || offset == NONE) {
            return;
        }
        if (firstRead == NONE) {
            firstRead = readMicros;
        }
        recent.addLast(new long[] {readMicros, offset});
        while (readMicros - recent.peekFirst()[0] > SETTLE_MICROS) {
            recent.removeFirst();
        }
        if (readMicros - firstRead >= SETTLE_MICROS && recent.peekFirst()[1] - offset <= SETTLE_FALL_MICROS) {
            settled = true;
            recent.clear();
        }
    }

    /**
     * Forgets what the last packet said about the timeline: when a connection fails, FFmpeg flushes its parser and
     * hands over the frame it held at once, not when the next began, so that frame's read time less the delivery
     * delay is up to one frame interval too early (measured: the segment flushed at a server kill stamped 66 ms early).
     */
    void forgetLast() {
        if (offsetBeforeLast != NONE) {
            offset = offsetBeforeLast;
        }
    }

    /**
     * Stamps a record: the capture time of its first frame, after which it follows PTS for {@code spanMicros}.
     *
     * @param firstPts   PTS of the record's first frame ({@code Long.MIN_VALUE}: none; the record is then taken to
     *                   end now)
     * @param spanMicros PTS of its last frame minus that of its first (0 for one frame)
     * @param nowMicros  wall-clock time now, microseconds since the epoch
     * @return capture time of the first frame, microseconds since the epoch: later than every frame stamped before
     *     on this clock and, for a live clock, with the record's last frame no later than {@code nowMicros} unless
     *     only that can keep the order (an unanchored burst longer than a record, not seen in practice)
     */
    long stamp(final long firstPts, final long spanMicros, final long nowMicros) {
        final long span = Math.max(0, spanMicros);
        final long anchor = senderAnchored() ? sender : offset;
        long t = firstPts == NONE || anchor == NONE ? nowMicros - span : firstPts + anchor;
        if (wallBound) {
            t = Math.min(t, nowMicros - span);
        }
        if (lastIssued != NONE && t <= lastIssued) {
            t = lastIssued + 1;     // per camera, strictly increasing: order wins over a microsecond of accuracy
        }
        lastIssued = t + span;
        return t;
    }
}
