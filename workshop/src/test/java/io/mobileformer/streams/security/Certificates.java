package io.mobileformer.streams.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** TLS material made at test time with the JDK's {@code keytool}: nothing secret is checked in, nothing downloaded. */
final class Certificates {
    private Certificates() {
    }

    /**
     * A self-signed certificate for 127.0.0.1 and localhost (valid for 2 days) in a PKCS12 key store, and a PKCS12
     * trust store holding only that certificate, for the clients.
     */
    static void selfSigned(final Path keystore, final String storePass, final Path truststore, final String trustPass)
        throws IOException, InterruptedException {
        final Path pem = keystore.resolveSibling("broker.pem");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
            "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1,DNS:localhost", "-keystore", keystore.toString(),
            "-storetype", "PKCS12", "-storepass", storePass, "-keypass", storePass);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", storePass,
            "-file", pem.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", pem.toString(), "-keystore",
            truststore.toString(), "-storetype", "PKCS12", "-storepass", trustPass);
    }

    private static void keytool(final String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        final Path out = Files.createTempFile("keytool", ".log");
        try {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + Files.readString(out));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
