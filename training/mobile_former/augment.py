"""Augmentation for small real objects, with boxes that follow the pixels.

One camera is little data: without help the student learns that scene's walls and lawn. Each training image is
built in source pixels first, then mapped once to the model input:
1. background: a labelled frame (its own boxes kept), or a frame with no objects of interest (negatives);
2. paste: crops of labelled objects from other frames, at a random place and a jittered scale, with a feathered
   edge so the network cannot find them by their rectangular seam; a paste never covers an existing box by more
   than a little, and pasted boxes join the labels;
3. scale and crop: a window of the source, zoomed in or out (log-uniform), mapped onto the input — zoomed out, the
   border is grey; an object cut by the window keeps its label only when most of it is still visible, otherwise
   it becomes an ignore region (neither pushed up nor down);
4. horizontal flip; colour jitter (brightness, contrast, saturation) on the input pixels.

Every random draw comes from the `rng` passed in, so sample i of a run is a pure function of (seed, i) and a
resumed run sees the images it would have seen.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from .data import IMAGENET_MEAN, IMAGENET_STD
from .metrics import iou_matrix

GREY = 128


@dataclass
class Crop:
    pixels: np.ndarray     # uint8 HWC, the object's box plus a margin
    box: np.ndarray        # [4] the object's box inside `pixels`
    cls: int


def crop_bank(samples, source, max_crops: int = 400, min_height: float = 16.0, margin: float = 0.15,
              seed: int = 0) -> List[Crop]:
    """Crops of labelled objects (with a small margin) from `samples`, at most `max_crops`, chosen at random."""
    rng = np.random.default_rng(seed)
    cands = [(i, j) for i, s in enumerate(samples) for j in range(len(s.boxes))
             if s.boxes[j, 3] - s.boxes[j, 1] >= min_height]
    if len(cands) > max_crops:
        cands = [cands[k] for k in rng.choice(len(cands), max_crops, replace=False)]
    out = []
    for i, j in cands:
        s = samples[i]
        img = source.image(s.source)
        x0, y0, x1, y1 = s.boxes[j]
        mx, my = (x1 - x0) * margin, (y1 - y0) * margin
        cx0, cy0 = int(max(0, np.floor(x0 - mx))), int(max(0, np.floor(y0 - my)))
        cx1, cy1 = int(min(img.shape[1], np.ceil(x1 + mx))), int(min(img.shape[0], np.ceil(y1 + my)))
        if cx1 - cx0 < 4 or cy1 - cy0 < 4:
            continue
        out.append(Crop(np.ascontiguousarray(img[cy0:cy1, cx0:cx1]),
                        np.array([x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0], np.float32), int(s.classes[j])))
    return out


def _resize_u8(img: np.ndarray, h: int, w: int) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).unsqueeze(0).float()
    t = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
    return t[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()


def paste(img: np.ndarray, boxes: np.ndarray, classes: np.ndarray, crops: Sequence[Crop], rng: np.random.Generator,
          count: int, scale: Tuple[float, float] = (0.7, 1.4), max_iou: float = 0.1):
    """Pastes `count` crops into a copy of `img`; returns (img, boxes, classes) with the pasted boxes appended."""
    img = img.copy()
    boxes = boxes.reshape(-1, 4).astype(np.float32)
    classes = classes.astype(np.int64)
    h, w = img.shape[:2]
    for _ in range(count):
        c = crops[int(rng.integers(len(crops)))]
        s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
        ph, pw = max(4, int(round(c.pixels.shape[0] * s))), max(4, int(round(c.pixels.shape[1] * s)))
        if ph >= h or pw >= w:
            continue
        px, py = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
        sx, sy = pw / c.pixels.shape[1], ph / c.pixels.shape[0]
        nb = np.array([[c.box[0] * sx + px, c.box[1] * sy + py, c.box[2] * sx + px, c.box[3] * sy + py]], np.float32)
        if len(boxes) and iou_matrix(nb, boxes).max() > max_iou:
            continue
        patch = _resize_u8(c.pixels, ph, pw).astype(np.float32)
        # Feathered alpha: 1 inside, falling to 0 over the outer ~15 % of the margin, so no hard rectangle.
        fy = np.minimum(np.arange(ph) + 0.5, ph - np.arange(ph) - 0.5) / max(1.0, 0.1 * ph)
        fx = np.minimum(np.arange(pw) + 0.5, pw - np.arange(pw) - 0.5) / max(1.0, 0.1 * pw)
        alpha = np.clip(np.minimum(fy[:, None], fx[None, :]), 0, 1)[..., None]
        region = img[py:py + ph, px:px + pw].astype(np.float32)
        img[py:py + ph, px:px + pw] = (alpha * patch + (1 - alpha) * region).round().astype(np.uint8)
        boxes = np.concatenate([boxes, nb])
        classes = np.concatenate([classes, [c.cls]])
    return img, boxes, classes


def scale_crop(img: np.ndarray, boxes: np.ndarray, classes: np.ndarray, ignore: np.ndarray, out_hw: Tuple[int, int],
               rng: Optional[np.random.Generator], zoom: Tuple[float, float] = (1.0, 1.0), min_visible: float = 0.6):
    """Maps a window of `img` onto the output size; zoom > 1 magnifies (a smaller window), zoom < 1 shrinks
    (a window larger than the image, grey outside). With zoom (1, 1) this is the plain stretch of the whole image,
    as the plugin does. Returns (uint8 HWC at out_hw, boxes, classes, ignore) in output pixels."""
    h, w = img.shape[:2]
    oh, ow = out_hw
    z = 1.0 if rng is None or zoom == (1.0, 1.0) else float(np.exp(rng.uniform(np.log(zoom[0]), np.log(zoom[1]))))
    ww, wh = w / z, h / z
    x0 = 0.0 if rng is None or ww == w else float(rng.uniform(min(0.0, w - ww), max(0.0, w - ww)))
    y0 = 0.0 if rng is None or wh == h else float(rng.uniform(min(0.0, h - wh), max(0.0, h - wh)))
    # Integer source window (with a grey border where it leaves the image), then one antialiased resize.
    ix0, iy0 = int(np.floor(x0)), int(np.floor(y0))
    ix1, iy1 = int(np.ceil(x0 + ww)), int(np.ceil(y0 + wh))
    canvas = np.full((iy1 - iy0, ix1 - ix0, 3), GREY, np.uint8)
    sx0, sy0, sx1, sy1 = max(0, ix0), max(0, iy0), min(w, ix1), min(h, iy1)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0 - iy0:sy1 - iy0, sx0 - ix0:sx1 - ix0] = img[sy0:sy1, sx0:sx1]
    out = _resize_u8(canvas, oh, ow)
    fx, fy = ow / (ix1 - ix0), oh / (iy1 - iy0)

    def move(b):
        b = b.reshape(-1, 4).astype(np.float32).copy()
        b[:, [0, 2]] = (b[:, [0, 2]] - ix0) * fx
        b[:, [1, 3]] = (b[:, [1, 3]] - iy0) * fy
        return b

    nb, ni = move(boxes), move(ignore)
    clipped = nb.copy()
    clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0, ow)
    clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0, oh)
    area = lambda b: np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)  # noqa: E731
    vis = area(clipped) / np.maximum(area(nb), 1e-9)
    keep = vis >= min_visible
    partly = (vis > 0) & ~keep
    ni = np.concatenate([ni, clipped[partly]])
    ni[:, [0, 2]] = ni[:, [0, 2]].clip(0, ow)
    ni[:, [1, 3]] = ni[:, [1, 3]].clip(0, oh)
    ni = ni[area(ni) > 0]
    return out, clipped[keep], classes[keep], ni


def flip(img: np.ndarray, boxes: np.ndarray, ignore: np.ndarray):
    w = img.shape[1]

    def f(b):
        b = b.copy()
        b[:, [0, 2]] = w - b[:, [2, 0]]
        return b
    return np.ascontiguousarray(img[:, ::-1]), f(boxes), f(ignore)


def colour_jitter(img: np.ndarray, rng: np.random.Generator, strength: float = 0.3) -> np.ndarray:
    x = img.astype(np.float32)
    x = x * float(rng.uniform(1 - strength, 1 + strength))                                  # brightness
    mean = x.mean()
    x = (x - mean) * float(rng.uniform(1 - strength, 1 + strength)) + mean                   # contrast
    grey = x.mean(axis=2, keepdims=True)
    x = (x - grey) * float(rng.uniform(1 - strength, 1 + strength)) + grey                   # saturation
    return x.clip(0, 255).astype(np.uint8)


def normalize(img: np.ndarray, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> torch.Tensor:
    """uint8 HWC RGB → float CHW, (x/255 − mean)/std, as the plugin's preprocessing."""
    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float() / 255.0
    return (t - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
