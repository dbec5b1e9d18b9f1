// ONNX Runtime vs the Java engine on a torchvision export: max abs diff on a seeded batch of 2, then img/s at
// batch 1, one thread, in alternating 3 s rounds (the first discarded). A measurement tool for issue 19, not a test.
import ai.onnxruntime.*;
import io.mobileformer.engine.*;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.*;

public class Parity {
    public static void main(String[] a) throws Exception {
        Path p = Path.of(a[0]);
        int n = 2;
        float[] x = new float[n * 3 * 224 * 224];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        JavaEngine j = JavaEngine.load(p, 1);
        Tensor t = new Tensor(x, n, 3, 224, 224);
        float[] jo = j.run(t).values().iterator().next().data();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(1);
        OrtSession s = env.createSession(p.toString(), so);
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 3, 224, 224});
        float[] oo;
        try (OrtSession.Result res = s.run(Map.of("images", in))) {
            oo = ((OnnxTensor) res.get(0)).getFloatBuffer().array();
        }
        double d = 0, mag = 0;
        for (int i = 0; i < oo.length; i++) { d = Math.max(d, Math.abs(oo[i] - jo[i])); mag = Math.max(mag, Math.abs(oo[i])); }
        // speed: alternate rounds, 3 s each, batch 1
        Tensor t1 = new Tensor(Arrays.copyOf(x, 3 * 224 * 224), 1, 3, 224, 224);
        OnnxTensor in1 = OnnxTensor.createTensor(env, FloatBuffer.wrap(Arrays.copyOf(x, 3 * 224 * 224)), new long[] {1, 3, 224, 224});
        double[] rate = new double[2];
        for (int round = 0; round < 4; round++) {
            for (int e = 0; e < 2; e++) {
                long t0 = System.nanoTime(); int k = 0;
                while (System.nanoTime() - t0 < 3_000_000_000L) {
                    if (e == 0) { try (OrtSession.Result res = s.run(Map.of("images", in1))) { } } else { j.run(t1); }
                    k++;
                }
                if (round > 0) rate[e] += k / ((System.nanoTime() - t0) / 1e9) / 3;
            }
        }
        System.out.printf("%s max_abs_diff=%.3g (max |output| %.3g) ort_img_per_s=%.1f java_img_per_s=%.1f ratio_java_over_ort=%.2f%n",
            p.getFileName(), d, mag, rate[0], rate[1], rate[1] / rate[0]);
    }
}
