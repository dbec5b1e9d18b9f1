package io.mobileformer.streams.cli;

import io.mobileformer.streams.batch.FrameResult;
import io.mobileformer.streams.batch.InlineBatcher;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./mfs eval --model m.onnx --clip clip.ts --truth truth.json}: decodes every frame of a clip through the
 * plugin's own decode and preprocessing path, detects, and scores the frames the truth labels (COCO JSON, or a
 * synthetic clip's truth file; see {@link ClipTruth}). Prints {@code map50=<x> map50_95=<x>}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
    description = "mAP of a model on a clip with ground truth: COCO JSON (images with frame_index or file_name "
        + "'clip#N', iscrowd/ignore regions), or a synthetic clip's truth (training/synthetic.py writes both).")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "FILE",
        required = true, description = "ONNX model.")
    private Path model;
    @Option(names = "--clip", paramLabel = "FILE",
        required = true, description = "Video clip (.ts, .mp4, .mkv) or image.")
    private Path clip;
    @Option(names = "--truth", paramLabel = "FILE",
        required = true, description = "Ground truth: COCO detection JSON, or training/synthetic.py's clip truth.")
    private Path truthFile;
    @Option(names = "--engine", defaultValue = "cpu",
        description = "auto, cuda, cpu or java.")
    private String engine;
    @Option(names = "--threads", defaultValue = "2",
        description = "Engine intra-op threads.")
    private int threads;
    @Option(names = "--threshold", defaultValue = "0.05",
        description = "Score threshold of the detections scored.")
    private double threshold;
    @Option(names = "--batch", defaultValue = "8",
        description = "Frames per batch.")
    private int batch;
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final ModelContract contract = ModelContract.load(model);
        final ClipTruth truth = ClipTruth.read(truthFile, contract.labels());
        final String type = contentType(clip);
        final byte[] payload = Files.readAllBytes(clip);
        final MeanAveragePrecision map = new MeanAveragePrecision(contract.labels().size());
        final String engineName;
        int decoded = 0;
        try (FrameDecoder decoder = new FrameDecoder(new DecodeLimits(Integer.MAX_VALUE - 8, 8192L * 8192,
                1_000_000, Long.MAX_VALUE / 4), Sampling.all(), new Preprocessor(contract));
             InlineBatcher det = new InlineBatcher(new Detector(contract, EngineFactory.create(
            contract.path(), new EngineFactory.Settings(engine, threads,
                OrtEngine.Cuda.defaults())), (float) threshold, 100), batch);
             FrameStream s = decoder.open(payload, type)) {
            final List<DecodedFrame> pending = new ArrayList<>();
            DecodedFrame f;
            String used = "";
            while ((f = s.next()) != null) {
                decoded++;
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
            out.printf("WARNING: the truth labels %d frames but only %d of them are among the clip's %d decoded "
                + "frames%n", truth.frames().size(), map.frames(), decoded);
        }
        out.printf(Locale.ROOT, "frames=%d scored=%d engine=%s map50=%.4f map50_95=%.4f%n", decoded, map.frames(),
            engineName, map.map50(), map.map50to95());
        return 0;
    }

    private static String score(final InlineBatcher det, final List<DecodedFrame> frames, final ClipTruth truth,
                                final MeanAveragePrecision map) throws Exception {
        final List<FrameResult> results = det.detect(frames);
        String engine = "";
        for (int i = 0; i < frames.size(); i++) {
            final ClipTruth.FrameTruth t = truth.frame(frames.get(i).index());
            if (t != null) {
                map.add(results.get(i).detections(), t);
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
