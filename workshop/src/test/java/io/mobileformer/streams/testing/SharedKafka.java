package io.mobileformer.streams.testing;

import io.mobileformer.streams.embedded.EmbeddedKafka;

import java.io.IOException;
import java.io.UncheckedIOException;

/** One real KRaft broker per test JVM (starting one costs seconds and ~400 MB), stopped when the JVM exits. */
public final class SharedKafka {
    private static EmbeddedKafka kafka;

    private SharedKafka() {
    }

    public static synchronized EmbeddedKafka get() {
        if (kafka == null) {
            try {
                kafka = EmbeddedKafka.start();
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "embedded-kafka-stop"));
        }
        return kafka;
    }
}
