package io.mobileformer.streams.cli;

import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackedDetection;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.clip.ClipSegments;
import io.mobileformer.streams.eval.ClipTruth;
import io.mobileformer.streams.eval.MeanAveragePrecision;
import io.mobileformer.streams.metrics.Latencies;
import io.mobileformer.streams.model.Detection;
import io.mobileformer.streams.publish.DetectionRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's real camera: a recorded clip (by default {@code samples/vtest-tail.ts}, real pedestrians) published in
 * real time as GOP-aligned segments, looping, to its own topic, and a read_committed consumer that scores the
 * detections of every frame the truth labels ({@code samples/vtest-tail.truth.json}, checked by eye) and draws a few.
 * The detections come from a second topology of the same plugin with the people model: one pipeline per model is
 * how a deployment runs two models, and replaying retained video through another model is the same move.
 */
final class DemoClipCamera {
    static final String CAMERA = "campus-1";
    /** Boxes drawn on the annotated frames: the pipeline keeps a lower tail for scoring. */
    static final float DRAW_SCORE = 0.3f;

    private final String bootstrap;
    private final String inputTopic;
    private final String outputTopic;
    private final String dlqTopic;
    private final ClipSegments.Clip clip;
    private final ClipTruth truth;
    private final Path clipFile;
    private final Path outDir;
    private final int pngs;
    private final PrintWriter out;
    private final Map<Long, Sent> sent = new ConcurrentHashMap<>();
    private final AtomicLong framesSent = new AtomicLong();
    private final AtomicLong framesDone = new AtomicLong();
    private final AtomicLong detections = new AtomicLong();
    private final AtomicLong dlqFrames = new AtomicLong();
    private final AtomicLong dlqRecords = new AtomicLong();
    private final AtomicInteger pngsWritten = new AtomicInteger();
    private final Latencies latency = new Latencies();
    private final MeanAveragePrecision map;
    private final Set<Integer> drawn = ConcurrentHashMap.newKeySet();
    private Map<Integer, byte[]> pixels = Map.of();
    /** Segment sequence → clip frame of its first frame, for the tracks reader (which has no other way back). */
    private final Map<Long, Integer> firstFrames = new ConcurrentHashMap<>();
    private final Set<Integer> tracked = ConcurrentHashMap.newKeySet();

    private record Sent(long sentNanos, ClipSegments.Segment segment, AtomicInteger remaining) {
    }

    DemoClipCamera(final String bootstrap, final String inputTopic, final String outputTopic, final String dlqTopic,
                   final Path clipFile, final ClipTruth truth, final int labels, final Path outDir, final int pngs,
                   final PrintWriter out) throws Exception {
        this.bootstrap = bootstrap;
        this.inputTopic = inputTopic;
        this.outputTopic = outputTopic;
        this.dlqTopic = dlqTopic;
        this.clipFile = clipFile;
        this.truth = truth;
        this.outDir = outDir;
        this.pngs = pngs;
        this.out = out;
        this.map = new MeanAveragePrecision(labels);
        // one-second segments, as the synthetic cameras and a default ingest would publish
        this.clip = ClipSegments.cut(clipFile, 1);
        if (pngs > 0) {
            // spread the drawn frames over the clip: labelled frames, evenly spaced
            final List<Integer> labelled = List.copyOf(truth.frames().keySet());
            final Set<Integer> pick = new TreeSet<>();
            for (int i = 0; i < Math.min(pngs, labelled.size()); i++) {
                pick.add(labelled.get(i * labelled.size() / Math.min(pngs, labelled.size())));
            }
            pixels = ClipSegments.rgb(clipFile, pick);
        }
    }

    String describe() {
        return String.format("real camera %s: %s, %dx%d at %.0f fps, %d frames in %d segments, looping; truth on %d "
            + "frames", CAMERA, clipFile, clip.width(), clip.height(), clip.fps(), clip.frames(),
            clip.segments().size(), truth.frames().size());
    }

    /** Publishes segments in real time until {@code deadline}. */
    void publish(final KafkaProducer<String, byte[]> producer, final long deadline, final AtomicBoolean stop) {
        long next = System.nanoTime();
        long seq = 0;
        Instant lastFrame = null;
        try {
            while (next < deadline && !stop.get()) {
                final ClipSegments.Segment s = clip.segments().get((int) (seq % clip.segments().size()));
                final long frameNanos = Math.round(1e9 / clip.fps());
                if (lastFrame != null) {
                    // behind real time, wait until this segment's frames have been "captured", one frame interval
                    // after the last one published: frame times never go backwards
                    final long early = Duration.between(Instant.now(), lastFrame.plusNanos(s.frames() * frameNanos))
                        .toNanos();
                    if (early > 0) {
                        Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
                    }
                }
                // the segment's last frame is "now", so no frame is stamped ahead of the clock
                final Instant first = Instant.now().minusNanos((s.frames() - 1) * frameNanos);
                lastFrame = first.plusNanos((s.frames() - 1) * frameNanos);
                final FrameEnvelope env = FrameEnvelope.newBuilder()
                    .setCameraId(CAMERA)
                    .setSequence(seq)
                    .setCaptureTime(first)
                    .setContentType("video/mp2t")
                    .setPayload(ByteBuffer.wrap(s.payload()))
                    .setWidth(clip.width())
                    .setHeight(clip.height())
                    .setFps(clip.fps())
                    .build();
                sent.put(seq, new Sent(System.nanoTime(), s, new AtomicInteger(s.frames())));
                firstFrames.put(seq, s.firstFrame());
                framesSent.addAndGet(s.frames());
                producer.send(new ProducerRecord<>(inputTopic, CAMERA,
                    AvroSerdes.frameEnvelope().serializer().serialize(inputTopic, env)));
                seq++;
                next += (long) (s.frames() / clip.fps() * 1e9);
                final long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final Exception e) {
            out.println("real camera " + CAMERA + " failed: " + e);
        }
    }

    void readDetections(final AtomicBoolean stop) {
        try (KafkaConsumer<String, byte[]> c = consumer("demo-real-detections")) {
            c.subscribe(List.of(outputTopic));
            while (!stop.get()) {
                for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    onDetections(AvroSerdes.frameDetections().deserializer().deserialize(outputTopic, r.value()));
                }
            }
        }
    }

