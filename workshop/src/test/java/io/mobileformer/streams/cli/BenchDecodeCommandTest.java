package io.mobileformer.streams.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark runs end to end on a tiny clip and prints its fields; what the numbers are is not tested here. */
class BenchDecodeCommandTest {

    @Test
    void printsEveryFieldForEachResolution() throws Exception {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        assertEquals(0, Main.call(new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true), "bench",
            "decode", "--frames", "8", "--repeat", "1", "--resolutions", "360p"));
        final String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(Pattern.compile("model path=models/tiny-centernet.onnx input=128x128 engine=(ort-cpu|java) threads=1 "
            + "batch=8 ms_per_frame=[0-9.]+").matcher(out).find(), out);
        final String number = "[0-9.]+";
        // an 8-frame clip is at the edge of ffmpeg's 10 ms CPU-time resolution: n/a when its runs cannot be told apart
        final String ffmpeg = SystemFfmpeg.available() ? "(" + number + "|n/a)" : "n/a";
        assertTrue(Pattern.compile("decode res=360p fps_per_core=" + number + " preprocess_ms=" + number
            + " decode_only_fps=" + number + " ffmpeg_fps_per_core=" + ffmpeg + " ratio_vs_ffmpeg=" + ffmpeg
            + " share_of_frame_cost=0\\.[0-9]+ ").matcher(out).find(), out);
        assertTrue(Pattern.compile("segment res=360p frames=8 javacv_ms=" + number + " kept_ms=" + number + " ratio="
            + number + " kept_ms_per_frame=" + number).matcher(out).find(), out);
    }

    @Test
    void refusesOtherBenchmarks() {
        assertThrows(ParameterException.class, () -> Main.call(new PrintWriter(OutputStream.nullOutputStream()),
            "bench", "encode"));
    }
}
