package io.mobileformer.streams.publish;

import io.mobileformer.streams.avro.FrameDetections;
import io.mobileformer.streams.avro.FrameDropped;
import io.mobileformer.streams.avro.FrameTracks;
import io.mobileformer.streams.avro.TrackEvent;
import io.mobileformer.streams.avro.WireFormat;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;

/**
 * What the detection processor forwards to its sinks, typed: {@link Detections} to the detections topic,
 * {@link Dropped} to the dropped topic, {@link DeadLetter} (the input bytes, unchanged) to the dead-letter topic, and
 * with analytics on, {@link Tracks} to the tracks topic and {@link Event} to the events topic. Each value knows its
 * own encoding in the pipeline's {@link WireFormat}, so every sink uses the one {@link #serializer} and nothing is
 * cast.
 *
 * <p>Keys are bytes on every sink: the camera id in UTF-8 for records the pipeline makes (what a
 * {@code StringSerializer} writes), the input key unchanged for dead letters.
 */
public sealed interface PipelineOutput permits PipelineOutput.Detections, PipelineOutput.Dropped,
    PipelineOutput.DeadLetter, PipelineOutput.Tracks, PipelineOutput.Event {

    /** This value as it goes on the wire to {@code topic}, framed as {@code wire} says. */
    byte[] encode(String topic, WireFormat wire);

    /** The serializer of every sink of the topology. */
    static Serializer<PipelineOutput> serializer(final WireFormat wire) {
        return (topic, value) -> value == null ? null : value.encode(topic, wire);
    }

    /** The detections of one analysed frame. */
    record Detections(FrameDetections value) implements PipelineOutput {
        @Override
        public byte[] encode(final String topic, final WireFormat wire) {
            return wire.serializer(FrameDetections.class).serialize(topic, value);
        }

        /** As a record keyed by camera, stamped with the frame's time. */
        public Record<byte[], PipelineOutput> record() {
            return new Record<>(key(value.getCameraId()), this, Math.max(0, value.getFrameTimestamp().toEpochMilli()));
        }
    }

    /** A frame deliberately skipped in live mode ({@code batch.full-policy=drop-oldest}). */
    record Dropped(FrameDropped value) implements PipelineOutput {
        @Override
        public byte[] encode(final String topic, final WireFormat wire) {
            return wire.serializer(FrameDropped.class).serialize(topic, value);
        }

        /** As a record keyed by camera, stamped with the frame's time. */
        public Record<byte[], PipelineOutput> record() {
            return new Record<>(key(value.getCameraId()), this, Math.max(0, value.getFrameTimestamp().toEpochMilli()));
        }
    }

    /** The value of an input record that could not be analysed, byte for byte (see {@link DeadLetters}). */
    record DeadLetter(byte[] value) implements PipelineOutput {
        @Override
        public byte[] encode(final String topic, final WireFormat wire) {
            return value;
        }
    }

    /** A frame's detections with their track ids. */
    record Tracks(FrameTracks value) implements PipelineOutput {
        @Override
        public byte[] encode(final String topic, final WireFormat wire) {
            return wire.serializer(FrameTracks.class).serialize(topic, value);
        }

        /** As a record keyed by camera, stamped with the frame's time. */
        public Record<byte[], PipelineOutput> record() {
            return new Record<>(key(value.getCameraId()), this, Math.max(0, value.getFrameTimestamp().toEpochMilli()));
        }
    }

    /** A zone or line event of a track, or a zone's count over a window. */
    record Event(TrackEvent value) implements PipelineOutput {
        @Override
        public byte[] encode(final String topic, final WireFormat wire) {
            return wire.serializer(TrackEvent.class).serialize(topic, value);
        }

        /** As a record keyed by camera, stamped with the event's time. */
        public Record<byte[], PipelineOutput> record() {
            return new Record<>(key(value.getCameraId()), this, Math.max(0, value.getEventTime().toEpochMilli()));
        }
    }

    private static byte[] key(final String cameraId) {
        return cameraId.getBytes(StandardCharsets.UTF_8);
    }
}
