package io.mobileformer.streams.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificRecord;

import java.io.File;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Decodes any of this project's Avro records, single-object encoded, into JSON, without naming its class: the writer
 * schema is found by the fingerprint in the record's header among every record class generated from
 * {@code schemas/}. The view reads topics (tracks, events) whose records may be added after it was written; it shows
 * their fields as they are rather than failing.
 */
final class AnyAvro {
    private static final String PACKAGE = "io/mobileformer/streams/avro";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<Long, Schema> byFingerprint;

    private AnyAvro(final Map<Long, Schema> byFingerprint) {
        this.byFingerprint = byFingerprint;
    }

    /** Every generated record class on the class path, found by listing the package's classes. */
    static AnyAvro ofGeneratedRecords() {
        final Map<Long, Schema> schemas = new HashMap<>();
        for (final Schema s : generatedSchemas()) {
            schemas.put(SchemaNormalization.parsingFingerprint64(s), s);
        }
        return new AnyAvro(schemas);
    }

    /** Schemas known, by full name (for the start line and tests). */
    List<String> known() {
        return byFingerprint.values().stream().map(Schema::getFullName).sorted().toList();
    }

    /**
     * @return the record as JSON
     * @throws IOException when it is not single-object encoded or its schema is not one of ours
     */
    JsonNode decode(final byte[] value) throws IOException {
        if (value == null || value.length < 10 || (value[0] & 0xff) != 0xC3 || value[1] != 0x01) {
            throw new IOException("not an Avro single-object encoded record");
        }
        final long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        final Schema schema = byFingerprint.get(fingerprint);
        if (schema == null) {
            throw new IOException("unknown schema fingerprint " + Long.toHexString(fingerprint));
        }
        final Object datum = new GenericDatumReader<>(schema).read(null,
            DecoderFactory.get().binaryDecoder(value, 10, value.length - 10, null));
        // GenericData renders records as JSON (bytes as escaped strings, logical types as their numbers)
        return JSON.readTree(GenericData.get().toString(datum));
    }

    private static List<Schema> generatedSchemas() {
        final List<Schema> out = new ArrayList<>();
        for (final String name : classNames()) {
            try {
                final Class<?> c = Class.forName(name, false, AnyAvro.class.getClassLoader());
                if (SpecificRecord.class.isAssignableFrom(c) && !c.isInterface()) {
                    out.add((Schema) c.getMethod("getClassSchema").invoke(null));
                }
            } catch (final ReflectiveOperationException | LinkageError e) {
                // a builder or a nested class: not a record
            }
        }
        return out;
    }

    private static List<String> classNames() {
        final List<String> names = new ArrayList<>();
        try {
            final Enumeration<URL> roots = AnyAvro.class.getClassLoader().getResources(PACKAGE);
            while (roots.hasMoreElements()) {
                final URL url = roots.nextElement();
                if ("file".equals(url.getProtocol())) {
                    final File[] files = new File(URLDecoder.decode(url.getPath(), StandardCharsets.UTF_8)).listFiles();
                    for (final File f : files == null ? new File[0] : files) {
                        addClass(names, PACKAGE + "/" + f.getName());
                    }
                } else if ("jar".equals(url.getProtocol())) {
                    final JarURLConnection conn = (JarURLConnection) url.openConnection();
                    conn.setUseCaches(false);
                    try (JarFile jar = conn.getJarFile()) {
                        final Enumeration<JarEntry> entries = jar.entries();
                        while (entries.hasMoreElements()) {
                            final String e = entries.nextElement().getName();
                            if (e.startsWith(PACKAGE + "/") && e.indexOf('/', PACKAGE.length() + 1) < 0) {
                                addClass(names, e);
                            }
                        }
                    }
                }
            }
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException("cannot list the generated Avro records", e);
        }
        return names;
    }

    private static void addClass(final List<String> names, final String path) {
        if (path.endsWith(".class") && !path.contains("$")) {
            names.add(path.substring(0, path.length() - ".class".length()).replace('/', '.'));
        }
    }
}
