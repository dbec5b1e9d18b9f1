package io.mobileformer.streams.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A component's meters, registered on every registry the component is bound to, whether the meter or the binding came
 * first. A component is bound to none in tests and tools, to its process's {@link MetricsEndpoint} when one runs.
 *
 * <p>Micrometer's composite registry does the same but warns when a registry joins after meters exist, and a pipeline
 * or a camera is created before it is observed. Here a meter that reads a value when scraped (a gauge, a function
 * counter) loses nothing by binding late; a distribution ({@link #each}) records only what happens after the binding,
 * which is nothing for the pipeline (it binds before Kafka Streams runs).
 */
public final class MeterSet implements MeterBinder {
    private final List<MeterRegistry> registries = new ArrayList<>();
    private final List<Consumer<MeterRegistry>> meters = new ArrayList<>();

    /** Registers every meter of this set on {@code registry}, and every meter added later too. */
    @Override
    public synchronized void bindTo(final MeterRegistry registry) {
        registries.add(registry);
        for (final Consumer<MeterRegistry> m : meters) {
            m.accept(registry);
        }
    }

    /**
     * Adds meters: {@code registration} runs on each bound registry now and on each one bound later. This is how a
     * new figure is exported, e.g. {@code set.add(r -> Gauge.builder("mfs.engine.selected", ...).register(r))}.
     */
    public synchronized void add(final Consumer<MeterRegistry> registration) {
        meters.add(registration);
        for (final MeterRegistry r : registries) {
            registration.accept(r);
        }
    }

    /**
     * A meter that is recorded to (a timer, a distribution summary): one per bound registry, all in the returned list,
     * which grows as registries are bound. Record to each element; the list is safe to iterate while it grows.
     */
    public <M> List<M> each(final Function<MeterRegistry, M> registration) {
        final List<M> out = new java.util.concurrent.CopyOnWriteArrayList<>();
        add(r -> out.add(registration.apply(r)));
        return out;
    }
}
