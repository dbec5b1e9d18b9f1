package io.mobileformer.streams.fuzz;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A fuzz run: cases made by {@link Mutator} from the seeds of {@link FuzzCorpus} (and inputs that once failed, from a
 * regression folder), run in {@link FuzzWorker} child JVMs. A worker that dies mid-case is a crash, a case with no
 * answer within {@code decode.max-decode-ms} plus a margin is a hang (the worker is killed); either way the case is
 * saved to {@code failures/} as a whole record value and a new worker resumes after it. Every finished case must end
 * as detections or as one dead letter; a dead letter of reason UNEXPECTED (an exception nobody classified) is counted
 * as a finding too.
 */
public final class FuzzRun {
    /**
     * @param cases        how many mutated cases
     * @param runSeed      the seed of the mutations (the same seed makes the same cases)
     * @param maxDecodeMs  decode.max-decode-ms of the workers; a case slower than this is reported as slow
     * @param regressions  folder of inputs that once failed (replayed first), or null
     */
    public record Settings(int cases, long runSeed, long maxDecodeMs, Path regressions, Path workDir, Path model) {
    }

    public record Result(int cases, int detections, int deadLetters, int crashes, int hangs, int slow,
                         int unexpected, long rssStart, long rssEnd, long javacppStart, long javacppEnd,
                         long heapStart, long heapEnd, Map<String, Integer> reasons, List<String> findings) {
        public String line() {
            return String.format(Locale.ROOT, "FUZZ cases=%d detections=%d dlq=%d crashes=%d hangs=%d", cases,
                detections, deadLetters, crashes, hangs);
        }
    }

    private FuzzRun() {
    }

