"""The blocks compute the spec's math: each checked against a naive loop written from spec sections 1-2."""
import math

import torch
import torch.nn.functional as F

from mobile_former.blocks import (ChannelShuffle, Former, FormerToMobile, MobileToFormer, dynamic_relu)


def _randomize(mod, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return mod


def _ln(v, ln):
    return F.layer_norm(v, v.shape[-1:], ln.weight, ln.bias, 1e-5)


def test_mobile_to_former_matches_the_spec_loop():
    b, c, h, w, m, d = 2, 8, 3, 5, 3, 16
    mod = _randomize(MobileToFormer(c, d, m))
    x, z = torch.randn(b, c, h, w), torch.randn(b, m, d)
    got, logits = mod(x, z)
    hb, cc = 2, c // 2
    for n in range(b):
        xs = x[n].reshape(c, h * w)
        q = z[n] @ mod.q.weight.T + mod.q.bias                       # (M, C)
        o = torch.zeros(m, c)
        for head in range(hb):
            xh = xs[head * cc:(head + 1) * cc]                        # contiguous channel chunk (c, HW)
            s = q[:, head * cc:(head + 1) * cc] @ xh / math.sqrt(cc)   # (M, HW)
            assert torch.allclose(s, logits[n, head], atol=1e-5)
            o[:, head * cc:(head + 1) * cc] = s.softmax(-1) @ xh.T     # softmax over pixels
        gate = 2 * torch.clamp(z[n] @ mod.alpha[0].weight.T + mod.alpha[0].bias + 3, 0, 6) / 6
        want = _ln(z[n] + (o * gate) @ mod.proj.weight.T + mod.proj.bias, mod.layer_norm)
        assert torch.allclose(got[n], want, atol=1e-5)


def test_mobile_to_former_broadcasts_the_learned_tokens_over_the_batch():
    mod = _randomize(MobileToFormer(8, 16, 3))
    x, z = torch.randn(4, 8, 2, 2), torch.randn(1, 3, 16)
    got, _ = mod(x, z)
    want, _ = mod(x, z.expand(4, 3, 16))
    assert got.shape == (4, 3, 16) and torch.allclose(got, want, atol=1e-6)


def test_former_has_no_key_value_projection_and_matches_the_loop():
    m, d = 6, 16
    mod = _randomize(Former(d, m))
    assert {n for n, _ in mod.named_children()} == {"q", "channel_mlp", "layer_norm", "ffn", "ffn_norm"}
    z = torch.randn(2, m, d)
    got = mod(z)
    hd = d // 4
    for n in range(2):
        q = z[n] @ mod.q.weight.T + mod.q.bias
        o = torch.zeros(m, d)
        for head in range(4):
            sl = slice(head * hd, (head + 1) * hd)
            a = (q[:, sl] @ z[n][:, sl].T / math.sqrt(hd)).softmax(-1)   # K = V = raw tokens
            o[:, sl] = a @ z[n][:, sl]
        z1 = _ln(z[n] + o @ mod.channel_mlp.weight.T + mod.channel_mlp.bias, mod.layer_norm)
        ffn = F.gelu(z1 @ mod.ffn[0].weight.T + mod.ffn[0].bias) @ mod.ffn[2].weight.T + mod.ffn[2].bias
        assert torch.allclose(got[n], _ln(z1 + ffn, mod.ffn_norm), atol=1e-5)


def test_former_to_mobile_matches_the_loop():
    b, c, h, w, m, d = 2, 8, 3, 4, 3, 16
    mod = _randomize(FormerToMobile(c, d, m))
    y, z = torch.randn(b, c, h, w), torch.randn(b, m, d)
    got = mod(y, z)
    cc = c // 2
    for n in range(b):
        k = z[n] @ mod.k.weight.T + mod.k.bias
        v = z[n] @ mod.proj.weight.T + mod.proj.bias
        out = y[n].reshape(c, h * w).clone()
        for head in range(2):
            sl = slice(head * cc, (head + 1) * cc)
            q = y[n].reshape(c, h * w)[sl].T                           # raw pixels as queries (HW, c)
            p = (q @ k[:, sl].T / math.sqrt(cc)).softmax(-1)           # softmax over tokens
            out[sl] += (p @ v[:, sl]).T
        assert torch.allclose(got[n].reshape(c, h * w), out, atol=1e-5)


def test_dynamic_relu_slopes_and_layout():
    x = torch.tensor([[[[2.0]], [[-3.0]]]])                            # (1, E=2, 1, 1)
    theta = torch.tensor([[1.0, 0.25, 0.0, 0.75]])                     # [a1 of both channels, then a2 of both]
    y = dynamic_relu(x, theta)
    # channel 0: a1 = 2, a2 = -1 -> max(4, -2) = 4 ; channel 1: a1 = 0.5, a2 = 0.5 -> max(-1.5, -1.5)
    assert torch.allclose(y.flatten(), torch.tensor([4.0, -1.5]))
    # theta = 0.5 everywhere is exactly ReLU (a1 = 1, a2 = 0): the initial state of every DY-ReLU
    z = torch.randn(2, 3, 4, 4)
    assert torch.allclose(dynamic_relu(z, torch.full((2, 6), 0.5)), F.relu(z))


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(8.0).view(1, 8, 1, 1)
    y = ChannelShuffle(8, 4)(x).flatten().tolist()
    assert y == [0, 2, 4, 6, 1, 3, 5, 7]
