package io.mobileformer.streams.cli;

import io.mobileformer.streams.ingest.MediaEncoder;
import io.mobileformer.streams.model.Detection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Draws detections (box, label, score) on an RGB24 frame and writes a PNG: the demo's visual check. */
final class FrameAnnotator {
    private static final Color[] PALETTE = {new Color(255, 64, 64), new Color(64, 220, 64), new Color(64, 160, 255),
        new Color(255, 200, 0), new Color(220, 64, 255), new Color(0, 220, 220)};

    private FrameAnnotator() {
    }

    static void write(final byte[] rgb, final int w, final int h, final List<Detection> dets, final String title,
                      final Path file) throws IOException {
        final BufferedImage img = MediaEncoder.toImage(rgb, w, h);
        final Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.setStroke(new BasicStroke(2f));
        for (final Detection d : dets) {
            final Color c = PALETTE[Math.floorMod(d.classId(), PALETTE.length)];
            g.setColor(c);
            g.drawRect(Math.round(d.x0()), Math.round(d.y0()), Math.round(d.x1() - d.x0()),
                Math.round(d.y1() - d.y0()));
            final String label = String.format("%s %.2f", d.label(), d.score());
            final int tw = g.getFontMetrics().stringWidth(label) + 4;
            final int ty = Math.max(14, Math.round(d.y0()));
            g.fillRect(Math.round(d.x0()), ty - 14, tw, 14);
            g.setColor(Color.BLACK);
            g.drawString(label, Math.round(d.x0()) + 2, ty - 3);
        }
        g.setColor(new Color(0, 0, 0, 160));
        g.fillRect(0, h - 18, w, 18);
        g.setColor(Color.WHITE);
        g.drawString(title, 4, h - 5);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
