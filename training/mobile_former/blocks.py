"""Mobile-Former blocks: the two light-weight bridges, the Former, DY-ReLU and the Mobile sub-blocks.

Tensor conventions (spec section 0):
  X: local feature map (B, C, H, W), NCHW.
  Z: global tokens (B, M, d). The official release keeps (M, B, d); the math is identical. The learned tokens enter
     the trunk as (1, M, d) and become (B, M, d) through broadcasting in the first Mobile->Former bridge, so the
     exported graph needs no Shape/Expand bookkeeping to tile them over a dynamic batch.

Submodule names follow the official checkpoint (spec section 5) so published weights load with strict=True.
Every reshape uses -1 for the (dynamic) batch and Python ints for every other size; with a fixed input size
this keeps the ONNX graph free of Shape/Gather/Concat chains (DESIGN.md section 9).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

BRIDGE_HEADS = 2   # h_b: heads of both bridges [CODE]
FORMER_HEADS = 4   # h_f: the Former's default head count [CODE]


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """h_sigma(x) = ReLU6(x + 3) / 6; exports as ONNX HardSigmoid(alpha=1/6, beta=0.5)."""
    return F.hardsigmoid(x)


class HardSigmoid(nn.Module):
    def forward(self, x):
        return hard_sigmoid(x)


class HardSwish(nn.Module):
    def forward(self, x):
        return F.hardswish(x)


class ChannelShuffle(nn.Module):
    """ShuffleNet channel shuffle: (B, g, C/g, H, W) -> transpose(1, 2) -> (B, C, H, W). Only the 26M variant uses it."""

    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.channels = channels
        self.groups = groups

    def forward(self, x):
        h, w = int(x.shape[2]), int(x.shape[3])
        x = x.reshape(-1, self.groups, self.channels // self.groups, h, w)
        return x.transpose(1, 2).reshape(-1, self.channels, h, w)


def conv_bn(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Bias-free convolution followed by BatchNorm (every conv of the trunk; BN folds into it at export)."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    )


# ----------------------------------------------------------------------------------------------------------------------
# Dynamic ReLU whose coefficients come from the tokens (spec section 2.2, 2.3)
# ----------------------------------------------------------------------------------------------------------------------
class HyperFunction(nn.Module):
    """theta = h_sigma(Linear(ReLU(Linear(z)))): d -> d/4 -> 2E, the coefficient generator of one DY-ReLU site."""

    def __init__(self, token_dim: int, channels: int, reduction: int = 4):
        super().__init__()
        self.channels = channels
        self.hyper = nn.Sequential(
            nn.Linear(token_dim, token_dim // reduction),
            nn.ReLU(inplace=True),
            nn.Linear(token_dim // reduction, 2 * channels),
            HardSigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # Z2[:, 0] only: the first token after the Former replaces DY-ReLU's average-pooled input [PAPER*].
        return self.hyper(z[:, 0])                                   # (B, 2E)


def dynamic_relu(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """y = max(a1 * x, a2 * x), a1 = 2 theta[:E] in [0, 2], a2 = 2 theta[E:] - 1 in [-1, 1], no intercepts, no cap.

    theta is (B, 2E) (channel-wise, spatially shared) or (B, 2E, H, W) (spatially-aware form, section 2.3).
    The layout is [all a1, then all a2], not interleaved per channel (pitfall 7).
    """
    e = x.shape[1]
    if theta.dim() == 2:
        theta = theta.reshape(-1, 2 * int(e), 1, 1)
    t1, t2 = torch.split(theta, int(e), dim=1)
    return torch.max(x * (t1 * 2.0), x * (t2 * 2.0 - 1.0))


# ----------------------------------------------------------------------------------------------------------------------
# The bridges and the Former (spec sections 1.1, 1.2, 1.4)
# ----------------------------------------------------------------------------------------------------------------------
class MobileToFormer(nn.Module):
    """Light-weight cross attention, tokens as queries; pixels are keys and values with no projection.

    Also the head's final bridge. Official name: Local2Global. Returns the new tokens and the attention logits S
    (B, h_b, M, HW), which the spatially-aware DY-ReLU (section 2.3) reads.
    """

    def __init__(self, channels: int, token_dim: int, token_num: int):
        super().__init__()
        self.channels, self.token_num, self.token_dim = channels, token_num, token_dim
        self.head_dim = channels // BRIDGE_HEADS
        self.scale = self.head_dim ** -0.5            # C_in per head, not d (pitfall 4)
        self.q = nn.Linear(token_dim, channels)
        # the channel gate G = 2 h_sigma(W_alpha z): only in the official code, required by the parameter counts
        self.alpha = nn.Sequential(nn.Linear(token_dim, channels), HardSigmoid())
        self.proj = nn.Linear(channels, token_dim)
        self.layer_norm = nn.LayerNorm(token_dim)

    def forward(self, x: torch.Tensor, z: torch.Tensor):
        h, w = int(x.shape[2]), int(x.shape[3])
        m, c = self.token_num, self.head_dim
        xh = x.reshape(-1, BRIDGE_HEADS, c, h * w)                                    # (B, h, c, HW)
        q = (self.q(z) * self.scale).reshape(-1, m, BRIDGE_HEADS, c).transpose(1, 2)  # (B, h, M, c)
        logits = torch.matmul(q, xh)                                                  # (B, h, M, HW)
        attn = logits.softmax(dim=-1)                                                 # over pixels (pitfall 5)
        out = torch.matmul(attn, xh.transpose(2, 3))                                  # (B, h, M, c)
        out = out.transpose(1, 2).reshape(-1, m, self.channels)                       # (B, M, C)
        out = out * (self.alpha(z) * 2.0)                                             # gate from the input tokens
        z = self.layer_norm(z + self.proj(out))                                       # post-LN
        return z, logits


class Former(nn.Module):
    """Token self-attention + FFN (expansion 2), post-LN. K = V = the tokens themselves (no W_K, W_V: pitfall 1).

    Official name: GlobalBlock.
    """

    def __init__(self, token_dim: int, token_num: int, heads: int = FORMER_HEADS):
        super().__init__()
        self.token_dim, self.token_num, self.heads = token_dim, token_num, heads
        self.head_dim = token_dim // heads
        self.scale = self.head_dim ** -0.5
        self.q = nn.Linear(token_dim, token_dim)
        self.channel_mlp = nn.Linear(token_dim, token_dim)   # the output projection W_o
        self.layer_norm = nn.LayerNorm(token_dim)
        self.ffn = nn.Sequential(
            nn.Linear(token_dim, 2 * token_dim),
            nn.GELU(),                                        # exact (erf) form
            nn.Linear(2 * token_dim, token_dim),
        )
        self.ffn_norm = nn.LayerNorm(token_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        m, hd = self.token_num, self.head_dim
        q = (self.q(z) * self.scale).reshape(-1, m, self.heads, hd).transpose(1, 2)   # (B, h_f, M, d/h_f)
        kv = z.reshape(-1, m, self.heads, hd).transpose(1, 2)                         # (B, h_f, M, d/h_f)
        attn = torch.matmul(q, kv.transpose(2, 3)).softmax(dim=-1)                    # (B, h_f, M, M)
        out = torch.matmul(attn, kv).transpose(1, 2).reshape(-1, m, self.token_dim)   # (B, M, d)
        z = self.layer_norm(z + self.channel_mlp(out))
        return self.ffn_norm(z + self.ffn(z))


class FormerToMobile(nn.Module):
    """Light-weight cross attention, pixels as queries (raw, no W_Q), tokens projected to keys and values.

    No output projection, no norm (pitfall 3). Official name: Global2Local; `k` is W_k and `proj` is W_v.
    """

    def __init__(self, channels: int, token_dim: int, token_num: int):
        super().__init__()
        self.channels, self.token_num = channels, token_num
        self.head_dim = channels // BRIDGE_HEADS
        self.scale = self.head_dim ** -0.5            # C_out per head; the queries are raw pixels, so scale the keys
        self.k = nn.Linear(token_dim, channels)
        self.proj = nn.Linear(token_dim, channels)

    def forward(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        h, w = int(y.shape[2]), int(y.shape[3])
        m, c = self.token_num, self.head_dim
        q = y.reshape(-1, BRIDGE_HEADS, c, h * w).transpose(2, 3)                       # (B, h, HW, c)
        k = (self.k(z) * self.scale).reshape(-1, m, BRIDGE_HEADS, c).permute(0, 2, 3, 1)  # (B, h, c, M)
        v = self.proj(z).reshape(-1, m, BRIDGE_HEADS, c).transpose(1, 2)                # (B, h, M, c)
        attn = torch.matmul(q, k).softmax(dim=-1)                                       # over tokens (pitfall 5)
        out = torch.matmul(attn, v).transpose(2, 3).reshape(-1, self.channels, h, w)    # (B, C, H, W)
        return y + out


# ----------------------------------------------------------------------------------------------------------------------
# Blocks (spec sections 1, 1.3, 3)
# ----------------------------------------------------------------------------------------------------------------------
class BneckLite(nn.Module):
    """Stage-1 block: dw 3x3 with depth multiplier (expand), ReLU6, pw (compress). Tokens pass through unchanged."""

    def __init__(self, cin: int, cout: int, hidden: int, stride: int, groups: int = 1):
        super().__init__()
        self.has_skip = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 3, stride, 1, groups=cin, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            ChannelShuffle(hidden, cin) if groups > 1 else nn.Identity(),   # index 3: the shuffle slot
            nn.Conv2d(hidden, cout, 1, 1, 0, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x, z):
        y = self.conv(x)
        return (y + x if self.has_skip else y), z


class _Bridged(nn.Module):
    """The token path shared by both Mobile-Former block types: Mobile->Former, Former, and Former->Mobile."""

    def _init_bridges(self, cin, cout, token_dim, token_num):
        self.local_global = MobileToFormer(cin, token_dim, token_num)
        self.global_block = Former(token_dim, token_num)
        self.global_local = FormerToMobile(cout, token_dim, token_num)


class MobileFormerBlock(_Bridged):
    """Stride-1 Mobile-Former block: inverted bottleneck (pw -> dw -> pw) with DY-ReLU, bridged to the tokens.

    Order [CODE] (pitfall 8): tokens update first from the block input, the Mobile sub-block then runs on the input
    with DY-ReLU driven by the updated tokens, the identity skip is added, and Former->Mobile comes last.
    """

    def __init__(self, cin, cout, hidden, token_dim, token_num, groups=1):
        super().__init__()
        self.has_skip = cin == cout   # no projection shortcut: 128->176 style blocks have no skip
        self._init_bridges(cin, cout, token_dim, token_num)
        shuffle = (lambda ch: ChannelShuffle(ch, groups)) if groups > 1 else (lambda ch: nn.Identity())
        self.conv1 = nn.Sequential(*conv_bn(cin, hidden, 1, groups=groups), shuffle(hidden))  # pw expand
        self.hyper1 = HyperFunction(token_dim, hidden)
        self.conv2 = conv_bn(hidden, hidden, 3, groups=hidden)                                 # dw 3x3
        self.hyper2 = HyperFunction(token_dim, hidden)
        self.conv3 = nn.Sequential(*conv_bn(hidden, cout, 1, groups=groups), shuffle(cout))    # pw linear

    def forward(self, x, z):
        z, _ = self.local_global(x, z)
        z = self.global_block(z)
        y = dynamic_relu(self.conv1(x), self.hyper1(z))
        y = dynamic_relu(self.conv2(y), self.hyper2(z))
        y = self.conv3(y)
        if self.has_skip:
            y = y + x
        return self.global_local(y, z), z


class MobileFormerDownBlock(_Bridged):
    """Mobile-Former-down (stride 2): dw s2 -> pw (linear, R) -> dw -> pw, + R; no block skip (pitfall 9).

    Mobile->Former and the Former see the pre-downsampling map; Former->Mobile runs at the output resolution.
    """

    def __init__(self, cin, cout, hidden1, hidden2, token_dim, token_num, groups=1):
        super().__init__()
        self._init_bridges(cin, cout, token_dim, token_num)
        self.conv1 = nn.Sequential(*conv_bn(cin, hidden1, 3, stride=2, groups=cin),
                                   ChannelShuffle(hidden1, cin) if groups > 1 else nn.Identity())
        self.hyper1 = HyperFunction(token_dim, hidden1)
        self.conv2 = conv_bn(hidden1, cout, 1, groups=groups)
        self.conv3 = nn.Sequential(*conv_bn(cout, hidden2, 3, groups=cout),
                                   ChannelShuffle(hidden2, cout) if groups > 1 else nn.Identity())
        self.hyper3 = HyperFunction(token_dim, hidden2)
        self.conv4 = conv_bn(hidden2, cout, 1, groups=groups)

    def forward(self, x, z):
        z, _ = self.local_global(x, z)
        z = self.global_block(z)
        r = self.conv2(dynamic_relu(self.conv1(x), self.hyper1(z)))   # linear pw: no activation
        y = self.conv4(dynamic_relu(self.conv3(r), self.hyper3(z)))
        return self.global_local(y + r, z), z


class ClassifierHead(nn.Module):
    """conv 1x1 (C -> 6C) + ReLU6, global pool + h-swish, concat token 0, Linear + BN1d + h-swish, Linear."""

    def __init__(self, cin, features, token_dim, num_classes=1000, groups=1, drop_rate=0.0):
        super().__init__()
        hidden = 6 * cin
        self.conv = nn.Sequential(
            ChannelShuffle(cin, groups) if groups > 1 else nn.Identity(),   # index 0: the shuffle slot
            nn.Conv2d(cin, hidden, 1, 1, 0, groups=groups, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
        )
        self.fc = nn.Sequential(nn.Linear(hidden + token_dim, features), nn.BatchNorm1d(features), HardSwish())
        self.classifier = nn.Sequential(nn.Dropout(drop_rate), nn.Linear(features, num_classes))

    def forward(self, x, z):
        x = F.hardswish(self.conv(x).mean(dim=(2, 3)))        # h-swish on the pooled vector, not on the token
        return self.classifier(self.fc(torch.cat([x, z[:, 0]], dim=1)))
