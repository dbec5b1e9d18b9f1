"""Decoding the NanoDet teacher's raw outputs into pseudo-labels (COCO JSON with an ignore band).

The teacher runs in Node (training/teacher/nanodet_cells.mjs, TF.js); it prints the raw output cells that could
hold an object. Everything that turns those numbers into boxes is here, so it is tested on a recorded fixture
(tests/test_teacher.py) and was checked against the cross-check detector on real frames (training/teacher/README.md).

NanoDet (GFL head, RangiLyu/nanodet, Apache-2.0), 416 x 416 input, strides 8 / 16 / 32:
- class scores [cells, 80], already sigmoid;
- box distributions [cells, 44] = 4 sides (left, top, right, bottom) x 11 bins (reg_max = 10): a softmax over
  each side's 11 logits, and the expected bin times the stride is that side's distance from the cell centre;
- cell i of a level with n = 416 / stride columns sits at column i % n, row i // n; its centre is
  ((col + 0.5) * stride, (row + 0.5) * stride) — checked: with the half-cell offset the decoded boxes match the
  cross-check detector's better than without it (README of training/teacher).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

SIDE = 416
BINS = 11
COCO_PERSON = 0
# COCO ids (0-based, as the teacher's 80 outputs are ordered) → our label. Bicycles are not vehicles here.
CLASS_MAP = {0: "person", 2: "vehicle", 3: "vehicle", 5: "vehicle", 7: "vehicle"}
LABELS = ["person", "vehicle"]


@dataclass(frozen=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    label: str

    @property
    def area(self) -> float:
        return max(0.0, self.x2 - self.x1) * max(0.0, self.y2 - self.y1)


def decode_cells(cells: Sequence[Sequence[float]], classes: Sequence[int], centre_offset: float = 0.5,
                 side: int = SIDE) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows [stride, index, score per class in `classes`, 44 logits] → (boxes [n,4] in input pixels, scores [n,C])."""
    if not cells:
        return [(np.zeros((0, 4)), np.zeros((0, len(classes))))]
    arr = np.asarray(cells, dtype=np.float64)
    nc = len(classes)
    stride = arr[:, 0]
    index = arr[:, 1].astype(np.int64)
    scores = arr[:, 2:2 + nc]
    logits = arr[:, 2 + nc:2 + nc + 4 * BINS].reshape(-1, 4, BINS)        # [n, side(l,t,r,b), bin]
    logits = logits - logits.max(axis=2, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=2, keepdims=True)
    dist = (prob * np.arange(BINS)).sum(axis=2) * stride[:, None]          # [n, 4] in input pixels
    cols = side // stride.astype(np.int64)
    cx = (index % cols + centre_offset) * stride
    cy = (index // cols + centre_offset) * stride
    boxes = np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1)
    return [(np.clip(boxes, 0, side), scores)]


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def nms(boxes: Iterable[Box], threshold: float) -> list[Box]:
    """Greedy per-label NMS, highest score first."""
    kept: list[Box] = []
    for b in sorted(boxes, key=lambda b: -b.score):
        if all(k.label != b.label or iou(k, b) < threshold for k in kept):
            kept.append(b)
    return kept


def tile_boxes(record: dict, min_score: float, centre_offset: float = 0.5, frame_size=None) -> list[Box]:
    """Boxes of one tile record (one line of nanodet_cells.mjs) in source pixels, one per cell and mapped label.

    A box from a crop that touches the crop's inner border (one that is not the frame's border) is dropped: the
    person it shows is cut, and the whole frame or the overlapping neighbour tile sees them whole.
    """
    x0, y0, tw, th = record["tile"]
    classes = record["classes"]
    (boxes, scores), = decode_cells(record["cells"], classes, centre_offset)
    sx, sy = tw / SIDE, th / SIDE
    out = []
    fw, fh = frame_size or (None, None)
    for box, sc in zip(boxes, scores):
        # Several COCO classes map to "vehicle": take the best of them, as one box.
        best: dict[str, float] = {}
        for c, s in zip(classes, sc):
            label = CLASS_MAP.get(int(c))
            if label and s >= min_score and s > best.get(label, 0.0):
                best[label] = float(s)
        if not best:
            continue
        x1, y1, x2, y2 = box[0] * sx + x0, box[1] * sy + y0, box[2] * sx + x0, box[3] * sy + y0
        if fw is not None:
            margin = 2.0
            cut = ((x1 <= x0 + margin and x0 > 0) or (y1 <= y0 + margin and y0 > 0)
                   or (x2 >= x0 + tw - margin and x0 + tw < fw) or (y2 >= y0 + th - margin and y0 + th < fh))
            if cut:
                continue
        for label, s in best.items():
            out.append(Box(x1, y1, x2, y2, s, label))
    return out


def frame_boxes(records: Sequence[dict], width: int, height: int, min_score: float = 0.2,
                nms_iou: float = 0.5, centre_offset: float = 0.5) -> list[Box]:
    """All tiles of one frame merged: per-tile candidates, then one NMS over the frame."""
    boxes = []
    for r in records:
        boxes.extend(tile_boxes(r, min_score, centre_offset, (width, height)))
    return nms(boxes, nms_iou)


def to_coco(frames: dict[int, list[Box]], width: int, height: int, video: str, label_score: float,
            ignore_score: float, min_area: float = 16.0, info: dict | None = None) -> dict:
    """COCO detection JSON. Boxes ≥ label_score are labels; boxes in [ignore_score, label_score) become ignore
    regions (`iscrowd: 1` and `ignore: 1`), which cost no loss either way."""
    images, anns = [], []
    categories = [{"id": i + 1, "name": n} for i, n in enumerate(LABELS)]
    cat = {n: i + 1 for i, n in enumerate(LABELS)}
    for frame in sorted(frames):
        image_id = frame + 1
        images.append({"id": image_id, "file_name": f"{video}#{frame}", "frame_index": frame,
                       "width": width, "height": height})
        for b in frames[frame]:
            if b.score < ignore_score or b.area < min_area:
                continue
            ignore = b.score < label_score
            anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat[b.label],
                         "bbox": [round(b.x1, 1), round(b.y1, 1), round(b.x2 - b.x1, 1), round(b.y2 - b.y1, 1)],
                         "area": round(b.area, 1), "score": round(b.score, 4),
                         "iscrowd": int(ignore), "ignore": int(ignore)})
    return {"info": info or {}, "images": images, "annotations": anns, "categories": categories}


def read_cells(path: str) -> dict[int, list[dict]]:
    """nanodet_cells.mjs output → frame index → its tile records."""
    frames: dict[int, list[dict]] = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                frames.setdefault(r["frame"], []).append(r)
    return frames
