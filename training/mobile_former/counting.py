"""Parameter and multiply-add counts of a network, per image.

MAdds counted: every Conv2d and Linear, the attention MatMuls of both bridges and the Former, and the two products
per element of every DY-ReLU (a1*x and a2*x). The paper's reported MAdds also include some other element-wise work,
so this count sits 1-3% below them (spec section 4, pitfall 13).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .blocks import Former, FormerToMobile, MobileFormerBlock, MobileFormerDownBlock, MobileToFormer


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_madds(model: nn.Module, height: int, width: int) -> int:
    total = [0]
    hooks = []

    def per_image(t: torch.Tensor) -> int:
        return t.numel() // t.shape[0]

    def on_conv(m: nn.Conv2d, inp, out):
        total[0] += per_image(out) * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def on_linear(m: nn.Linear, inp, out):
        total[0] += per_image(out) * m.in_features

    def on_m2f(m: MobileToFormer, inp, out):
        x = inp[0]
        total[0] += 2 * m.token_num * per_image(x)                  # Q.X and P.X^T

    def on_former(m: Former, inp, out):
        total[0] += 2 * m.token_num * m.token_num * m.token_dim     # Q.K^T and A.V

    def on_f2m(m: FormerToMobile, inp, out):
        total[0] += 2 * m.token_num * per_image(inp[0])             # Q.K and P.V

    def on_dyrelu_input(m, inp, out):
        total[0] += 2 * per_image(out)

    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(on_conv))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(on_linear))
        elif isinstance(mod, MobileToFormer):
            hooks.append(mod.register_forward_hook(on_m2f))
        elif isinstance(mod, Former):
            hooks.append(mod.register_forward_hook(on_former))
        elif isinstance(mod, FormerToMobile):
            hooks.append(mod.register_forward_hook(on_f2m))
        if isinstance(mod, MobileFormerBlock):
            hooks += [mod.conv1.register_forward_hook(on_dyrelu_input), mod.conv2.register_forward_hook(on_dyrelu_input)]
        elif isinstance(mod, MobileFormerDownBlock):
            hooks += [mod.conv1.register_forward_hook(on_dyrelu_input), mod.conv3.register_forward_hook(on_dyrelu_input)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, height, width))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return total[0]
