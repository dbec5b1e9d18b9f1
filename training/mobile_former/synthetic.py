"""Deterministic synthetic detection data: coloured shapes on textured, noisy backgrounds, with exact boxes.

The scene model (also implemented by the Java synthetic camera, io.mobileformer.streams.ingest.SyntheticScene, so the
demo model sees at run time what it saw in training):
  * background: a linear gradient between two random colours, plus low-frequency value noise (a 3..8 cell grid,
    bilinear), plus 0..4 thin distractor lines, plus per-pixel Gaussian grain (sigma 2..8 of 255);
  * 0..8 objects of 4 classes: circle (axis-aligned ellipse, aspect 0.75..1.33), square (rotated rectangle, aspect
    0.75..1.33), triangle (rotated, isosceles), star (five points, inner radius 0.45, rotated); circumradius 4..20 %
    of the shorter image side; solid fill with +-8 % multiplicative texture noise; 2x2 supersampled coverage;
  * overlaps are allowed, but an object less than 40 % visible is removed before rendering;
  * the box is the exact extent of the continuous shape (ellipse axes, polygon vertices), clipped to the image.
Every image is a pure function of (seed, index).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

CLASSES = ("circle", "square", "triangle", "star")
MIN_VISIBLE = 0.4


@dataclass
class Shape:
    cls: int
    cx: float
    cy: float
    radius: float
    aspect: float
    angle: float
    color: Tuple[float, float, float]

    def polygon(self) -> Optional[np.ndarray]:
        if self.cls == 0:
            return None
        r, a = self.radius, self.angle
        if self.cls == 1:
            hw, hh = r * math.sqrt(self.aspect) / math.sqrt(2), r / math.sqrt(self.aspect) / math.sqrt(2)
            pts = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]])
        elif self.cls == 2:
            pts = np.array([[0.0, -r], [r * 0.87 * self.aspect, r * 0.5], [-r * 0.87 * self.aspect, r * 0.5]])
        else:
            k = np.arange(10)
            rad = np.where(k % 2 == 0, r, 0.45 * r)
            th = -math.pi / 2 + k * math.pi / 5
            pts = np.stack([rad * np.cos(th), rad * np.sin(th)], axis=1)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        return pts @ rot.T + np.array([self.cx, self.cy])

    def box(self) -> Tuple[float, float, float, float]:
        if self.cls == 0:
            ax, ay = self.radius * math.sqrt(self.aspect), self.radius / math.sqrt(self.aspect)
            return self.cx - ax, self.cy - ay, self.cx + ax, self.cy + ay
        p = self.polygon()
        return float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max())

    def coverage(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Fraction of each pixel covered, from 2x2 sub-samples; xs, ys are pixel indices of a region."""
        gx, gy = np.meshgrid(xs, ys)
        cov = np.zeros(gx.shape, dtype=np.float32)
        for ox in (0.25, 0.75):
            for oy in (0.25, 0.75):
                cov += self._inside(gx + ox, gy + oy)
        return cov / 4.0

    def _inside(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        if self.cls == 0:
            ax, ay = self.radius * math.sqrt(self.aspect), self.radius / math.sqrt(self.aspect)
            return (((px - self.cx) / ax) ** 2 + ((py - self.cy) / ay) ** 2 <= 1.0).astype(np.float32)
        poly = self.polygon()
        inside = np.zeros(px.shape, dtype=bool)
        j = len(poly) - 1
        for i in range(len(poly)):            # even-odd rule, vectorized over pixels
            xi, yi = poly[i]
            xj, yj = poly[j]
            crosses = (yi > py) != (yj > py)
            with np.errstate(divide="ignore", invalid="ignore"):
                xint = (xj - xi) * (py - yi) / (yj - yi) + xi
            inside ^= crosses & (px < xint)
            j = i
        return inside.astype(np.float32)


def _value_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    ys = np.linspace(0, cells, h, dtype=np.float32)
    xs = np.linspace(0, cells, w, dtype=np.float32)
    y0 = np.minimum(ys.astype(int), cells - 1)
    x0 = np.minimum(xs.astype(int), cells - 1)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    return a * (1 - fx) * (1 - fy) + b * fx * (1 - fy) + c * (1 - fx) * fy + d * fx * fy


def _hsv_to_rgb(h: float, s: float, v: float) -> Tuple[float, float, float]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]


