#!/usr/bin/env python3
"""Exports a Mobile-Former detector to the plugin's ONNX contract and checks it.

    # a trained model
    /usr/bin/python3 training/export.py --checkpoint training/runs/demo/best.pt --out models/demo.onnx
    # a random-weight model (tests, benchmarks, exact paper variants)
    /usr/bin/python3 training/export.py --random --variant 294m --head centernet --input 320 --out build/mf294.onnx

Contract (DESIGN.md section 3): opset 17; input `images` float32 [N,3,H,W] (RGB, (x/255 - mean)/std), N dynamic;
outputs by format (centernet: heatmap, wh, offset; detr: logits, boxes); metadata_props mf.format, mf.labels,
mf.input, mf.resize, mf.mean, mf.std, mf.stride (dense only), mf.variant, mf.version, mf.name.
Checks: onnx.checker (full), then the exported graph is run by a float64 NumPy interpreter (onnx_ref.py) and compared
with PyTorch on a random batch; the max abs diff is printed and must be <= 1e-4. A model card (.md) is written next to
the model.
"""
import argparse
import hashlib
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import onnx_ref  # noqa: E402
from mobile_former import synthetic  # noqa: E402
from mobile_former.counting import count_madds, count_params  # noqa: E402
from mobile_former.data import IMAGENET_MEAN, IMAGENET_STD  # noqa: E402
from mobile_former.detection import build_detector  # noqa: E402
from train import input_hw, variant_cfg  # noqa: E402

MAX_ABS_DIFF = 1e-4


def lean(model: onnx.ModelProto) -> onnx.ModelProto:
    """Constant nodes become initializers and Identity nodes are bypassed: fewer nodes for every engine to walk."""
    g = model.graph
    outputs = {o.name for o in g.output}
    rename = {}
    keep = []
    for node in g.node:
        node.input[:] = [rename.get(i, i) for i in node.input]
        if node.op_type == "Constant" and node.output[0] not in outputs:
            t = onnx.helper.get_attribute_value(node.attribute[0])
            t.name = node.output[0]
            g.initializer.append(t)
        elif node.op_type == "Identity" and node.output[0] not in outputs:
            rename[node.output[0]] = node.input[0]
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    used = {i for n in g.node for i in n.input} | outputs
    kept_inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept_inits)
    return model


