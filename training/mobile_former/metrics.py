"""Mean average precision, COCO style: 101-point interpolated AP per class, averaged over classes with ground truth.

mAP@0.5 uses IoU 0.5; mAP@0.5:0.95 averages over IoU 0.50, 0.55, ..., 0.95. Detections are greedily matched in
descending score order to the unmatched ground truth box of the same class with the highest IoU. The Java evaluator
(io.mobileformer.streams.eval.MeanAveragePrecision) implements the same rule.

Ignore regions: a ground truth entry may carry a third array of ignore boxes. A detection that matches no ground
truth but lies mostly inside an ignore region (intersection over the detection's area >= 0.5) is skipped: neither
a hit nor a false alarm, as COCO does for crowd regions.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

Detection = Tuple[int, float, float, float, float, float]     # class, score, x0, y0, x1, y1


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float64)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def ioa(box: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Intersection of one box with each region, over the box's own area."""
    lt = np.maximum(box[:2], regions[:, :2])
    rb = np.minimum(box[2:], regions[:, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    return inter / max(float(np.clip(box[2:] - box[:2], 0, None).prod()), 1e-9)


def average_precision(dets: Sequence[Sequence[Detection]], gts: Sequence[Tuple[np.ndarray, np.ndarray]],
                      cls: int, iou_threshold: float) -> float:
    scored = []
    n_gt = 0
    ignores = [g[2] if len(g) > 2 else np.zeros((0, 4)) for g in gts]
    gts = [(g[0], g[1]) for g in gts]
    for img, (gb, gc) in enumerate(gts):
        n_gt += int((gc == cls).sum())
        for d in dets[img]:
            if d[0] == cls:
                scored.append((d[1], img, d[2:]))
    if n_gt == 0:
        return float("nan")
    scored.sort(key=lambda t: -t[0])
    used = [np.zeros(int((gc == cls).sum()), dtype=bool) for _, gc in gts]
    tp = np.zeros(len(scored))
    skip = np.zeros(len(scored), dtype=bool)
    for k, (_, img, box) in enumerate(scored):
        gb, gc = gts[img]
        cand = gb[gc == cls]
        if len(cand):
            ious = iou_matrix(np.array([box], dtype=np.float64), cand.astype(np.float64))[0]
            ious[used[img]] = -1
            j = int(ious.argmax())
            if ious[j] >= iou_threshold:
                used[img][j] = True
                tp[k] = 1
                continue
        if len(ignores[img]) and ioa(np.asarray(box, np.float64), np.asarray(ignores[img], np.float64)).max() >= 0.5:
            skip[k] = True
    tp = tp[~skip]
    if len(tp) == 0:
        return 0.0
    ctp = np.cumsum(tp)
    recall = ctp / n_gt
    precision = ctp / np.arange(1, len(tp) + 1)
    # precision envelope, then sample at recall 0, 0.01, ..., 1
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    ap = 0.0
    for r in np.linspace(0, 1, 101):
        idx = np.searchsorted(recall, r, side="left")
        ap += precision[idx] if idx < len(precision) else 0.0
    return ap / 101


def mean_ap(dets, gts, num_classes: int) -> Dict[str, float]:
    def at(t):
        aps = [average_precision(dets, gts, c, t) for c in range(num_classes)]
        aps = [a for a in aps if not np.isnan(a)]
        return float(np.mean(aps)) if aps else 0.0
    return {"map50": at(0.5), "map50_95": float(np.mean([at(t) for t in np.arange(0.5, 0.951, 0.05)]))}