def render_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    c0 = np.array(_hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.2, 0.9)), dtype=np.float32)
    c1 = np.array(_hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.2, 0.9)), dtype=np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx * math.cos(ang) + yy * math.sin(ang)) / max(h, w)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    img = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    noise = _value_noise(rng, h, w, int(rng.integers(3, 9))) - 0.5
    img = img + rng.uniform(0.1, 0.35) * noise[..., None]
    for _ in range(int(rng.integers(0, 5))):                 # distractor lines
        x0, y0, x1, y1 = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0, h)
        width = rng.uniform(0.8, 2.5)
        col = np.array(_hsv_to_rgb(rng.random(), rng.uniform(0, 1), rng.uniform(0.2, 1)), dtype=np.float32)
        dx, dy = x1 - x0, y1 - y0
        length2 = max(1e-6, dx * dx + dy * dy)
        u = np.clip(((xx - x0) * dx + (yy - y0) * dy) / length2, 0, 1)
        dist = np.hypot(xx - (x0 + u * dx), yy - (y0 + u * dy))
        alpha = np.clip(width / 2 + 0.5 - dist, 0, 1)[..., None]
        img = img * (1 - alpha) + col * alpha
    return img


def random_shape(rng: np.random.Generator, h: int, w: int) -> Shape:
    side = min(h, w)
    cls = int(rng.integers(0, len(CLASSES)))
    r = rng.uniform(0.04, 0.20) * side
    cx, cy = rng.uniform(0.3 * r, w - 0.3 * r), rng.uniform(0.3 * r, h - 0.3 * r)
    aspect = math.exp(rng.uniform(math.log(0.75), math.log(1.33)))
    angle = rng.uniform(0, 2 * math.pi) if cls != 0 else 0.0
    color = _hsv_to_rgb(rng.random(), rng.uniform(0.45, 1.0), rng.uniform(0.45, 1.0))
    return Shape(cls, cx, cy, r, aspect, angle, color)


def random_shapes(rng: np.random.Generator, h: int, w: int, max_objects: int = 8) -> List[Shape]:
    return [random_shape(rng, h, w) for _ in range(int(rng.integers(0, max_objects + 1)))]


def _region(shape: Shape, h: int, w: int):
    x0, y0, x1, y1 = shape.box()
    return max(0, int(math.floor(x0))), max(0, int(math.floor(y0))), min(w, int(math.ceil(x1)) + 1), \
        min(h, int(math.ceil(y1)) + 1)


def visible_shapes(shapes: Sequence[Shape], h: int, w: int, min_visible: float = MIN_VISIBLE) -> List[Shape]:
    """Drops, repeatedly, shapes that later shapes hide below `min_visible` of their own area (drawn in order)."""
    shapes = list(shapes)
    while True:
        owner = np.full((h, w), -1, dtype=np.int32)
        own = []
        for i, s in enumerate(shapes):
            rx0, ry0, rx1, ry1 = _region(s, h, w)
            if rx1 <= rx0 or ry1 <= ry0:
                own.append(0)
                continue
            m = s.coverage(np.arange(rx0, rx1), np.arange(ry0, ry1)) >= 0.5
            own.append(int(m.sum()))
            owner[ry0:ry1, rx0:rx1][m] = i
        counts = np.bincount(owner[owner >= 0].ravel(), minlength=len(shapes))
        bad = [i for i, s in enumerate(shapes) if own[i] == 0 or counts[i] < min_visible * own[i]]
        if not bad:
            return shapes
        del shapes[bad[0]]


def render(rng: np.random.Generator, background: np.ndarray, shapes: Sequence[Shape],
           grain: Optional[float] = None) -> np.ndarray:
    """Draws shapes over a float background (H, W, 3) in [0, 1]; returns uint8 RGB."""
    img = background.copy()
    h, w, _ = img.shape
    for s in shapes:
        rx0, ry0, rx1, ry1 = _region(s, h, w)
        if rx1 <= rx0 or ry1 <= ry0:
            continue
        cov = s.coverage(np.arange(rx0, rx1), np.arange(ry0, ry1))[..., None]
        tex = 1.0 + 0.08 * (rng.random(cov.shape[:2], dtype=np.float32)[..., None] * 2 - 1)
        fill = np.array(s.color, dtype=np.float32)[None, None, :] * tex
        patch = img[ry0:ry1, rx0:rx1]
        img[ry0:ry1, rx0:rx1] = patch * (1 - cov) + fill * cov
    sigma = rng.uniform(2, 8) / 255.0 if grain is None else grain
    img = img + rng.normal(0, sigma, img.shape).astype(np.float32)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def boxes_of(shapes: Sequence[Shape], h: int, w: int) -> Tuple[np.ndarray, np.ndarray]:
    boxes = np.array([s.box() for s in shapes], dtype=np.float32).reshape(-1, 4)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
    classes = np.array([s.cls for s in shapes], dtype=np.int64)
    return boxes, classes


