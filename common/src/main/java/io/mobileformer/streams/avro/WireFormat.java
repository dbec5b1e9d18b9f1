package io.mobileformer.streams.avro;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How this process frames its Avro records, and the one factory of their serdes: every topic's serializer and
 * deserializer come from {@link #serializer}, {@link #deserializer} or {@link #serde} of the process's one instance.
 *
 * <ul>
 *   <li><b>Single-object encoding</b> ({@link #singleObject()}, the default): {@code C3 01}, the 8-byte CRC-64-AVRO
 *   fingerprint of the writer schema's Parsing Canonical Form, the binary datum. Needs no registry; a reader must
 *   know the writer schema by fingerprint.</li>
 *   <li><b>Registry wire format</b> ({@link #registry}): byte {@code 00}, the 4-byte big-endian schema id, the binary
 *   datum; the schema is registered under the subject {@code <topic>-value} (Confluent's TopicNameStrategy). This is
 *   what Confluent's deserializers, Kafka Connect, ksqlDB, Flink and the Python and Go clients read.</li>
 * </ul>
 *
 * <p>Deserializers of both formats accept both framings, told apart by the first byte ({@code 00} or {@code C3}), so
 * a topic may hold both while producers migrate. A registry-framed record is read by fetching its writer schema by id
 * (cached) and resolving it against this build's schema: a producer a compatible version ahead or behind is read.
 *
 * <p>Serializers in registry format learn their schema id once per topic: {@link #prepare} does it at start, so that
 * an unreachable registry is one clear error there and the hot path never waits for the network.
 */
public final class WireFormat implements AutoCloseable {
    private static final byte MAGIC = 0;
    private static final WireFormat SINGLE_OBJECT = new WireFormat(null, null);

    static {
        AvroSerdes.trustGeneratedClasses();
    }

    private final SchemaRegistryClient registry;
    private final RegistryConfig config;
    private final Map<Class<?>, Serializer<?>> serializers = new ConcurrentHashMap<>();
    private final Map<Class<?>, Deserializer<?>> deserializers = new ConcurrentHashMap<>();

    private WireFormat(final SchemaRegistryClient registry, final RegistryConfig config) {
        this.registry = registry;
        this.config = config;
    }

    /** Avro single-object encoding; registry-framed input is refused with a message that says what to set. */
    public static WireFormat singleObject() {
        return SINGLE_OBJECT;
    }

    /** The registry wire format with this registry's client and settings. */
    public static WireFormat registry(final SchemaRegistryClient registry, final RegistryConfig config) {
        return new WireFormat(registry, config);
    }

    /** The registry wire format when {@code schema.registry.url} is set, single-object encoding otherwise. */
    public static WireFormat of(final Map<?, ?> props) {
        final RegistryConfig c = new RegistryConfig(props);
        return c.enabled() ? registry(new SchemaRegistryClient(c), c) : singleObject();
    }

    /** True when this process writes the registry wire format. */
    public boolean usesRegistry() {
        return registry != null;
    }

    /** The registry client, for callers that register or inspect schemas themselves (null without a registry). */
    public SchemaRegistryClient registryClient() {
        return registry;
    }

    /** The serializer of {@code type}'s records; one instance per type and format. */
    @SuppressWarnings("unchecked")
    public <T extends SpecificRecord> Serializer<T> serializer(final Class<T> type) {
        return (Serializer<T>) serializers.computeIfAbsent(type, t -> registry == null
            ? singleObjectSerializer(type) : new RegistrySerializer<>(schemaOf(type), registry, config));
    }

    /** The deserializer of {@code type}'s records, accepting either framing; one instance per type and format. */
    @SuppressWarnings("unchecked")
    public <T extends SpecificRecord> Deserializer<T> deserializer(final Class<T> type) {
        return (Deserializer<T>) deserializers.computeIfAbsent(type,
            t -> new FramedDeserializer<>(schemaOf(type), type, registry));
    }

    public <T extends SpecificRecord> Serde<T> serde(final Class<T> type) {
        return Serdes.serdeFrom(serializer(type), deserializer(type));
    }

    /**
     * Learns the schema id {@code type}'s records get on {@code topic} now (registering the schema, looking it up or
     * taking the subject's latest version, as configured). A no-op in single-object format.
     *
     * @throws RegistryUnavailableException when the registry cannot be reached
     * @throws SchemaRegistryException when the registry refuses (incompatible schema, not registered, credentials)
     */
    public <T extends SpecificRecord> void prepare(final String topic, final Class<T> type) {
        if (serializer(type) instanceof RegistrySerializer<?> s) {
            s.target(topic);
        }
    }

    /** The schema id {@code type}'s records carry on {@code topic} (registry format only). */
    public <T extends SpecificRecord> int schemaId(final String topic, final Class<T> type) {
        if (serializer(type) instanceof RegistrySerializer<?> s) {
            return s.target(topic).id();
        }
        throw new IllegalStateException("single-object encoding has no schema ids; set " + RegistryConfig.URL);
    }

    @Override
    public void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private static Schema schemaOf(final Class<? extends SpecificRecord> type) {
        return SpecificData.get().getSchema(type);
    }

    private static <T extends SpecificRecord> Serializer<T> singleObjectSerializer(final Class<T> type) {
        final BinaryMessageEncoder<T> encoder = new BinaryMessageEncoder<>(SpecificData.get(), schemaOf(type));
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                final ByteBuffer b = encoder.encode(value);
                final byte[] out = new byte[b.remaining()];
                b.get(out);
                return out;
            } catch (final IOException e) {
                throw new SerializationException("cannot encode " + type.getSimpleName() + " for " + topic, e);
            }
        };
    }

    /**
     * Registry wire format. The id per topic is resolved once (at {@link #prepare}, or on first use) and cached; a
     * serializer that has to resolve on first use inside a Kafka Streams task and cannot reach the registry throws,
     * which fails the task: under exactly-once its open transaction aborts, so no half-written output is ever
     * visible to a read_committed consumer, and the input is read again from the committed offset.
     */
    private static final class RegistrySerializer<T extends SpecificRecord> implements Serializer<T> {
        /** The id and the way a record is written under it (this build's schema, or the subject's latest one). */
        record Target(int id, Schema writer, boolean convert) {
        }

        private final Schema schema;
        private final SchemaRegistryClient registry;
        private final RegistryConfig config;
        private final DatumWriter<T> writer;
        private final Map<String, Target> targets = new ConcurrentHashMap<>();

        RegistrySerializer(final Schema schema, final SchemaRegistryClient registry, final RegistryConfig config) {
            this.schema = schema;
            this.registry = registry;
            this.config = config;
            this.writer = new SpecificDatumWriter<>(schema, SpecificData.get());
        }

        Target target(final String topic) {
            return targets.computeIfAbsent(topic, this::resolve);
        }

        private Target resolve(final String topic) {
            final String subject = topic + "-value";
            if (config.autoRegister()) {
                if (!config.compatibility().isEmpty()) {
                    registry.setCompatibility(subject, config.compatibility());
                }
                return new Target(registry.register(subject, schema), schema, false);
            }
            if (config.useLatestVersion()) {
                final SchemaRegistryClient.Registered latest = registry.latest(subject);
                if (latest.schema().equals(schema)) {
                    return new Target(latest.id(), schema, false);
                }
                final var compat = SchemaCompatibility.checkReaderWriterCompatibility(latest.schema(), schema);
                if (compat.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                    throw new SchemaRegistryException(409, 0, "the latest version (" + latest.version() + ", id "
                        + latest.id() + ") of " + subject + " cannot read " + schema.getFullName() + " records of this "
                        + "build: " + compat.getDescription() + "; unset " + RegistryConfig.USE_LATEST + " or register "
                        + "a compatible version");
                }
                return new Target(latest.id(), latest.schema(), true);
            }
            try {
                return new Target(registry.lookup(subject, schema), schema, false);
            } catch (final SchemaRegistryException e) {
                throw new SchemaRegistryException(e.status(), e.errorCode(), schema.getFullName() + " is not "
                    + "registered under " + subject + " and " + RegistryConfig.AUTO_REGISTER + "=false: register it, "
                    + "or set " + RegistryConfig.USE_LATEST + "=true (" + e.getMessage() + ")");
            }
        }

        @Override
        public byte[] serialize(final String topic, final T value) {
            if (value == null) {
                return null;
            }
            final Target t = target(topic);
            final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(MAGIC);
            out.write(t.id() >>> 24);
            out.write(t.id() >>> 16);
            out.write(t.id() >>> 8);
            out.write(t.id());
            try {
                final BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
                if (t.convert()) {
                    new GenericDatumWriter<>(t.writer()).write(convert(value, t.writer()), enc);
                } else {
                    writer.write(value, enc);
                }
                enc.flush();
            } catch (final IOException | RuntimeException e) {
                throw new SerializationException("cannot encode " + schema.getName() + " for " + topic, e);
            }
            return out.toByteArray();
        }

        /** This build's record as the subject's latest schema sees it (Avro schema resolution, field by name). */
        private Object convert(final T value, final Schema latest) throws IOException {
            final ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
            final BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(buf, null);
            writer.write(value, enc);
            enc.flush();
            return new GenericDatumReader<>(schema, latest).read(null,
                DecoderFactory.get().binaryDecoder(buf.toByteArray(), null));
        }
    }

    /**
     * Either framing in, this build's record out. Registry-framed records resolve their writer schema by id (a
     * compatible producer one version ahead or behind is read through Avro's schema resolution); single-object ones by
     * fingerprint, which only works for the writer schema this build was compiled with.
     *
     * <p>A record that is not one of the two framings, names an id the registry does not know, has a writer schema
     * this build cannot read, or has bytes left over, is a {@link SerializationException} (a dead letter upstream).
     * An unreachable registry is a {@link RegistryUnavailableException} instead: the record is fine, only late.
     */
    private static final class FramedDeserializer<T extends SpecificRecord> implements Deserializer<T> {
        private final Schema reader;
        private final Class<T> type;
        private final SchemaRegistryClient registry;
        private final BinaryMessageDecoder<T> singleObject;
        private final Map<Integer, DatumReader<T>> byId = new ConcurrentHashMap<>();

        FramedDeserializer(final Schema reader, final Class<T> type, final SchemaRegistryClient registry) {
            this.reader = reader;
            this.type = type;
            this.registry = registry;
            this.singleObject = new BinaryMessageDecoder<>(SpecificData.get(), reader);
        }

        @Override
        public T deserialize(final String topic, final byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            if (bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == 0x01) {
                try {
                    return singleObject.decode(bytes);
                } catch (final IOException | RuntimeException e) {
                    throw new SerializationException("record on " + topic + " is not a single-object encoded "
                        + type.getSimpleName() + ": " + e.getMessage(), e);
                }
            }
            if (bytes.length >= 1 && bytes[0] == MAGIC) {
                return fromRegistryFraming(topic, bytes);
            }
            throw new SerializationException("record on " + topic + " is neither Avro single-object encoded (C3 01 "
                + "...) nor in the schema-registry wire format (00 + 4-byte schema id ...): it starts with "
                + head(bytes));
        }

        private T fromRegistryFraming(final String topic, final byte[] bytes) {
            if (bytes.length < 5) {
                throw new SerializationException("record on " + topic + " has the registry magic byte but only "
                    + bytes.length + " bytes: no room for a schema id");
            }
            final int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
            if (registry == null) {
                throw new SerializationException("record on " + topic + " is in the schema-registry wire format "
                    + "(schema id " + id + ") but " + RegistryConfig.URL + " is not set: set it to read such records");
            }
            final DatumReader<T> datumReader = byId.computeIfAbsent(id, this::readerFor);
            try {
                final BinaryDecoder d = DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null);
                final T value = datumReader.read(null, d);
                if (!d.isEnd()) {
                    throw new IOException("bytes left over after the datum: misframed or not schema id " + id);
                }
                return value;
            } catch (final IOException | RuntimeException e) {
                throw new SerializationException("record on " + topic + " with schema id " + id + " is not a valid "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        }

        private DatumReader<T> readerFor(final int id) {
            final Schema writer;
            try {
                writer = registry.schemaById(id);
            } catch (final SchemaRegistryException e) {
                throw new SerializationException("schema id " + id + " is unknown to the registry: " + e.getMessage(),
                    e);
            }
            final var compat = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
            if (compat.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SerializationException("schema id " + id + " (" + writer.getFullName() + ") cannot be read "
                    + "as this build's " + type.getSimpleName() + ": " + compat.getDescription());
            }
            return new SpecificDatumReader<>(writer, reader, SpecificData.get());
        }

        private static String head(final byte[] b) {
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(4, b.length); i++) {
                sb.append(String.format("%02X ", b[i]));
            }
            return b.length == 0 ? "nothing (empty value)" : sb.toString().strip();
        }
    }
}
