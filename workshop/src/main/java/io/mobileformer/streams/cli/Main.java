package io.mobileformer.streams.cli;

import io.mobileformer.streams.topology.PipelineConfig;
import org.apache.kafka.common.config.ConfigException;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code ./mfs <command>}: the launcher's entry point. */
public final class Main {
    static final String USAGE = String.join("\n",
        "usage: ./mfs <command> [options]",
        "  demo [--seconds 30] [--cameras 2] [--fps 8] [--model f] [--out out/demo] [--engine auto|cpu|java|cuda]",
        "                                 embedded broker + synthetic cameras + the pipeline; prints a SUMMARY line",
        "  run --config config/<env>.properties [--pipeline processors/<name>.properties]",
        "                                 run the detection topology against a Kafka cluster",
        "  bench pipeline [--seconds 20] [--engine cpu] [--threads 1] [--stream-threads 2] [--batch 8]",
        "                                 detector alone vs the whole path: prints pipeline_efficiency",
        "  ingest --config config/ingest.properties [--seconds N] | ingest --config-docs",
        "                                 cameras (rtsp, rtsps, https, files) to the frames topic, with reconnects",
        "  model info <file> | model parity <file>",
        "                                 format, params, MAdds, operators, labels | ONNX Runtime vs Java max_abs_diff",
        "  bench engines --model f [--batch 1,8] [--threads 1,2] [--seconds 10] [--profile]",
        "                                 ONNX Runtime CPU vs the Java engine, side by side: ratio_java_over_ort",
        "  bench decode [--model f] [--frames 150] [--repeat 3] [--resolutions 360p,720p,1080p]",
        "                                 decode + preprocess speed vs ffmpeg -threads 1, share of the frame cost",
        "  eval --model m.onnx --clip clip.ts --truth truth.json [--engine cpu]",
        "                                 mAP of a model on a clip with ground truth (training/synthetic.py writes both)",
        "  gpu-check --model m.onnx [--batches 1,8,32,64]",
        "                                 CUDA vs CPU parity and throughput (build with -Pgpu: scripts/gpu-check.sh)",
        "  config-docs                    print the configuration reference (Markdown)");

    private Main() {
    }

    private static int bench(final String[] args, final PrintStream out) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("bench what? pipeline, decode, engines");
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "pipeline" -> BenchPipelineCommand.run(rest, out);
            case "decode" -> BenchDecodeCommand.run(rest, out);
            case "engines" -> BenchEnginesCommand.run(rest, out);
            default -> throw new IllegalArgumentException("unknown benchmark '" + args[0] + "'");
        };
    }

    public static void main(final String[] args) {
        System.exit(run(args, System.out));
    }

    static int run(final String[] args, final PrintStream out) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "demo" -> DemoCommand.run(rest, out);
                case "run" -> RunCommand.run(rest, out);
                case "bench" -> bench(rest, out);
                case "eval" -> EvalCommand.run(rest, out);
                case "ingest" -> IngestCommand.run(rest, out);
                case "model" -> ModelCommand.run(rest, out);
                case "gpu-check" -> GpuCheckCommand.run(rest, out);
                case "config-docs" -> {
                    out.print(PipelineConfig.markdownReference());
                    yield 0;
                }
                default -> {
                    System.err.println("unknown command '" + args[0] + "'\n" + USAGE);
                    yield 2;
                }
            };
        } catch (final IllegalArgumentException | ConfigException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        } catch (final Exception e) {
            System.err.println("error: " + e);
            e.printStackTrace();
            return 1;
        }
    }
}
