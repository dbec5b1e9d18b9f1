"""Mobile-Former trunk and ImageNet classifier, all seven variants of the paper as one table.

Paper: Mobile-Former: Bridging MobileNet and Transformer (Chen, Dai et al., CVPR 2022), https://arxiv.org/abs/2108.05895
Block layouts, widths and the two expansion sizes of every Mobile-Former-down block are those of the official release
(spec section 4); the paper's tables list only the first expansion (pitfall 14).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn

from .blocks import (BneckLite, ClassifierHead, MobileFormerBlock, MobileFormerDownBlock, MobileToFormer)


@dataclass(frozen=True)
class Block:
    """One row of a variant table. kind: 'lite' (bneck-lite), 'mf' (stride 1) or 'down' (Mobile-Former-down)."""
    kind: str
    cin: int
    cout: int
    hidden1: int
    hidden2: int = 0
    stride: int = 1


@dataclass(frozen=True)
class Variant:
    name: str
    stem: int
    tokens: int
    token_dim: int
    head_features: int
    blocks: Tuple[Block, ...]
    groups: int = 1          # 26M: every 1x1 conv is grouped (g = 4) with channel shuffles
    reported_params_m: float = 0.0
    reported_madds_m: float = 0.0
    top1: float = 0.0


def _lite(cin, cout, hidden, s=1):
    return Block("lite", cin, cout, hidden, 0, s)


def _mf(cin, cout, hidden):
    return Block("mf", cin, cout, hidden)


def _down(cin, cout, h1, h2):
    return Block("down", cin, cout, h1, h2, 2)


# 508M and 294M share one layout: the blocks at 112, 56, 28, 14 and 7 (224 input) sit at the same positions.
def _six_token_layout(w: Sequence[int], e: Sequence[Tuple[int, ...]]) -> Tuple[Block, ...]:
    s, c1, c2, c3, c4, c5, c6 = w
    return (
        _lite(s, s, e[0][0]),                       # 112
        _down(s, c1, *e[1]), _mf(c1, c1, *e[2]),    # 112 -> 56
        _down(c1, c2, *e[3]), _mf(c2, c2, *e[4]),   # 56 -> 28
        _down(c2, c3, *e[5]), _mf(c3, c3, *e[6]),   # 28 -> 14
        _mf(c3, c4, *e[7]), _mf(c4, c4, *e[8]),
        _down(c4, c5, *e[9]),                       # 14 -> 7
        _mf(c5, c6, *e[10]), _mf(c6, c6, *e[11]),
    )


_SMALL = (                                          # 52M and 26M (stem 8, 3 x 128)
    _lite(8, 12, 24, s=2),                          # 112 -> 56, depth multiplier 3, no skip
    _mf(12, 12, 36),
    _down(12, 24, 72, 96), _mf(24, 24, 72),         # 56 -> 28
    _down(24, 48, 144, 192), _mf(48, 48, 192),      # 28 -> 14
    _mf(48, 64, 288),
    _down(64, 96, 384, 384), _mf(96, 96, 576),      # 14 -> 7
)

VARIANTS: Dict[str, Variant] = {v.name: v for v in (
    Variant("mobile-former-508m", 24, 6, 192, 1920, _six_token_layout(
        (24, 40, 72, 128, 176, 240, 240),
        ((48,), (144, 160), (120,), (240, 288), (216,), (432, 512), (512,), (768,), (1056,), (1056, 960),
         (1440,), (1440,))), reported_params_m=14.0, reported_madds_m=508, top1=79.3),
    Variant("mobile-former-294m", 16, 6, 192, 1920, _six_token_layout(
        (16, 24, 48, 96, 128, 192, 192),
        ((32,), (96, 96), (96,), (144, 192), (192,), (288, 384), (384,), (576,), (768,), (768, 768),
         (1152,), (1152,))), reported_params_m=11.4, reported_madds_m=294, top1=77.9),
    Variant("mobile-former-214m", 12, 6, 192, 1600, _six_token_layout(
        (12, 20, 40, 80, 112, 160, 160),
        ((24,), (72, 80), (60,), (120, 160), (160,), (240, 320), (320,), (480,), (672,), (672, 640),
         (960,), (960,))), reported_params_m=9.4, reported_madds_m=214, top1=76.7),
    Variant("mobile-former-151m", 12, 6, 192, 1280, _six_token_layout(
        (12, 16, 32, 64, 88, 128, 128),
        ((24,), (72, 64), (48,), (96, 128), (96,), (192, 256), (256,), (384,), (528,), (528, 512),
         (768,), (768,))), reported_params_m=7.6, reported_madds_m=151, top1=75.2),
    Variant("mobile-former-96m", 12, 4, 128, 1280, (
        _lite(12, 12, 24),                           # 112
        _down(12, 16, 72, 64),                       # 112 -> 56
        _down(16, 32, 96, 128), _mf(32, 32, 96),     # 56 -> 28
        _down(32, 64, 192, 256), _mf(64, 64, 256),   # 28 -> 14
        _mf(64, 88, 384),
        _down(88, 128, 528, 512), _mf(128, 128, 768),  # 14 -> 7
    ), reported_params_m=4.6, reported_madds_m=96, top1=72.8),
    Variant("mobile-former-52m", 8, 3, 128, 1024, _SMALL,
            reported_params_m=3.5, reported_madds_m=52, top1=68.7),
    Variant("mobile-former-26m", 8, 3, 128, 1024, _SMALL, groups=4,
            reported_params_m=3.2, reported_madds_m=26, top1=64.0),
)}


def variant(name: str) -> Variant:
    key = name if name.startswith("mobile-former-") else f"mobile-former-{name.lower()}"
    if key not in VARIANTS:
        raise KeyError(f"unknown Mobile-Former variant {name!r}; known: {', '.join(VARIANTS)}")
    return VARIANTS[key]


def tiny_variant(name: str = "mobile-former-tiny", stem: int = 8, widths=(12, 16, 24), tokens: int = 3,
                 token_dim: int = 32) -> Variant:
    """A shrunken Mobile-Former with every block type (lite, down, mf, channel-changing mf), for small test models.

    Not a paper variant; the `tiny` models in models/ are built from it so the Java engine and the pipeline tests
    exercise the real operator set in a file of a few hundred kB.
    """
    a, b, c = widths
    return Variant(name, stem, tokens, token_dim, 64, (
        _lite(stem, a, 2 * stem, s=2),
        _mf(a, a, 2 * a),
        _down(a, b, 3 * a, 2 * b),
        _mf(b, c, 2 * b),
        _down(c, c, 2 * c, 2 * c),
    ))


class MobileFormer(nn.Module):
    """The trunk (stem + blocks) with an optional ImageNet classifier head (final bridge + MergeClassifier)."""

    def __init__(self, cfg: Variant, num_classes: int = 1000, with_classifier: bool = True, drop_rate: float = 0.0):
        super().__init__()
        self.cfg = cfg
        self.tokens = nn.Embedding(cfg.tokens, cfg.token_dim)      # learned global tokens, N(0, 1) init
        self.stem = nn.Sequential(
            nn.Conv2d(3, cfg.stem, 3, 2, 1, bias=False),
            nn.BatchNorm2d(cfg.stem),
            nn.ReLU6(inplace=True),
        )
        blocks: List[nn.Module] = []
        for b in cfg.blocks:
            if b.kind == "lite":
                blocks.append(BneckLite(b.cin, b.cout, b.hidden1, b.stride, cfg.groups))
            elif b.kind == "mf":
                blocks.append(MobileFormerBlock(b.cin, b.cout, b.hidden1, cfg.token_dim, cfg.tokens, cfg.groups))
            elif b.kind == "down":
                blocks.append(MobileFormerDownBlock(b.cin, b.cout, b.hidden1, b.hidden2, cfg.token_dim,
                                                    cfg.tokens, cfg.groups))
            else:
                raise ValueError(f"unknown block kind {b.kind!r}")
        self.features = nn.ModuleList(blocks)
        self.with_classifier = with_classifier
        if with_classifier:
            last = cfg.blocks[-1].cout
            self.local_global = MobileToFormer(last, cfg.token_dim, cfg.tokens)
            self.classifier = ClassifierHead(last, cfg.head_features, cfg.token_dim, num_classes, cfg.groups,
                                             drop_rate)
        self._init_weights()

    # reductions of each block's output relative to the input (the stem halves), for detection necks
    def feature_info(self) -> List[Tuple[int, int]]:
        """(channels, stride) after every block."""
        stride, info = 2, []
        for b in self.cfg.blocks:
            stride *= b.stride
            info.append((b.cout, stride))
        return info

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, (2.0 / n) ** 0.5)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                # small linears: DY-ReLU starts as ~ReLU (theta ~ 0.5) and the gate G ~ 1
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def initial_tokens(self) -> torch.Tensor:
        return self.tokens.weight.unsqueeze(0)                          # (1, M, d): broadcast over the batch

    def forward_features(self, x: torch.Tensor, taps: Sequence[int] = ()):
        """Runs stem + blocks; returns the last map, the tokens and the outputs of the blocks listed in `taps`."""
        z = self.initial_tokens()
        x = self.stem(x)
        tapped = []
        for i, block in enumerate(self.features):
            x, z = block(x, z)
            if i in taps:
                tapped.append(x)
        return x, z, tapped

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, z, _ = self.forward_features(x)
        if not self.with_classifier:
            return x
        z, _ = self.local_global(x, z)
        return self.classifier(x, z)


def build_classifier(name: str, num_classes: int = 1000) -> MobileFormer:
    return MobileFormer(variant(name), num_classes=num_classes, with_classifier=True)


def build_trunk(name_or_cfg) -> MobileFormer:
    cfg = name_or_cfg if isinstance(name_or_cfg, Variant) else variant(name_or_cfg)
    return MobileFormer(cfg, with_classifier=False)
