package io.mobileformer.streams.view;

import io.mobileformer.streams.decode.DecodeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Draws at most {@code maxFps} frames per camera per second, always the newest: every tick it takes, per camera,
 * the latest detections not drawn yet (whatever arrived in between is skipped, never queued) and renders their frame.
 * One thread, so the view's decoding never takes more than one core however many cameras and browsers there are.
 */
final class FrameRenderer implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(FrameRenderer.class);

    private final FrameSource source;
    private final ViewState state;
    private final long tickNanos;

    FrameRenderer(final FrameSource source, final ViewState state, final double maxFps) {
        this.source = source;
        this.state = state;
        this.tickNanos = (long) (1e9 / maxFps);
    }

    @Override
    public void run() {
        try (source) {
            long next = System.nanoTime();
            while (!state.closed()) {
                next += tickNanos;
                for (final ViewState.Pending p : state.pending()) {
                    final long t0 = System.nanoTime();
                    try {
                        final FrameSource.Picture pic = source.render(p.topic(), p.detections());
                        state.onRendered(p, pic.jpeg(), pic.width(), pic.height(), (System.nanoTime() - t0) / 1e6);
                    } catch (final DecodeException | IOException | RuntimeException e) {
                        state.onRenderFailed(p, e.getMessage());
                    }
                }
                final long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } else {
                    next = System.nanoTime();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final RuntimeException e) {
            LOG.error("live view: rendering stopped", e);
        }
    }
}