def perturb(model: torch.nn.Module, seed: int) -> None:
    """Random weights large enough that every operator moves the output (a freshly initialized network is nearly
    linear: DY-ReLU ~ ReLU, gates ~ 1, tokens barely mixed), yet variance-preserving so activations stay O(1) and a
    float32 engine can be compared with 1e-4 absolute tolerance. Used for test models, never for trained ones."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) * (1.0 / fan_in) ** 0.5)
            elif name.endswith("weight"):
                p.copy_(1.0 + torch.randn(p.shape, generator=g) * 0.1)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 0.5 + 0.75)
        for head in ("wh", "offset"):       # dense size head: exp() of O(1) keeps sizes in cells
            conv = getattr(model, head, None)
            if conv is not None:
                conv.weight.mul_(0.3)


def export(model, hw, out_path, meta, batch=2, seed=0, check=True):
    model.eval()
    names = list(model.output_names)
    x = torch.randn(batch, 3, *hw, generator=torch.Generator().manual_seed(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, out_path, opset_version=17, input_names=["images"], output_names=names,
                          dynamic_axes={"images": {0: "N"}, **{n: {0: "N"} for n in names}},
                          do_constant_folding=True)
    proto = lean(onnx.load(out_path))
    del proto.metadata_props[:]
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    proto.producer_name = "mobileformer-streams training/export.py"
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, out_path)
    diff = None
    if check:
        with torch.no_grad():
            ref = [t.numpy() for t in model(x)]
        got = onnx_ref.run(proto, {"images": x.numpy()})
        diff = max(float(np.abs(r.astype(np.float64) - g).max()) for r, g in zip(ref, got))
    return proto, diff


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a train.py checkpoint (best.pt or last.pt)")
    src.add_argument("--random", action="store_true", help="random weights (tests and benchmarks)")
    p.add_argument("--variant", default="52m")
    p.add_argument("--head", default="centernet", choices=["centernet", "detr"])
    p.add_argument("--input", default="256", help="256 or WxH, e.g. 320x256")
    p.add_argument("--resize", default="stretch", choices=["stretch", "letterbox"])
    p.add_argument("--queries", type=int, default=30, help="detr: object queries")
    p.add_argument("--name", default=None, help="mf.name (default: the output file name)")
    p.add_argument("--version", default="1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-check", action="store_true", help="skip the NumPy comparison (very large inputs)")
    p.add_argument("--card", default=None, help="model-card notes (markdown) to include")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                   help="extra metadata_props, e.g. mf.eval.real_map50=0.81 (a figure measured on the exported "
                        "model, for an end-to-end test to hold the pipeline to); repeatable")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)

    evaluation, trained = None, None
    if a.checkpoint:
        ck = torch.load(a.checkpoint, map_location="cpu")
        m = ck["meta"]
        a.variant, a.head, a.input, a.resize = m["variant"], m["head"], m["input"], m["resize"]
        labels = m["labels"]
        evaluation = ck.get("eval")
        data = m.get("data", "synthetic")
        trained = {"steps": ck["step"], "images": ck["step"] * m["batch"], "elapsed_s": ck.get("elapsed_s")}
    else:
        labels = list(synthetic.CLASSES)
        data = "synthetic"
    hw = input_hw(a.input)
    cfg = variant_cfg(a.variant.replace("mobile-former-", ""))
    kw = {"queries": a.queries} if a.head == "detr" else {}
    model = build_detector(a.head, cfg, len(labels), hw, **kw)
    if a.checkpoint:
        model.load_state_dict(ck["model"])
    else:
        perturb(model, a.seed)
    model.eval()
    name = a.name or os.path.splitext(os.path.basename(a.out))[0]
    meta = {
        "mf.format": a.head,
        "mf.labels": json.dumps(labels),
        "mf.input": f"{hw[1]}x{hw[0]}",
        "mf.resize": a.resize,
        "mf.mean": ",".join(str(v) for v in IMAGENET_MEAN),
        "mf.std": ",".join(str(v) for v in IMAGENET_STD),
        "mf.variant": cfg.name,
        "mf.version": a.version,
        "mf.name": name,
    }
    if a.head == "centernet":
        meta["mf.stride"] = str(model.stride)
    if evaluation:
        # the held-out numbers travel with the model, so an end-to-end test can hold the pipeline to them
        meta["mf.eval.map50"] = f"{evaluation['map50']:.4f}"
        meta["mf.eval.map50_95"] = f"{evaluation['map50_95']:.4f}"
    for kv in a.meta:
        if "=" not in kv:
            raise SystemExit(f"--meta {kv!r}: expected KEY=VALUE")
        k, v = kv.split("=", 1)
        meta[k] = v
    os.makedirs(os.path.dirname(os.path.abspath(a.out)) or ".", exist_ok=True)
    proto, diff = export(model, hw, a.out, meta, seed=a.seed, check=not a.no_check)
    params, madds = count_params(model), count_madds(model, *hw)
    sha = hashlib.sha256(open(a.out, "rb").read()).hexdigest()
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"exported {a.out}: format={a.head} variant={cfg.name} input={hw[1]}x{hw[0]} params={params} "
          f"madds={madds} nodes={len(proto.graph.node)} bytes={os.path.getsize(a.out)} sha256={sha[:16]}")
    print(f"ops={','.join(ops)}")
    if diff is not None:
        print(f"max_abs_diff={diff:.3g} (torch vs ONNX graph, float64 reference)")
        if diff > MAX_ABS_DIFF:
            print(f"FAIL: max abs diff {diff:.3g} > {MAX_ABS_DIFF}", file=sys.stderr)
            sys.exit(1)
    write_card(a, cfg, hw, labels, params, madds, proto, diff, evaluation, trained, sha, data)


def write_card(a, cfg, hw, labels, params, madds, proto, diff, evaluation, trained, sha, data="synthetic"):
    card = os.path.splitext(a.out)[0] + ".md"
    cmd = "/usr/bin/python3 training/export.py " + " ".join(sys.argv[1:])
    lines = [f"# Model card: {os.path.basename(a.out)}", "",
             "| field | value |", "|---|---|",
             f"| variant | {cfg.name} |", f"| head (mf.format) | {a.head} |",
             f"| input | {hw[1]}x{hw[0]}, {a.resize}, RGB, ImageNet mean/std |",
             f"| labels | {', '.join(labels)} |",
             f"| params | {params:,} ({params / 1e6:.2f} M) |", f"| MAdds per image | {madds:,} ({madds / 1e6:.1f} M) |",
             f"| ONNX | opset 17, {len(proto.graph.node)} nodes, {os.path.getsize(a.out):,} bytes |",
             f"| sha256 | `{sha}` |",
             f"| weights | {'trained: ' + json.dumps(trained) if trained else 'random (perturbed, seed ' + str(a.seed) + '): for tests only, detects nothing'} |",
             f"| torch vs ONNX max abs diff | {diff:.3g} |" if diff is not None else "| torch vs ONNX | not checked |",
             ]
    if evaluation:
        what = "synthetic" if data == "synthetic" else f"({data}, its own held-out labels)"
        lines.append(f"| held-out {what} mAP@0.5 | {evaluation['map50']:.3f} |")
        lines.append(f"| held-out {what} mAP@0.5:0.95 | {evaluation['map50_95']:.3f} |")
    lines += ["", "Made with:", "", "```", cmd, "```", ""]
    if a.card:
        lines += [open(a.card).read()]
    with open(card, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
