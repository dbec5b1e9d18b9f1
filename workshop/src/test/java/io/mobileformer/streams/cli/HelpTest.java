package io.mobileformer.streams.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Help is generated from the declared options: every command answers --help, and lists exactly what it accepts. */
class HelpTest {

    /** Every command and subcommand, as the words typed after ./mfs. */
    private static List<List<String>> commands(final CommandLine line, final List<String> path) {
        final List<List<String>> out = new ArrayList<>();
        out.add(path);
        line.getSubcommands().forEach((name, sub) -> {
            final List<String> p = new ArrayList<>(path);
            p.add(name);
            out.addAll(commands(sub, p));
        });
        return out;
    }

    private static String run(final int expectedExit, final String... args) {
        final StringWriter buf = new StringWriter();
        final int exit = Main.run(args, new PrintWriter(buf, true));
        assertEquals(expectedExit, exit, () -> String.join(" ", args) + ": " + buf);
        return buf.toString();
    }

    @Test
    void everyCommandAnswersHelpWithEveryOptionItAccepts() {
        final CommandLine root = Main.commandLine(new PrintWriter(new OutputStreamWriter(System.out), true));
        final List<List<String>> all = commands(root, List.of());
        assertTrue(all.size() >= 13, "commands: " + all);
        for (final List<String> path : all) {
            final List<String> args = new ArrayList<>(path);
            args.add("--help");
            final String help = run(0, args.toArray(String[]::new));
            assertTrue(help.contains("Usage: mfs" + (path.isEmpty() ? "" : " " + String.join(" ", path)) + " "), help);
            CommandLine line = root;
            for (final String name : path) {
                line = line.getSubcommands().get(name);
            }
            for (final OptionSpec o : line.getCommandSpec().options()) {
                assertTrue(help.contains(o.longestName()), path + " --help does not list " + o.longestName());
            }
        }
    }

    @Test
    void helpListsEveryCommand() {
        final String help = run(0, "help");
        for (final String command : List.of("demo", "run", "ingest", "broker", "bench", "model", "eval", "gpu-check",
            "config-docs", "help")) {
            assertTrue(help.contains("  " + command + " "), command + " missing from\n" + help);
        }
        assertEquals(help, run(0, "--help"));
        assertTrue(run(0, "help", "demo").contains("--seconds=<seconds>"));
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        assertEquals(2, Main.run(new String[] {"demo", "--secnds", "3"}, new PrintWriter(new StringWriter())));
        assertEquals(2, Main.run(new String[] {}, new PrintWriter(new StringWriter())));
    }
}
