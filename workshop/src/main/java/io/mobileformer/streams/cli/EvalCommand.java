package io.mobileformer.streams.cli;

import io.mobileformer.streams.batch.DirectFrameDetector;
import io.mobileformer.streams.batch.FrameResult;
import io.mobileformer.streams.decode.ContentType;
import io.mobileformer.streams.decode.DecodeLimits;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.eval.ClipTruth;
import io.mobileformer.streams.eval.MeanAveragePrecision;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.EngineFactory;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.media.Sampling;
import io.mobileformer.streams.model.ModelContract;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./mfs eval --model m.onnx --clip clip.ts --truth truth.json}: decodes every frame of a clip through the
 * plugin's own decode and preprocessing path, detects, and scores against the ground truth. Prints
 * {@code map50=<x> map50_95=<x>}.
 */
final class EvalCommand {
    private EvalCommand() {
    }

    static int run(final String[] argv, final PrintStream out) throws Exception {
        final Args a = new Args(argv, Set.of("model", "clip", "truth", "engine", "threads", "threshold", "batch"),
            Set.of());
        final ModelContract contract = ModelContract.load(Path.of(a.require("model")));
        final Path clip = Path.of(a.require("clip"));
        final ClipTruth truth = ClipTruth.read(Path.of(a.require("truth")));
        final String type = contentType(clip);
        final byte[] payload = Files.readAllBytes(clip);
        final FrameDecoder decoder = new FrameDecoder(new DecodeLimits(Integer.MAX_VALUE - 8, 8192L * 8192,
            1_000_000, Long.MAX_VALUE / 4), Sampling.all(), new Preprocessor(contract));
        final MeanAveragePrecision map = new MeanAveragePrecision(contract.labels().size());
        final int batch = a.getInt("batch", 8);
        final String engineName;
        try (DirectFrameDetector det = new DirectFrameDetector(new Detector(contract, EngineFactory.create(
            contract.path(), new EngineFactory.Settings(a.get("engine", "cpu"), a.getInt("threads", 2),
                OrtEngine.Cuda.defaults())), (float) a.getDouble("threshold", 0.05), 100), batch);
             FrameStream s = decoder.open(payload, type)) {
            final List<DecodedFrame> pending = new ArrayList<>();
            DecodedFrame f;
            String used = "";
            while ((f = s.next()) != null) {
                pending.add(f);
                if (pending.size() == batch) {
                    used = score(det, pending, truth, map);
                }
            }
            if (!pending.isEmpty()) {
                used = score(det, pending, truth, map);
            }
            engineName = used;
        }
        if (map.frames() != truth.frames().size()) {
            out.printf("WARNING: the clip decoded to %d frames but the truth has %d%n", map.frames(),
                truth.frames().size());
        }
        out.printf(Locale.ROOT, "frames=%d engine=%s map50=%.4f map50_95=%.4f%n", map.frames(), engineName,
            map.map50(), map.map50to95());
        return 0;
    }

    private static String score(final DirectFrameDetector det, final List<DecodedFrame> frames, final ClipTruth truth,
                                final MeanAveragePrecision map) throws Exception {
        final List<FrameResult> results = det.detect(frames);
        String engine = "";
        for (int i = 0; i < frames.size(); i++) {
            final int idx = frames.get(i).index();
            if (idx < truth.frames().size()) {
                map.add(results.get(i).detections(), truth.frames().get(idx));
            }
            engine = results.get(i).engine();
        }
        frames.clear();
        return engine;
    }

    static String contentType(final Path clip) {
        final String n = clip.getFileName().toString().toLowerCase(Locale.ROOT);
        for (final ContentType t : ContentType.values()) {
            if (n.endsWith(switch (t) {
                case JPEG -> ".jpg";
                case PNG -> ".png";
                case MPEG_TS -> ".ts";
                case MP4 -> ".mp4";
                case MATROSKA -> ".mkv";
            })) {
                return t.mime();
            }
        }
        throw new IllegalArgumentException("cannot tell the container of " + clip + " from its name (.ts, .mp4, .mkv)");
    }
}
