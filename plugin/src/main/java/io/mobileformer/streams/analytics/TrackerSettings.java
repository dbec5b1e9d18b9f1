package io.mobileformer.streams.analytics;

/**
 * How the {@link Tracker} associates, confirms and forgets; ByteTrack's defaults are the keys' defaults in the pipeline
 * configuration ({@code tracking.*}).
 *
 * @param highScore      detections scoring at least this take part in the first association; lower ones only keep
 *                       already tracked objects alive (the second association)
 * @param newTrackScore  an unmatched detection must score at least this to start a track
 * @param matchIou       least IoU between a track's predicted box and a high-score detection (first association,
 *                       and confirmation of a tentative track)
 * @param lowMatchIou    least IoU for the second association with low-score detections: stricter, since a weak
 *                       detection is more often a false one
 * @param minHits        consecutive frames a new track must be matched before it gets an id (1: at once)
 * @param maxLostFrames  frames a track survives unmatched before it ends; it keeps its id if found again before
 * @param classAware     match only detections of the track's own class
 */
public record TrackerSettings(double highScore, double newTrackScore, double matchIou, double lowMatchIou,
                              int minHits, int maxLostFrames, boolean classAware) {

    public TrackerSettings {
        if (!(highScore >= 0 && highScore <= 1 && newTrackScore >= 0 && newTrackScore <= 1)) {
            throw new IllegalArgumentException("scores must lie in [0, 1]");
        }
        if (!(matchIou > 0 && matchIou <= 1 && lowMatchIou > 0 && lowMatchIou <= 1)) {
            throw new IllegalArgumentException("IoU thresholds must lie in (0, 1]");
        }
        if (minHits < 1 || maxLostFrames < 0) {
            throw new IllegalArgumentException("minHits must be at least 1 and maxLostFrames at least 0");
        }
    }

    /** ByteTrack's published settings (track threshold 0.5, new-track 0.6, match 0.8 cost, buffer 30 frames). */
    public static TrackerSettings byteTrack() {
        return new TrackerSettings(0.5, 0.6, 0.2, 0.5, 2, 30, true);
    }
}