def scene(seed: int, index: int, h: int, w: int, max_objects: int = 8):
    """One image, a pure function of (seed, index): (uint8 RGB (h, w, 3), boxes (n, 4) xyxy pixels, classes (n,))."""
    rng = np.random.default_rng([seed, index])
    bg = render_background(rng, h, w)
    shapes = visible_shapes(random_shapes(rng, h, w, max_objects), h, w)
    img = render(rng, bg, shapes)
    boxes, classes = boxes_of(shapes, h, w)
    return img, boxes, classes


# ----------------------------------------------------------------------------------------------------------------------
# Clips: moving shapes that bounce off the borders and off each other (so every object stays fully visible)
# ----------------------------------------------------------------------------------------------------------------------
def clip_frames(seed: int, frames: int, h: int, w: int, objects: int = 5):
    rng = np.random.default_rng([seed, 1_000_003])
    bg = render_background(rng, h, w)
    shapes: List[Shape] = []
    for _ in range(200 * objects):
        if len(shapes) == objects:
            break
        s = random_shape(rng, h, w)
        s.radius = min(s.radius, 0.16 * min(h, w))
        s.cx = float(np.clip(s.cx, s.radius + 1, w - s.radius - 1))
        s.cy = float(np.clip(s.cy, s.radius + 1, h - s.radius - 1))
        if all(not _overlap(s.box(), t.box(), margin=2) for t in shapes):
            shapes.append(s)
    vel = [(rng.uniform(-3, 3) * min(h, w) / 360, rng.uniform(-3, 3) * min(h, w) / 360) for _ in shapes]
    spin = [rng.uniform(-0.05, 0.05) for _ in shapes]
    for f in range(frames):
        img = render(rng, bg, shapes, grain=3.0 / 255.0)
        boxes, classes = boxes_of(shapes, h, w)
        yield img, boxes, classes
        for i, s in enumerate(shapes):
            old = (s.cx, s.cy, s.angle)
            vx, vy = vel[i]
            s.cx, s.cy, s.angle = s.cx + vx, s.cy + vy, s.angle + spin[i]
            x0, y0, x1, y1 = s.box()
            hit_x = x0 < 0 or x1 > w
            hit_y = y0 < 0 or y1 > h
            hit_other = any(_overlap(s.box(), t.box(), margin=1) for j, t in enumerate(shapes) if j != i)
            if hit_x or hit_y or hit_other:
                s.cx, s.cy, s.angle = old
                vel[i] = (-vx if (hit_x or hit_other) else vx, -vy if (hit_y or hit_other) else vy)


def _overlap(a, b, margin=0.0) -> bool:
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0] or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def write_clip(path: str, truth_path: str, seed: int = 7, frames: int = 60, width: int = 640, height: int = 360,
               fps: int = 15, objects: int = 5, gop: int = 15) -> None:
    """Writes an H.264 clip (MPEG-TS or MP4 by extension, via the ffmpeg binary) and its ground-truth JSON."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg not found: install it (training/install-deps.sh installs Debian's ffmpeg)")
    cmd = [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
           "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", str(gop),
           "-pix_fmt", "yuv420p"]
    if path.endswith(".mp4"):
        cmd += ["-movflags", "+faststart"]
    proc = subprocess.Popen(cmd + [path], stdin=subprocess.PIPE)
    truth = {"width": width, "height": height, "fps": fps, "seed": seed, "labels": list(CLASSES), "frames": []}
    for i, (img, boxes, classes) in enumerate(clip_frames(seed, frames, height, width, objects)):
        proc.stdin.write(img.tobytes())
        truth["frames"].append({"index": i, "objects": [
            {"class_id": int(c), "label": CLASSES[int(c)], "box": [round(float(v), 2) for v in b]}
            for b, c in zip(boxes, classes)]})
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}")
    os.makedirs(os.path.dirname(os.path.abspath(truth_path)), exist_ok=True)
    with open(truth_path, "w") as f:
        json.dump(truth, f, indent=1)
