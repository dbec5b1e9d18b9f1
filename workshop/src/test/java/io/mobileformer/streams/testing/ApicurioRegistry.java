package io.mobileformer.streams.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real schema registry for the integration tests: Apicurio Registry (unpacked into workshop/target/apicurio by the
 * build's pre-integration-test phase), run as a child JVM on a free loopback port with in-memory storage. Its
 * Confluent-compatible API is at {@link #url()}. Not a mock: the same REST API, compatibility checks and ids a
 * deployment sees. In-memory storage means a restart forgets every schema.
 */
public final class ApicurioRegistry implements AutoCloseable {
    private static final Path JAR = Path.of("workshop/target/apicurio/apicurio-registry-app-2.6.13.Final-runner.jar");

    private final int port;
    private final Path log;
    private Process process;

    private ApicurioRegistry(final int port, final Path log) {
        this.port = port;
        this.log = log;
    }

    /** Starts one on a free port and waits until its API answers. */
    public static ApicurioRegistry start() {
        final ApicurioRegistry r = new ApicurioRegistry(freePort(), Path.of("workshop/target/apicurio-"
            + System.nanoTime() + ".log"));
        r.restart();
        return r;
    }

    /** The Confluent-compatible base URL: what schema.registry.url is set to. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public int port() {
        return port;
    }

    /** Starts (again, on the same port: in-memory storage starts empty) and waits until the API answers. */
    public void restart() {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing: run the ITs through Maven (mvn verify unpacks "
                + "io.apicurio:apicurio-registry-app:tar.gz:all in pre-integration-test)");
        }
        try {
            process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port, "-jar", JAR.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final HttpClient http = HttpClient.newHttpClient();
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio exited with " + process.exitValue() + "; see " + log);
            }
            try {
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/subjects"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(200);
        }
        stop();
        throw new IllegalStateException("Apicurio did not answer within 90 s; see " + log);
    }

    /** Stops the process (its port is then refused) and waits for it to exit. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Freezes the process (SIGSTOP): the port still accepts connections, but every request times out, like a registry
     * that hangs or sits behind a broken network path. Unlike {@link #stop}, nothing is forgotten.
     */
    public void freeze() {
        signal("-STOP");
    }

    /** Lets a frozen registry run again (SIGCONT), with every schema and id it had. */
    public void thaw() {
        signal("-CONT");
    }

    private void signal(final String sig) {
        try {
            final Process kill = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill " + sig + " " + process.pid() + " failed");
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        thawQuietly();
        stop();
    }

    /** A loopback port nothing listens on (just now). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void thawQuietly() {
        if (process != null && process.isAlive()) {
            try {
                new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor();
            } catch (final IOException e) {
                // stop() below destroys it anyway
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
