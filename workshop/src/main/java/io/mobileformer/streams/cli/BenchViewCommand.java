package io.mobileformer.streams.cli;

import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.avro.ModelRef;
import io.mobileformer.streams.avro.SourcePosition;
import io.mobileformer.streams.avro.Timings;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.synthetic.SyntheticFeed;
import io.mobileformer.streams.topology.PipelineConfig;
import io.mobileformer.streams.view.FrameSource;
import io.mobileformer.streams.view.ViewSources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs bench view}: what the live view costs per camera, next to what the pipeline spends on the same camera,
 * measured side by side in one run, in CPU time of one thread (the box may be shared; CPU time is what a core can do).
 *
 * <p>The camera is the demo's synthetic one (1-second H.264 segments, every fourth record a JPEG). The view's part is
 * {@link FrameSource} drawing {@code --view-fps} frames per second of video, the newest each time, exactly as the live
 * view does (decode up to the frame, scale to 640x480 at most, JPEG), with records served from memory so the broker is
 * not measured; the pipeline's part is its decoder to the model input over every frame plus the model's per-frame
 * cost (ONNX Runtime CPU, one thread, batch 8).
 */
@Command(name = "view", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "The live view's CPU cost per camera next to the pipeline's (decode + model) for the same camera.")
final class BenchViewCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "FILE", description = "ONNX model (default: " + Main.DEFAULT_MODEL + ").")
    private Path model;
    @Option(names = "--seconds", defaultValue = "20", description = "Seconds of video per run.")
    private int seconds;
    @Option(names = "--fps", defaultValue = "8", description = "Camera frame rate.")
    private double fps;
    @Option(names = "--width", defaultValue = "640", description = "Frame width.")
    private int width;
    @Option(names = "--height", defaultValue = "360", description = "Frame height.")
    private int height;
    @Option(names = "--view-fps", defaultValue = "2", description = "Frames the view draws per second (--max-fps).")
    private double viewFps;
    @Option(names = "--repeat", defaultValue = "3", description = "Runs per figure; the best counts.")
    private int repeat;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final Path modelFile = model != null ? model : Main.defaultModel();
        final ModelContract contract = ModelContract.load(modelFile);
        final PipelineConfig defaults = PipelineConfig.defaults();
        final SyntheticFeed feed = new SyntheticFeed("bench", 7, width, height, fps, (int) Math.round(fps), 4);
        final Map<Long, FrameEnvelope> records = new HashMap<>();
        final List<Integer> frameCounts = new ArrayList<>();
        int frames = 0;
        for (long i = 0; frames < seconds * fps; i++) {
            final SyntheticFeed.Record r = feed.next(Instant.now());
            records.put(i, r.envelope());
            frameCounts.add(r.frames().size());
            frames += r.frames().size();
        }
        final ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        final ViewSources sources = new ViewSources("detections", "frames.dlq", List.of(), List.of(),
            defaults.decodeLimits(), Sampling.all());

        // the view: the newest frame every 1/viewFps seconds of video, from the segment that holds it
        double viewMs = Double.MAX_VALUE;
        int drawn = 0;
        for (int run = 0; run < repeat; run++) {
            try (FrameSource view = new FrameSource(p -> records.get(p.getOffset()), List.of(sources))) {
                drawn = 0;
                final long t0 = cpu.getCurrentThreadCpuTime();
                double next = 0;
                int first = 0;
                for (int rec = 0; rec < frameCounts.size(); rec++) {
                    final int n = frameCounts.get(rec);
                    for (int k = 0; k < n; k++) {
                        if ((first + k) / fps >= next) {
                            view.render("detections", detections(rec, k));
                            drawn++;
                            next += 1 / viewFps;
                        }
                    }
                    first += n;
                }
                viewMs = Math.min(viewMs, (cpu.getCurrentThreadCpuTime() - t0) / 1e6);
            }
        }

        // the pipeline's decoder on the same records: every frame to the model input
        double decodeMs = Double.MAX_VALUE;
        try (FrameDecoder decoder = new FrameDecoder(defaults.decodeLimits(), Sampling.all(),
            new Preprocessor(contract))) {
            for (int run = 0; run < repeat; run++) {
                final long t0 = cpu.getCurrentThreadCpuTime();
                for (final FrameEnvelope env : records.values()) {
                    try (FrameStream s = decoder.open(bytes(env.getPayload()), env.getContentType())) {
                        DecodedFrame f;
                        do {
                            f = s.next();
                        } while (f != null);
                    }
                }
                decodeMs = Math.min(decodeMs, (cpu.getCurrentThreadCpuTime() - t0) / 1e6);
            }
        }
        final double modelMs = BenchDecodeCommand.modelMsPerFrame(modelFile, contract, repeat, cpu) * frames;
        final double videoSeconds = frames / fps;
        spec.commandLine().getOut().printf("view %dx%d at %.0f fps, %d s of video (%d frames), view draws %.1f/s "
                + "(%d frames): view_ms_per_drawn_frame=%.1f view_cpu_ms_per_camera_second=%.1f "
                + "pipeline_decode_ms_per_camera_second=%.1f model_ms_per_camera_second=%.1f (%s, ort-cpu, 1 thread) "
                + "ratio_view_over_pipeline=%.3f%n", width, height, fps, Math.round(videoSeconds), frames, viewFps,
            drawn, viewMs / drawn, viewMs / videoSeconds, decodeMs / videoSeconds, modelMs / videoSeconds,
            modelFile.getFileName(), viewMs / (decodeMs + modelMs));
        return 0;
    }

    private FrameDetections detections(final long record, final int frame) {
        return FrameDetections.newBuilder().setCameraId("bench").setSegmentSequence(record).setFrameIndex(frame)
            .setFrameTimestamp(Instant.EPOCH).setSource(new SourcePosition("frames", 0, record))
            .setModel(new ModelRef("bench", "", "", "")).setEngine("none").setImageWidth(width)
            .setImageHeight(height).setDetections(List.of()).setTimings(new Timings(0f, 0f, 0f)).build();
    }

    private static byte[] bytes(final ByteBuffer b) {
        final byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
