"""A state_dict laid out like the official release (spec section 5) loads strictly into our classifier.

The expected keys and shapes are generated here from the variant table and the official naming rules, independently
of the module tree, so a renamed submodule or a wrong shape fails the strict load.
"""
import pytest
import torch

from mobile_former import VARIANTS, build_classifier


def _bn(prefix, c):
    return {f"{prefix}.weight": (c,), f"{prefix}.bias": (c,), f"{prefix}.running_mean": (c,),
            f"{prefix}.running_var": (c,), f"{prefix}.num_batches_tracked": ()}


def _linear(prefix, cin, cout):
    return {f"{prefix}.weight": (cout, cin), f"{prefix}.bias": (cout,)}


def _ln(prefix, d):
    return {f"{prefix}.weight": (d,), f"{prefix}.bias": (d,)}


def _local_global(prefix, c, d):
    return {**_linear(f"{prefix}.q", d, c), **_linear(f"{prefix}.alpha.0", d, c), **_linear(f"{prefix}.proj", c, d),
            **_ln(f"{prefix}.layer_norm", d)}


def _hyper(prefix, d, e):
    return {**_linear(f"{prefix}.hyper.0", d, d // 4), **_linear(f"{prefix}.hyper.2", d // 4, 2 * e)}


def official_layout(cfg):
    d, m, g = cfg.token_dim, cfg.tokens, cfg.groups
    keys = {"tokens.weight": (m, d), "stem.0.weight": (cfg.stem, 3, 3, 3), **_bn("stem.1", cfg.stem)}
    for i, b in enumerate(cfg.blocks):
        p = f"features.{i}"
        if b.kind == "lite":
            keys.update({f"{p}.conv.0.weight": (b.hidden1, 1, 3, 3), **_bn(f"{p}.conv.1", b.hidden1),
                         f"{p}.conv.4.weight": (b.cout, b.hidden1 // g, 1, 1), **_bn(f"{p}.conv.5", b.cout)})
            continue
        keys.update(_local_global(f"{p}.local_global", b.cin, d))
        gb = f"{p}.global_block"
        keys.update({**_linear(f"{gb}.q", d, d), **_linear(f"{gb}.channel_mlp", d, d), **_ln(f"{gb}.layer_norm", d),
                     **_linear(f"{gb}.ffn.0", d, 2 * d), **_linear(f"{gb}.ffn.2", 2 * d, d),
                     **_ln(f"{gb}.ffn_norm", d)})
        keys.update({**_linear(f"{p}.global_local.k", d, b.cout), **_linear(f"{p}.global_local.proj", d, b.cout)})
        if b.kind == "mf":
            e = b.hidden1
            keys.update({f"{p}.conv1.0.weight": (e, b.cin // g, 1, 1), **_bn(f"{p}.conv1.1", e),
                         f"{p}.conv2.0.weight": (e, 1, 3, 3), **_bn(f"{p}.conv2.1", e),
                         f"{p}.conv3.0.weight": (b.cout, e // g, 1, 1), **_bn(f"{p}.conv3.1", b.cout),
                         **_hyper(f"{p}.hyper1", d, e), **_hyper(f"{p}.hyper2", d, e)})
        else:
            e1, e2 = b.hidden1, b.hidden2
            keys.update({f"{p}.conv1.0.weight": (e1, 1, 3, 3), **_bn(f"{p}.conv1.1", e1),
                         f"{p}.conv2.0.weight": (b.cout, e1 // g, 1, 1), **_bn(f"{p}.conv2.1", b.cout),
                         f"{p}.conv3.0.weight": (e2, 1, 3, 3), **_bn(f"{p}.conv3.1", e2),
                         f"{p}.conv4.0.weight": (b.cout, e2 // g, 1, 1), **_bn(f"{p}.conv4.1", b.cout),
                         **_hyper(f"{p}.hyper1", d, e1), **_hyper(f"{p}.hyper3", d, e2)})
    last = cfg.blocks[-1].cout
    keys.update(_local_global("local_global", last, d))
    keys.update({"classifier.conv.1.weight": (6 * last, last // g, 1, 1), **_bn("classifier.conv.2", 6 * last),
                 **_linear("classifier.fc.0", 6 * last + d, cfg.head_features),
                 **_bn("classifier.fc.1", cfg.head_features),
                 **_linear("classifier.classifier.1", cfg.head_features, 1000)})
    return keys


@pytest.mark.parametrize("name", list(VARIANTS))
def test_official_checkpoint_layout_loads_strictly(name):
    layout = official_layout(VARIANTS[name])
    state = {k: (torch.randn(s) if s else torch.tensor(0)) for k, s in layout.items()}
    model = build_classifier(name)
    model.load_state_dict(state, strict=True)        # raises on any missing, unexpected or mis-shaped key
    assert torch.equal(model.tokens.weight, state["tokens.weight"])


def test_module_prefix_is_stripped_like_a_dataparallel_checkpoint():
    from mobile_former.checkpoint import load_official
    cfg = VARIANTS["mobile-former-26m"]
    state = {"module." + k: (torch.randn(s) if s else torch.tensor(0)) for k, s in official_layout(cfg).items()}
    model = load_official(build_classifier(cfg.name), {"state_dict": state})
    assert torch.equal(model.stem[0].weight, state["module.stem.0.weight"])
