"""Two detection heads on the Mobile-Former trunk, selected by name: `centernet` and `detr`.

Output contract (DESIGN.md section 3), identical for every engine of the plugin:
  centernet: heatmap [N,K,H/s,W/s] after sigmoid, wh [N,2,H/s,W/s] (box width/height in output cells, i.e. input
             pixels / stride), offset [N,2,H/s,W/s] (sub-cell centre offset in [0,1)). Peaks by 3x3 max-pool, top-k.
  detr:      logits [N,Q,K+1] (last class = no object), boxes [N,Q,4] normalized (cx, cy, w, h). No NMS.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import Former, FormerToMobile, HardSigmoid, MobileToFormer, conv_bn, dynamic_relu
from .model import MobileFormer, Variant


# ======================================================================================================================
# CenterNet-style dense head (anchor-free, stride 8)
# ======================================================================================================================
class CenterNetDetector(nn.Module):
    """Trunk -> light top-down neck to stride 8 -> shared separable tower -> heatmap / size / offset.

    Not from the Mobile-Former paper: a small dense head that converges on a 2-core CPU (DESIGN.md section 9).
    Sizes are regressed as log(w), log(h) in cells and exported through Exp, so the loss is scale-invariant while the
    ONNX output stays in cells.
    """

    format = "centernet"
    stride = 8

    def __init__(self, cfg: Variant, num_classes: int, neck: int = 64):
        super().__init__()
        self.num_classes = num_classes
        self.trunk = MobileFormer(cfg, with_classifier=False)
        info = self.trunk.feature_info()
        # the last block at each stride from 8 upward (stride 4 and below are not used)
        last_at: Dict[int, int] = {}
        for i, (_, s) in enumerate(info):
            last_at[s] = i
        strides = sorted(s for s in last_at if s >= self.stride)
        if not strides or strides[0] != self.stride:
            raise ValueError(f"{cfg.name}: no block output at stride {self.stride}")
        self.taps = [last_at[s] for s in strides]                   # shallow -> deep
        self.lateral = nn.ModuleList(
            nn.Sequential(*conv_bn(info[i][0], neck, 1), nn.ReLU(inplace=True)) for i in self.taps)
        self.smooth = nn.Sequential(*conv_bn(neck, neck, 3, groups=neck), *conv_bn(neck, neck, 1), nn.ReLU(inplace=True))
        self.tower = nn.Sequential(*conv_bn(neck, neck, 3, groups=neck), *conv_bn(neck, neck, 1), nn.ReLU(inplace=True))
        self.heatmap = nn.Conv2d(neck, num_classes, 1)
        self.wh = nn.Conv2d(neck, 2, 1)
        self.offset = nn.Conv2d(neck, 2, 1)
        nn.init.constant_(self.heatmap.bias, -math.log((1 - 0.01) / 0.01))   # prior 0.01: focal-loss init
        nn.init.normal_(self.wh.weight, 0, 0.01)
        nn.init.constant_(self.wh.bias, math.log(2.0))
        nn.init.normal_(self.offset.weight, 0, 0.01)
        nn.init.zeros_(self.offset.bias)

    def forward_raw(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        _, _, taps = self.trunk.forward_features(x, taps=self.taps)
        y = self.lateral[-1](taps[-1])
        for lat, t in zip(reversed(self.lateral[:-1]), reversed(taps[:-1])):
            h, w = int(t.shape[2]), int(t.shape[3])
            up = F.interpolate(y, scale_factor=2.0, mode="nearest")    # Resize with constant scales
            if int(up.shape[2]) != h or int(up.shape[3]) != w:            # odd sizes: crop, as ceil(h/2)*2 >= h
                up = up[:, :, :h, :w]
            y = lat(t) + up
        y = self.tower(self.smooth(y))
        return self.heatmap(y), self.wh(y), self.offset(y)

    def forward(self, x: torch.Tensor):
        hm, wh, off = self.forward_raw(x)
        return torch.sigmoid(hm), torch.exp(wh), torch.sigmoid(off)

    output_names = ("heatmap", "wh", "offset")


def _gaussian_radius(h: float, w: float, min_overlap: float = 0.7) -> float:
    # CornerNet/CenterNet radius: the largest shift of a box corner that keeps IoU >= min_overlap
    a1, b1, c1 = 1, h + w, w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2, c2 = 4, 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def centernet_targets(boxes: Sequence[torch.Tensor], classes: Sequence[torch.Tensor], num_classes: int,
                      out_h: int, out_w: int, stride: int):
    """Gaussian heatmaps, and per-object (cell index, log size, offset) targets, for a batch of images."""
    b = len(boxes)
    heat = torch.zeros(b, num_classes, out_h, out_w)
    idx, logwh, off, batch_of = [], [], [], []
    ys = torch.arange(out_h, dtype=torch.float32).view(-1, 1)
    xs = torch.arange(out_w, dtype=torch.float32).view(1, -1)
    for i, (bx, cl) in enumerate(zip(boxes, classes)):
        for box, c in zip(bx.tolist(), cl.tolist()):
            x0, y0, x1, y1 = [v / stride for v in box]
            w, h = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            ix, iy = min(int(cx), out_w - 1), min(int(cy), out_h - 1)
            r = max(0.0, _gaussian_radius(h, w))
            sigma = (2 * int(r) + 1) / 6
            g = torch.exp(-((xs - ix) ** 2 + (ys - iy) ** 2) / (2 * sigma * sigma))
            heat[i, c] = torch.maximum(heat[i, c], g)
            idx.append(iy * out_w + ix)
            logwh.append([math.log(w), math.log(h)])
            off.append([cx - ix, cy - iy])
            batch_of.append(i)
    return (heat, torch.tensor(batch_of, dtype=torch.long), torch.tensor(idx, dtype=torch.long),
            torch.tensor(logwh, dtype=torch.float32).view(-1, 2), torch.tensor(off, dtype=torch.float32).view(-1, 2))


def ignore_mask(ignore: Sequence[torch.Tensor], out_h: int, out_w: int, stride: int) -> torch.Tensor:
    """[B, 1, H, W]: 1 where a heatmap cell's centre lies inside one of that image's ignore regions (input pixels)."""
    mask = torch.zeros(len(ignore), 1, out_h, out_w)
    cy = (torch.arange(out_h, dtype=torch.float32) + 0.5) * stride
    cx = (torch.arange(out_w, dtype=torch.float32) + 0.5) * stride
    for i, regions in enumerate(ignore):
        for x0, y0, x1, y1 in regions.tolist():
            inside = ((cy >= y0) & (cy <= y1)).view(-1, 1) & ((cx >= x0) & (cx <= x1)).view(1, -1)
            mask[i, 0] = torch.maximum(mask[i, 0], inside.float())
    return mask


def centernet_loss(model_out, targets, size_weight: float = 1.0, offset_weight: float = 1.0, ignore=None):
    """Penalty-reduced focal loss on the heatmap (alpha 2, beta 4) + L1 on log-size and offset at object centres.

    `ignore` ([B, 1, H, W], from ignore_mask): cells in ignore regions are not pushed down (no negative loss);
    an object's own centre cell still counts as a positive.
    """
    hm_logit, wh_raw, off_raw = model_out
    heat, batch_of, idx, logwh, off = targets
    p = torch.sigmoid(hm_logit.float()).clamp(1e-4, 1 - 1e-4)
    pos = heat.eq(1).float()
    neg = 1 - pos
    if ignore is not None:
        neg = neg * (1 - ignore.to(neg.device))
    pos_loss = (torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = (torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg).sum()
    n = max(1.0, float(pos.sum()))
    focal = -(pos_loss + neg_loss) / n
    if idx.numel() == 0:
        zero = hm_logit.sum() * 0
        return focal + zero, {"focal": float(focal), "size": 0.0, "offset": 0.0}
    b, _, h, w = wh_raw.shape
    wh_raw, off_raw = wh_raw.float(), off_raw.float()
    wh_at = wh_raw.flatten(2)[batch_of, :, idx]                  # (n, 2)
    off_at = torch.sigmoid(off_raw.flatten(2)[batch_of, :, idx])
    size = F.l1_loss(wh_at, logwh, reduction="sum") / n
    offset = F.l1_loss(off_at, off, reduction="sum") / n
    total = focal + size_weight * size + offset_weight * offset
    return total, {"focal": float(focal), "size": float(size), "offset": float(offset)}


def centernet_decode(heatmap, wh, offset, stride: int, top_k: int = 100, threshold: float = 0.05):
    """Peaks of the (sigmoid) heatmap by 3x3 max-pool, top-k over classes x cells; boxes in input pixels.

    Returns one list per image of (class_id, score, x0, y0, x1, y1). The Java decoder implements the same rule.
    """
    b, k, h, w = heatmap.shape
    peaks = heatmap * (F.max_pool2d(heatmap, 3, 1, 1) == heatmap).float()
    scores, flat = peaks.reshape(b, -1).topk(min(top_k, k * h * w))
    out = []
    for i in range(b):
        dets = []
        for s, f in zip(scores[i].tolist(), flat[i].tolist()):
            if s < threshold:
                break
            c, cell = divmod(f, h * w)
            y, x = divmod(cell, w)
            cx = (x + float(offset[i, 0, y, x])) * stride
            cy = (y + float(offset[i, 1, y, x])) * stride
            bw, bh = float(wh[i, 0, y, x]) * stride, float(wh[i, 1, y, x]) * stride
            dets.append((c, s, cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2))
        out.append(dets)
    return out


# ======================================================================================================================
# The paper's end-to-end detector, DETR-style (spec section 6.2). RECONSTRUCTED: the detection code was never released
# (AAboys/MobileFormer#18); every decoder detail below is our reading of the paper's one-paragraph description and
# must be checked against Sec. 5 of the PDF. Marked [RECON] where it is a design choice of ours.
# ======================================================================================================================
class SpatialHyperFunction(nn.Module):
    """Spatially-aware DY-ReLU coefficients (spec section 2.3, [CODE] hyper_token_id = -1).

    theta_m = h_sigma(MLP(z_m)) for every token m, mixed per pixel by Pi = softmax over tokens of the head-mean
    Mobile->Former logits. With tens of object queries a single token cannot speak for every pixel.
    """

    def __init__(self, token_dim: int, channels: int, reduction: int = 4):
        super().__init__()
        self.channels = channels
        self.hyper = nn.Sequential(
            nn.Linear(token_dim, token_dim // reduction), nn.ReLU(inplace=True),
            nn.Linear(token_dim // reduction, 2 * channels), HardSigmoid())

    def forward(self, z: torch.Tensor, mix: torch.Tensor, h: int, w: int) -> torch.Tensor:
        theta = self.hyper(z).transpose(1, 2)                          # (B, 2E, M)
        return torch.matmul(theta, mix).reshape(-1, 2 * self.channels, h, w)   # (B, 2E, H, W)


class DecoderBlock(nn.Module):
    """A Mobile-Former block whose tokens are the object queries [RECON: the paper's decoder].

    Mobile->Former: queries cross-attend to the image features; Former: query self-attention + FFN; Mobile: a
    stride-1 inverted bottleneck with spatially-aware DY-ReLU; Former->Mobile: features refined by the queries.
    """

    def __init__(self, channels: int, hidden: int, token_dim: int, queries: int):
        super().__init__()
        self.queries = queries
        self.local_global = MobileToFormer(channels, token_dim, queries)
        self.global_block = Former(token_dim, queries)
        self.conv1 = conv_bn(channels, hidden, 1)
        self.hyper1 = SpatialHyperFunction(token_dim, hidden)
        self.conv2 = conv_bn(hidden, hidden, 3, groups=hidden)
        self.hyper2 = SpatialHyperFunction(token_dim, hidden)
        self.conv3 = conv_bn(hidden, channels, 1)
        self.global_local = FormerToMobile(channels, token_dim, queries)

    def forward(self, x, z):
        h, w = int(x.shape[2]), int(x.shape[3])
        z, logits = self.local_global(x, z)
        z = self.global_block(z)
        mix = logits.mean(dim=1).softmax(dim=1)                        # (B, M, HW): softmax over the tokens
        y = dynamic_relu(self.conv1(x), self.hyper1(z, mix, h, w))
        y = dynamic_relu(self.conv2(y), self.hyper2(z, mix, h, w))
        y = self.conv3(y) + x
        return self.global_local(y, z), z


class DetrDetector(nn.Module):
    """Mobile-Former trunk + Mobile-Former decoder over learned object queries + DETR class and box heads.

    [RECON] choices: the decoder runs on the last (stride-32) trunk map, with a learned ("adaptive") position
    embedding added to it, initialized from a 2D sine encoding; queries have the trunk's token width; aux heads after
    every decoder block during training.
    """

    format = "detr"

    def __init__(self, cfg: Variant, num_classes: int, input_hw: Tuple[int, int], queries: int = 30,
                 decoder_blocks: int = 4, expansion: int = 3):
        super().__init__()
        self.num_classes = num_classes
        self.trunk = MobileFormer(cfg, with_classifier=False)
        channels, stride = self.trunk.feature_info()[-1]
        fh, fw = math.ceil(input_hw[0] / stride), math.ceil(input_hw[1] / stride)
        self.pos = nn.Parameter(_sine_position(channels, fh, fw) * 0.1)
        self.query = nn.Embedding(queries, cfg.token_dim)
        self.decoder = nn.ModuleList(DecoderBlock(channels, channels * expansion, cfg.token_dim, queries)
                                     for _ in range(decoder_blocks))
        d = cfg.token_dim
        self.class_head = nn.Linear(d, num_classes + 1)
        self.box_head = nn.Sequential(nn.Linear(d, d), nn.ReLU(inplace=True), nn.Linear(d, d), nn.ReLU(inplace=True),
                                      nn.Linear(d, 4))
        for m in self.decoder.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward_all(self, x: torch.Tensor) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        feats, _, _ = self.trunk.forward_features(x)
        feats = feats + self.pos
        z = self.query.weight.unsqueeze(0)                             # (1, Q, d), broadcast over the batch
        outs = []
        for block in self.decoder:
            feats, z = block(feats, z)
            outs.append((self.class_head(z), torch.sigmoid(self.box_head(z))))
        return outs

    def forward(self, x: torch.Tensor):
        logits, boxes = self.forward_all(x)[-1]
        return logits, boxes

    output_names = ("logits", "boxes")


def _sine_position(channels: int, h: int, w: int) -> torch.Tensor:
    ys = (torch.arange(h, dtype=torch.float32) + 0.5) / h
    xs = (torch.arange(w, dtype=torch.float32) + 0.5) / w
    quarter = max(1, channels // 4)
    freq = 2.0 ** torch.arange(quarter, dtype=torch.float32)
    py = ys.view(1, h, 1) * freq.view(-1, 1, 1) * math.pi
    px = xs.view(1, 1, w) * freq.view(-1, 1, 1) * math.pi
    enc = torch.cat([torch.sin(py).expand(-1, h, w), torch.cos(py).expand(-1, h, w),
                     torch.sin(px).expand(-1, h, w), torch.cos(px).expand(-1, h, w)], dim=0)
    if enc.shape[0] < channels:
        enc = torch.cat([enc, torch.zeros(channels - enc.shape[0], h, w)], dim=0)
    return enc[:channels].unsqueeze(0)


def box_cxcywh_to_xyxy(b: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = b.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def generalized_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise GIoU of xyxy boxes a (n, 4) and b (m, 4)."""
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    iou = inter / union.clamp(min=1e-9)
    lt_c = torch.min(a[:, None, :2], b[None, :, :2])
    rb_c = torch.max(a[:, None, 2:], b[None, :, 2:])
    hull = (rb_c - lt_c).clamp(min=0).prod(-1)
    return iou - (hull - union) / hull.clamp(min=1e-9)


def hungarian_match(logits: torch.Tensor, boxes: torch.Tensor, gt_classes: torch.Tensor, gt_boxes: torch.Tensor,
                    w_class: float = 1.0, w_l1: float = 5.0, w_giou: float = 2.0):
    """DETR matching for one image: cost = -w_class p(class) + w_l1 L1 + w_giou (-GIoU); returns (query, gt) pairs."""
    from scipy.optimize import linear_sum_assignment
    if gt_classes.numel() == 0:
        return torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.long)
    with torch.no_grad():
        prob = logits.softmax(-1)[:, gt_classes]                       # (Q, n)
        l1 = torch.cdist(boxes, gt_boxes, p=1)
        giou = generalized_iou(box_cxcywh_to_xyxy(boxes), box_cxcywh_to_xyxy(gt_boxes))
        cost = -w_class * prob + w_l1 * l1 - w_giou * giou
        rows, cols = linear_sum_assignment(cost.cpu().numpy())
    return torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)


