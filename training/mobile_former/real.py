"""Training and evaluation samples from real labelled data (see datasets.py for the readers, augment.py for the
augmentation). The counterpart of data.SceneStream for synthetic scenes, with ignore regions carried along."""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import augment
from .datasets import FrameSource, Sample


class RealStream(torch.utils.data.IterableDataset):
    """Endless augmented samples; sample i is a pure function of (seed, i), so a run resumes exactly.

    `negatives` are images known to hold none of the model's objects (another scene): they are backgrounds for
    pasted crops, so the network sees people on more than one lawn.
    """

    def __init__(self, seed: int, start: int, samples: Sequence[Sample], hw: Tuple[int, int], cache_dir: str,
                 negatives: Sequence[str] = (), crops: Sequence[augment.Crop] = (), zoom=(0.7, 1.6),
                 p_negative: float = 0.2, max_paste: int = 3, flip: bool = True, jitter: float = 0.3):
        super().__init__()
        if not samples:
            raise ValueError("no training samples")
        self.seed, self.start, self.samples, self.hw = seed, start, list(samples), hw
        self.cache_dir, self.negatives, self.crops = cache_dir, list(negatives), list(crops)
        self.zoom, self.p_negative, self.max_paste, self.flip, self.jitter = zoom, p_negative, max_paste, flip, jitter
        self._source: Optional[FrameSource] = None

    def sample(self, i: int):
        if self._source is None:            # one per worker process (memory maps are opened lazily)
            self._source = FrameSource(self.cache_dir)
        rng = np.random.default_rng([self.seed, i, 23])
        if self.negatives and self.crops and rng.random() < self.p_negative:
            img = self._source.image(self.negatives[int(rng.integers(len(self.negatives)))])
            boxes, classes, ignore = np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros((0, 4), np.float32)
            count = int(rng.integers(1, self.max_paste + 1))
        else:
            s = self.samples[int(rng.integers(len(self.samples)))]
            img, boxes, classes, ignore = self._source.image(s.source), s.boxes, s.classes, s.ignore
            count = int(rng.integers(0, self.max_paste + 1)) if self.crops else 0
        if count:
            img, boxes, classes = augment.paste(img, boxes, classes, self.crops, rng, count)
        out, boxes, classes, ignore = augment.scale_crop(img, boxes, classes, ignore, self.hw, rng, self.zoom)
        if self.flip and rng.random() < 0.5:
            out, boxes, ignore = augment.flip(out, boxes, ignore)
        if self.jitter:
            out = augment.colour_jitter(out, rng, self.jitter)
        return (augment.normalize(out), torch.from_numpy(boxes), torch.from_numpy(classes),
                torch.from_numpy(np.asarray(ignore, np.float32)))

    def __iter__(self) -> Iterator:
        i = self.start
        while True:
            yield self.sample(i)
            i += 1


def eval_set(samples: Sequence[Sample], hw: Tuple[int, int], cache_dir: str) -> List:
    """Held-out samples, plainly stretched to the input as the plugin does: (x, boxes, classes, ignore)."""
    source = FrameSource(cache_dir)
    out = []
    for s in samples:
        img, b, c, ig = augment.scale_crop(source.image(s.source), s.boxes, s.classes, s.ignore, hw, None,
                                           min_visible=0.0)
        out.append((augment.normalize(img), torch.from_numpy(b), torch.from_numpy(c), torch.from_numpy(ig)))
    return out


def collate(items):
    xs, boxes, classes, ignore = zip(*items)
    return torch.stack(xs), list(boxes), list(classes), list(ignore)