    public static Result run(final Settings s, final PrintWriter out) throws Exception {
        final Path seeds = s.workDir().resolve("seeds");
        final FuzzCorpus.Prepared prepared = FuzzCorpus.prepare(seeds, s.regressions(), out);
        final List<FuzzCorpus.Seed> corpus = prepared.seeds();
        out.printf(Locale.ROOT, "fuzz: %d seeds (%d regression inputs, replayed as they are), %d cases, seed %d%n",
            corpus.size(), prepared.replayed(), s.cases(), s.runSeed());
        // case i mutates seed i % seeds, so the first cases replay every regression input once
        final Path failures = Files.createDirectories(s.workDir().resolve("failures"));
        final Mutator mutator = new Mutator(corpus, s.runSeed());
        int next = 0;
        int detections = 0;
        int dlq = 0;
        int crashes = 0;
        int hangs = 0;
        int slow = 0;
        int unexpected = 0;
        final long[] mem = {-1, -1, -1, -1, -1, -1};    // rss, heap, javacpp at the first and the last report
        final Map<String, Integer> reasons = new TreeMap<>();
        final List<String> findings = new ArrayList<>();
        int workers = 0;
        while (next < s.cases()) {
            final Path log = s.workDir().resolve("worker-" + (workers++) + ".log");
            final ProcessBuilder.Redirect err = ProcessBuilder.Redirect.appendTo(log.toFile());
            final Process p = worker(seeds, s, next, s.cases(), err);
            final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            final Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        lines.add(l);
                    }
                } catch (final IOException e) {
                    // the worker died; the loop below sees it
                }
                lines.add("EOF");
            }, "fuzz-worker-reader");
            reader.setDaemon(true);
            reader.start();
            int started = -1;
            // the first case also waits for the JVM, the model and the first FFmpeg call
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (true) {
                final String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null) {
                    p.destroyForcibly().waitFor();
                    hangs++;
                    final Mutator.Case c = mutator.make(started);
                    save(failures, "hang", c);
                    findings.add("hang: case " + started + " (" + c.seed() + ", " + c.mutation() + ")");
                    out.printf(Locale.ROOT, "fuzz: case %d (%s, %s) hung; worker killed%n", started, c.seed(),
                        c.mutation());
                    next = started + 1;
                    break;
                }
                if (l.equals("EOF")) {
                    final int rc = p.waitFor();
                    if (started >= 0 && next <= started) {
                        crashes++;
                        final Mutator.Case c = mutator.make(started);
                        save(failures, "crash", c);
                        findings.add("crash (exit " + rc + "): case " + started + " (" + c.seed() + ", "
                            + c.mutation() + "); log " + log);
                        out.printf(Locale.ROOT, "fuzz: the worker died in case %d (%s, %s), exit %d%n", started,
                            c.seed(), c.mutation(), rc);
                        next = started + 1;
                    } else if (rc != 0 && next < s.cases()) {
                        throw new IllegalStateException("the fuzz worker failed to start (exit " + rc + "): " + log);
                    }
                    break;
                }
                final String[] f = l.split(" ");
                if (f[0].equals("SEED")) {
                    if (!f[2].equals("detections")) {
                        throw new IllegalStateException("the valid seed " + f[1] + " gave " + l.substring(5)
                            + ": fix the corpus before fuzzing");
                    }
                } else if (f[0].equals("START")) {
                    started = Integer.parseInt(f[1]);
                    // generous: a loaded machine, and the case's inference after its decode
                    deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(s.maxDecodeMs() * 3 + 10_000);
                } else if (f[0].equals("DONE")) {
                    next = Integer.parseInt(f[1]) + 1;
                    final long ms = Long.parseLong(f[f.length - 1]);
                    if (f[2].equals("detections")) {
                        detections++;
                    } else {
                        dlq++;
                        reasons.merge(f[3], 1, Integer::sum);
                        if (f[3].contains("UNEXPECTED")) {
                            unexpected++;
                            final Mutator.Case c = mutator.make(next - 1);
                            save(failures, "unexpected", c);
                            findings.add("unexpected exception: case " + (next - 1) + " (" + c.seed() + ", "
                                + c.mutation() + "): " + f[3]);
                        }
                    }
                    if (ms > s.maxDecodeMs() + 2000) {
                        slow++;
                        findings.add("slow: case " + (next - 1) + " took " + ms + " ms");
                    }
                    if (next % 1000 == 0) {
                        out.printf(Locale.ROOT, "fuzz: %d cases, %d detections, %d dead letters, %d crashes, "
                            + "%d hangs%n", next, detections, dlq, crashes, hangs);
                        out.flush();
                    }
                } else if (f[0].equals("MEM")) {
                    final int o = mem[0] < 0 ? 0 : 3;      // the first report, then always the last
                    for (final int k : o == 0 ? new int[] {0, 3} : new int[] {3}) {
                        mem[k] = Long.parseLong(f[2]);
                        mem[k + 1] = Long.parseLong(f[3]);
                        mem[k + 2] = Long.parseLong(f[4]);
                    }
                }
            }
        }
        final int total = detections + dlq + crashes + hangs;
        out.printf(Locale.ROOT, "fuzz: dead letters by reason %s%n", reasons);
        out.printf(Locale.ROOT, "fuzz: memory from the first report (case 250) to the last (" + workers + " worker(s)): RSS %.1f -> %.1f "
                + "MB, heap %.1f -> %.1f MB, JavaCPP %d -> %d bytes%n", mem[0] / 1e6, mem[3] / 1e6, mem[1] / 1e6,
            mem[4] / 1e6, mem[2], mem[5]);
        findings.forEach(x -> out.println("fuzz: finding: " + x));
        return new Result(total, detections, dlq, crashes, hangs, slow, unexpected, mem[0], mem[3], mem[2], mem[5],
            mem[1], mem[4], reasons, findings);
    }

    private static Process worker(final Path seeds, final Settings s, final int from, final int to,
                                  final ProcessBuilder.Redirect err) throws IOException {
        final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx512m", "-XX:+UseSerialGC", "--add-modules=jdk.incubator.vector"));
        for (final String prop : List.of("org.bytedeco.javacpp.cachedir", "java.io.tmpdir")) {
            if (System.getProperty(prop) != null) {
                cmd.add("-D" + prop + "=" + System.getProperty(prop));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FuzzWorker.class.getName(),
            seeds.toString(), Long.toString(s.runSeed()), Integer.toString(from), Integer.toString(to),
            s.model().toString(), Long.toString(s.maxDecodeMs())));
        final Process p = new ProcessBuilder(cmd).redirectError(err).start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "fuzz-worker-stop"));
        return p;
    }

    private static void save(final Path dir, final String kind, final Mutator.Case c) throws IOException {
        Files.write(dir.resolve(kind + "-" + c.index() + "-" + c.seed() + "." + Mutator.ENVELOPE), c.value());
    }
}