    void readDeadLetters(final AtomicBoolean stop) {
        try (KafkaConsumer<String, byte[]> c = consumer("demo-real-dlq")) {
            c.subscribe(List.of(dlqTopic));
            while (!stop.get()) {
                for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    dlqRecords.incrementAndGet();
                    try {
                        final FrameEnvelope env = AvroSerdes.frameEnvelope().deserializer().deserialize(dlqTopic,
                            r.value());
                        final Sent s = sent.remove(env.getSequence());
                        if (s != null) {
                            dlqFrames.addAndGet(s.remaining().get());
                        }
                    } catch (final RuntimeException e) {
                        // not one of ours
                    }
                }
            }
        }
    }

    private void onDetections(final FrameDetections fd) {
        final Sent s = sent.get(fd.getSegmentSequence());
        if (s == null) {
            return;
        }
        latency.add((System.nanoTime() - s.sentNanos()) / 1e6);
        final List<Detection> dets = DetectionRecords.detections(fd);
        final int frame = s.segment().firstFrame() + fd.getFrameIndex();
        final ClipTruth.FrameTruth t = truth.frame(frame);
        // each labelled frame is scored once, however often the clip loops: the score is the clip's
        if (t != null && drawn.add(frame)) {
            synchronized (map) {
                map.add(dets, t);
            }
        }
        framesDone.incrementAndGet();
        detections.addAndGet(dets.size());
        if (s.remaining().decrementAndGet() == 0) {
            sent.remove(fd.getSegmentSequence());
        }
    }

    /** Draws labelled frames with the track id of each box ({@code person #12}), from the tracks topic. */
    void readTracks(final String tracksTopic, final AtomicBoolean stop) {
        try (KafkaConsumer<String, byte[]> c = consumer("demo-real-tracks")) {
            c.subscribe(List.of(tracksTopic));
            while (!stop.get()) {
                for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                    onTracks(AvroSerdes.frameTracks().deserializer().deserialize(tracksTopic, r.value()));
                }
            }
        }
    }

    private void onTracks(final FrameTracks ft) {
        final Integer first = firstFrames.get(ft.getSegmentSequence());
        if (first == null) {
            return;
        }
        final int frame = first + ft.getFrameIndex();
        final byte[] rgb = pixels.get(frame);
        if (rgb == null || truth.frame(frame) == null || !tracked.add(frame) || pngsWritten.incrementAndGet() > pngs) {
            return;
        }
        final List<Detection> shown = new ArrayList<>();
        for (final TrackedDetection d : ft.getTracks()) {
            if (d.getScore() >= DRAW_SCORE) {
                shown.add(new Detection(d.getClassId(), d.getLabel() + (d.getTrackId() == null ? ""
                    : " #" + d.getTrackId()), d.getScore(), d.getXMin(), d.getYMin(), d.getXMax(), d.getYMax()));
            }
        }
        try {
            FrameAnnotator.write(rgb, clip.width(), clip.height(), shown, String.format(
                    "%s frame %d  %d detections >= %.1f with track ids", CAMERA, frame, shown.size(), DRAW_SCORE),
                outDir.resolve(String.format("frame-%s-%03d.png", CAMERA, frame)));
        } catch (final Exception e) {
            out.println("could not write annotated frame: " + e);
        }
    }

    private KafkaConsumer<String, byte[]> consumer(final String group) {
        return DemoCommand.committedConsumer(bootstrap, group, new StringDeserializer());
    }

    long framesSent() {
        return framesSent.get();
    }

    long framesAccounted() {
        return framesDone.get() + dlqFrames.get();
    }

    long framesDone() {
        return framesDone.get();
    }

    long detections() {
        return detections.get();
    }

    long deadLetters() {
        return dlqRecords.get();
    }

    Latencies latency() {
        return latency;
    }

    int scoredFrames() {
        synchronized (map) {
            return map.frames();
        }
    }

    double map50() {
        synchronized (map) {
            return map.map50();
        }
    }
}
