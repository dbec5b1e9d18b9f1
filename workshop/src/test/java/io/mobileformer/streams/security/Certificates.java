package io.mobileformer.streams.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** TLS material made at test time with the JDK's {@code keytool}: nothing secret is checked in, nothing downloaded. */
final class Certificates {
    private static final String LOOPBACK = "IP:127.0.0.1,DNS:localhost";

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
            "-dname", "CN=127.0.0.1", "-ext", "SAN=" + LOOPBACK, "-keystore", keystore.toString(),
            "-storetype", "PKCS12", "-storepass", storePass, "-keypass", storePass);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", storePass,
            "-file", pem.toString());
        trustOnly(pem, truststore, trustPass);
    }

    /** A certificate authority: its key pair in a PKCS12 store and its certificate as PEM ({@code <store>.pem}). */
    record Authority(Path keystore, String password, Path certificate) {
        @Override
        public String toString() {
            return "Authority[" + keystore + "]";
        }
    }

    /** One key store to make: its certificate's subject CN, and whether it serves TLS on 127.0.0.1. */
    record Leaf(String cn, Path keystore, String password, boolean loopbackServer) {
        @Override
        public String toString() {
            return "Leaf[CN=" + cn + ", " + keystore + "]";
        }
    }

    /** A new authority {@code CN=<name>} (valid for 2 days). */
    static Authority authority(final Path keystore, final String name, final String password)
        throws IOException, InterruptedException {
        selfSignedKey(keystore, "CN=" + name, password, "bc:c");
        final Path pem = keystore.resolveSibling(keystore.getFileName() + ".pem");
        keytool("-exportcert", "-rfc", "-alias", "key", "-keystore", keystore.toString(), "-storepass", password,
            "-file", pem.toString());
        return new Authority(keystore, password, pem);
    }

    /**
     * A cluster's certificates in {@code dir}: an authority, the trust store of it that brokers and clients share, a
     * broker key store for 127.0.0.1 ({@code broker.p12}) and one client key store per name ({@code <name>.p12},
     * {@code CN=<name>}), each with a fresh random password.
     */
    record Pki(Path truststore, String trustPassword, Path brokerStore, String brokerPassword,
               Map<String, Path> clientStores, Map<String, String> clientPasswords) {
        static Pki make(final Path dir, final String... clients) throws IOException, InterruptedException {
            final String trustPass = "ts-" + UUID.randomUUID();
            final Authority ca = authority(dir.resolve("ca.p12"), "mfs-test-ca", "ca-" + UUID.randomUUID());
            final Path truststore = dir.resolve("truststore.p12");
            trustOnly(ca.certificate(), truststore, trustPass);
            final List<Leaf> leaves = new ArrayList<>(List.of(new Leaf("127.0.0.1", dir.resolve("broker.p12"),
                "br-" + UUID.randomUUID(), true)));
            final Map<String, Path> stores = new LinkedHashMap<>();
            final Map<String, String> passwords = new LinkedHashMap<>();
            for (final String c : clients) {
                stores.put(c, dir.resolve(c + ".p12"));
                passwords.put(c, c.substring(0, Math.min(3, c.length())) + "-" + UUID.randomUUID());
                leaves.add(new Leaf(c, stores.get(c), passwords.get(c), false));
            }
            signed(ca, leaves);
            return new Pki(truststore, trustPass, leaves.get(0).keystore(), leaves.get(0).password(), stores,
                passwords);
        }

        @Override
        public String toString() {
            return "Pki[" + truststore.getParent() + "]";
        }
    }

    /**
     * A key store per leaf holding its key and the chain leaf → {@code ca} (the store's password is the key's too).
     * The leaves are made side by side: each of their four {@code keytool} steps is a JVM start.
     */
    static void signed(final Authority ca, final List<Leaf> leaves) throws IOException, InterruptedException {
        final ExecutorService pool = Executors.newFixedThreadPool(leaves.size());
        try {
            final List<Future<Void>> done = new ArrayList<>();
            for (final Leaf l : leaves) {
                done.add(pool.submit(() -> {
                    signed(ca, l);
                    return null;
                }));
            }
            for (final Future<Void> f : done) {
                try {
                    f.get();
                } catch (final ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void signed(final Authority ca, final Leaf l) throws IOException, InterruptedException {
        final String store = l.keystore().toString();
        final Path csr = l.keystore().resolveSibling(l.keystore().getFileName() + ".csr");
        final Path chain = l.keystore().resolveSibling(l.keystore().getFileName() + ".chain.pem");
        selfSignedKey(l.keystore(), "CN=" + l.cn() + ",O=mobileformer-streams test", l.password(), null);
        keytool("-certreq", "-alias", "key", "-keystore", store, "-storepass", l.password(), "-file", csr.toString());
        final Path cert = l.keystore().resolveSibling(l.keystore().getFileName() + ".pem");
        final List<String> gen = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "key", "-keystore",
            ca.keystore().toString(), "-storepass", ca.password(), "-infile", csr.toString(), "-outfile",
            cert.toString(), "-validity", "2", "-ext", "eku=" + (l.loopbackServer() ? "serverAuth" : "clientAuth")));
        if (l.loopbackServer()) {
            gen.addAll(List.of("-ext", "SAN=" + LOOPBACK));
        }
        keytool(gen.toArray(String[]::new));
        // the reply as a chain ending at the authority: installed without the authority in the store
        Files.writeString(chain, Files.readString(ca.certificate()) + Files.readString(cert));
        keytool("-importcert", "-noprompt", "-alias", "key", "-file", chain.toString(), "-keystore", store,
            "-storepass", l.password());
    }

    /** A PKCS12 key store with one self-signed key pair ({@code -alias key}, valid for 2 days). */
    static void selfSignedKey(final Path keystore, final String dname, final String password, final String ext)
        throws IOException, InterruptedException {
        final List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", "key", "-keyalg", "EC",
            "-groupname", "secp256r1", "-validity", "2", "-dname", dname, "-keystore", keystore.toString(),
            "-storetype", "PKCS12", "-storepass", password, "-keypass", password));
        if (ext != null) {
            args.addAll(List.of("-ext", ext));
        }
        keytool(args.toArray(String[]::new));
    }

    /** A PKCS12 trust store holding only the certificate in {@code pem}. */
    static void trustOnly(final Path pem, final Path truststore, final String password)
        throws IOException, InterruptedException {
        keytool("-importcert", "-noprompt", "-alias", "trusted", "-file", pem.toString(), "-keystore",
            truststore.toString(), "-storetype", "PKCS12", "-storepass", password);
    }

    private static void keytool(final String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        // a short-lived JVM per step: no C2, no parallel GC threads
        cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
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
