"""Training and evaluation batches from the synthetic scene generator, preprocessed exactly like the plugin does.

A scene is rendered at a camera-like resolution and aspect, then resized to the model input (stretch or letterbox,
bilinear with antialiasing, as swscale does), converted to float RGB and normalized with the model's mean and std.
"""
from __future__ import annotations

import math
from typing import Iterator, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from . import synthetic

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def camera_size(rng: np.random.Generator) -> Tuple[int, int]:
    """A random source resolution (h, w): width 256..640, aspect w/h 0.75..1.9 (portrait phones to wide cameras)."""
    w = int(rng.integers(256, 641))
    aspect = math.exp(rng.uniform(math.log(0.75), math.log(1.9)))
    return max(96, int(round(w / aspect))), w


def resize_to_input(img: np.ndarray, boxes: np.ndarray, size: Tuple[int, int], mode: str,
                    mean=IMAGENET_MEAN, std=IMAGENET_STD) -> Tuple[torch.Tensor, np.ndarray]:
    """uint8 HWC RGB -> normalized float CHW at `size` (h, w); boxes mapped into input pixels."""
    ih, iw = size
    h, w = img.shape[:2]
    t = torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).float() / 255.0
    boxes = boxes.astype(np.float32).copy()
    if mode == "stretch":
        t = F.interpolate(t, size=(ih, iw), mode="bilinear", align_corners=False, antialias=True)
        boxes[:, [0, 2]] *= iw / w
        boxes[:, [1, 3]] *= ih / h
    elif mode == "letterbox":
        s = min(iw / w, ih / h)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        px, py = (iw - nw) // 2, (ih - nh) // 2
        inner = F.interpolate(t, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)
        t = torch.full((1, 3, ih, iw), 0.5)          # grey padding, i.e. 0 after mean-subtraction only roughly
        t[:, :, py:py + nh, px:px + nw] = inner
        boxes *= s
        boxes[:, [0, 2]] += px
        boxes[:, [1, 3]] += py
    else:
        raise ValueError(f"resize mode {mode!r}: use stretch or letterbox")
    m = torch.tensor(mean).view(1, 3, 1, 1)
    sd = torch.tensor(std).view(1, 3, 1, 1)
    return ((t - m) / sd)[0], boxes


def sample(seed: int, index: int, size: Tuple[int, int], mode: str):
    rng = np.random.default_rng([seed, index, 17])
    h, w = camera_size(rng)
    img, boxes, classes = synthetic.scene(seed, index, h, w)
    x, boxes = resize_to_input(img, boxes, size, mode)
    return x, torch.from_numpy(boxes), torch.from_numpy(classes)


class SceneStream(torch.utils.data.IterableDataset):
    """Endless training samples; resumable because sample i is a pure function of (seed, i)."""

    def __init__(self, seed: int, start: int, size: Tuple[int, int], mode: str):
        super().__init__()
        self.seed, self.start, self.size, self.mode = seed, start, size, mode

    def __iter__(self) -> Iterator:
        i = self.start
        while True:
            yield sample(self.seed, i, self.size, self.mode)
            i += 1


def collate(items):
    xs, boxes, classes = zip(*items)
    return torch.stack(xs), list(boxes), list(classes)


def held_out(n: int, size: Tuple[int, int], mode: str, seed: int = 424242) -> List:
    """The fixed evaluation set: n scenes from a seed never used for training."""
    return [sample(seed, i, size, mode) for i in range(n)]
