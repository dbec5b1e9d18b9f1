package io.mobileformer.streams.fuzz;

import io.mobileformer.engine.EngineException;
import io.mobileformer.streams.avro.AvroSerdes;
import io.mobileformer.streams.avro.FrameEnvelope;
import io.mobileformer.streams.batch.InlineBatcher;
import io.mobileformer.streams.decode.DecodeException;
import io.mobileformer.streams.decode.DecodedFrame;
import io.mobileformer.streams.decode.FrameDecoder;
import io.mobileformer.streams.decode.FrameStream;
import io.mobileformer.streams.decode.Preprocessor;
import io.mobileformer.streams.inference.Detector;
import io.mobileformer.streams.inference.OrtEngine;
import io.mobileformer.streams.media.FfmpegLog;
import io.mobileformer.streams.metrics.ProcessMemory;
import io.mobileformer.streams.model.ModelContract;
import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child JVM of a fuzz run: cases {@code from} to {@code to} through the path one record takes in the topology
 * (envelope, decode with the pipeline's limits, detect on ONNX Runtime), without Kafka. Native code (FFmpeg, ONNX
 * Runtime) runs in this process, so a crash in it ends this JVM, not the run: the parent sees which case was started
 * last and not finished.
 *
 * <p>Protocol on standard output, one line each: {@code SEED <name> <outcome>} for each unmutated seed (the warm-up),
 * {@code START i}, then {@code DONE i detections <frames> <seed:mutation> <ms>} or
 * {@code DONE i dlq <stage>/<reason> <seed:mutation> <ms>}, and every 250 cases {@code MEM i <rss> <heap> <javacpp>} (bytes, after a
 * GC). Everything else the JVM prints goes to standard error.
 */
public final class FuzzWorker {
    /** decode.max-frames-per-segment of every fuzz run, in child JVMs and through Kafka alike. */
    static final int MAX_FRAMES = 120;

    private FuzzWorker() {
    }

    /** Arguments: seed dir, run seed, first case, end case (exclusive), model, decode.max-decode-ms. */
    public static void main(final String[] args) throws Exception {
        final Path seeds = Path.of(args[0]);
        final long runSeed = Long.parseLong(args[1]);
        final int from = Integer.parseInt(args[2]);
        final int to = Integer.parseInt(args[3]);
        final ModelContract contract = ModelContract.load(Path.of(args[4]));
        final PipelineConfig cfg = new PipelineConfig(Map.of(PipelineConfig.DECODE_MAX_MS, args[5],
            PipelineConfig.DECODE_MAX_FRAMES, Integer.toString(MAX_FRAMES)));
        final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);
        System.setOut(System.err);     // only the protocol on standard output
        FfmpegLog.install();
        final Mutator mutator = new Mutator(FuzzCorpus.read(seeds), runSeed);
        final Deserializer<FrameEnvelope> envelopes = AvroSerdes.frameEnvelope().deserializer();
        // the decoder keeps native codec contexts across segments: closed here, like the topology's processor does
        try (FrameDecoder decoder = new FrameDecoder(cfg.decodeLimits(), cfg.sampling(), new Preprocessor(contract));
             InlineBatcher detector = new InlineBatcher(new Detector(contract, OrtEngine.cpu(contract.path(), 1),
                 0.3f, 100), 8)) {
            // warm up on the unmutated seeds (FFmpeg's and ONNX Runtime's first calls are slow), and check that each
            // valid one gives detections: a fuzz run over seeds that never decode would test nothing
            for (int pass = 0; pass < 2; pass++) {      // the first pass may time out while classes load
                for (final FuzzCorpus.Seed seed : FuzzCorpus.read(seeds)) {
                    if (!seed.contentType().equals(Mutator.ENVELOPE)) {
                        final String o = run(Mutator.envelope(0, seed.contentType(), seed.bytes()), envelopes,
                            decoder, detector);
                        if (pass == 1) {
                            out.println("SEED " + seed.name() + " " + o);
                        }
                    }
                }
            }
            for (int i = from; i < to; i++) {
                final Mutator.Case c = mutator.make(i);
                out.println("START " + i);
                final long t = System.nanoTime();
                final String outcome = run(c.value(), envelopes, decoder, detector);
                out.println("DONE " + i + " " + outcome + " " + c.seed() + ":" + c.mutation().replace(' ', '_') + " "
                    + (System.nanoTime() - t) / 1_000_000);
                if ((i - from) % 250 == 249 || i == to - 1) {
                    System.gc();
                    final Runtime rt = Runtime.getRuntime();
                    out.println("MEM " + i + " " + ProcessMemory.rssBytes() + " " + (rt.totalMemory() - rt.freeMemory())
                        + " " + ProcessMemory.javacppBytes());
                }
            }
        }
        out.flush();
        System.exit(0);
    }

    /**
     * What the topology's processor would do with this record value: {@code detections <n>} or {@code dlq
     * <stage>/<reason>}, the classification {@code DetectProcessor} uses; anything it would dead-letter as UNEXPECTED
     * is reported as such so the run can count it.
     */
    static String run(final byte[] value, final Deserializer<FrameEnvelope> envelopes, final FrameDecoder decoder,
                      final InlineBatcher detector) {
        final FrameEnvelope env;
        try {
            env = envelopes.deserialize("frames", value);
            if (env == null) {
                return "dlq deserialize/NOT_AVRO";
            }
        } catch (final RuntimeException e) {
            return "dlq deserialize/NOT_AVRO";
        }
        final ByteBuffer p = env.getPayload();
        final byte[] payload = new byte[p.remaining()];
        p.duplicate().get(payload);
        final List<DecodedFrame> frames = new ArrayList<>();
        try (FrameStream s = decoder.open(payload, env.getContentType())) {
            DecodedFrame f;
            while ((f = s.next()) != null) {
                frames.add(f);
            }
        } catch (final DecodeException e) {
            return "dlq decode/" + e.reason().name();
        } catch (final RuntimeException e) {
            return "dlq process/UNEXPECTED:" + e.getClass().getSimpleName();
        }
        if (frames.isEmpty()) {
            return "dlq decode/NO_FRAMES";
        }
        try {
            detector.detect(frames);
        } catch (final EngineException e) {
            return "dlq infer/ENGINE_" + e.kind().name();
        } catch (final RuntimeException e) {
            return "dlq process/UNEXPECTED:" + e.getClass().getSimpleName();
        }
        return "detections " + frames.size();
    }
}