def detr_loss(outputs: List[Tuple[torch.Tensor, torch.Tensor]], gt_classes: Sequence[torch.Tensor],
              gt_boxes_cxcywh: Sequence[torch.Tensor], num_classes: int, eos_weight: float = 0.1):
    """Hungarian loss summed over the decoder blocks (auxiliary losses): CE (no-object weight 0.1) + 5 L1 + 2 GIoU."""
    weight = torch.ones(num_classes + 1)
    weight[-1] = eos_weight
    n_boxes = max(1.0, float(sum(len(c) for c in gt_classes)))
    total = 0.0
    parts = {"ce": 0.0, "l1": 0.0, "giou": 0.0}
    for logits, boxes in outputs:
        b, q, _ = logits.shape
        target = torch.full((b, q), num_classes, dtype=torch.long)
        l1 = logits.new_zeros(())
        giou = logits.new_zeros(())
        for i in range(b):
            rows, cols = hungarian_match(logits[i], boxes[i], gt_classes[i], gt_boxes_cxcywh[i])
            if rows.numel():
                target[i, rows] = gt_classes[i][cols]
                pb, gb = boxes[i, rows], gt_boxes_cxcywh[i][cols]
                l1 = l1 + F.l1_loss(pb, gb, reduction="sum")
                giou = giou + (1 - torch.diag(generalized_iou(box_cxcywh_to_xyxy(pb), box_cxcywh_to_xyxy(gb)))).sum()
        ce = F.cross_entropy(logits.reshape(-1, num_classes + 1), target.reshape(-1), weight)
        total = total + ce + 5.0 * l1 / n_boxes + 2.0 * giou / n_boxes
        parts["ce"] += float(ce)
        parts["l1"] += float(l1) / n_boxes
        parts["giou"] += float(giou) / n_boxes
    return total, parts


def detr_decode(logits, boxes, width: int, height: int, threshold: float = 0.05):
    """Per query: softmax over classes, score = max over real classes; cxcywh -> xyxy in input pixels; no NMS."""
    prob = logits.softmax(-1)[..., :-1]
    scores, classes = prob.max(-1)
    xyxy = box_cxcywh_to_xyxy(boxes) * torch.tensor([width, height, width, height], dtype=boxes.dtype)
    out = []
    for i in range(logits.shape[0]):
        dets = [(int(c), float(s), *map(float, bb)) for s, c, bb in zip(scores[i], classes[i], xyxy[i])
                if float(s) >= threshold]
        dets.sort(key=lambda d: -d[1])
        out.append(dets)
    return out


def build_detector(head: str, cfg: Variant, num_classes: int, input_hw: Tuple[int, int], **kw) -> nn.Module:
    if head == "centernet":
        return CenterNetDetector(cfg, num_classes, **kw)
    if head == "detr":
        return DetrDetector(cfg, num_classes, input_hw, **kw)
    raise ValueError(f"unknown head {head!r}: use 'centernet' or 'detr'")
