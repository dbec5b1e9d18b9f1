"""A small float64 NumPy interpreter for the ONNX operators our exports use: the reference that export.py checks the
exported graph against (Debian ships no onnxruntime for Python). Correctness over speed: it is for checking, not for
serving. Unsupported operators raise with the node name.
"""
from __future__ import annotations

import math
from typing import Dict, List

import numpy as np
import onnx
from onnx import numpy_helper

try:
    from scipy.special import erf as _erf
except ImportError:  # pragma: no cover
    _erf = np.vectorize(math.erf)


def _attrs(node) -> Dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    group = a.get("group", 1)
    strides = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    dil = a.get("dilations", [1, 1])
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dil[0]: i * dil[0] + strides[0] * (oh - 1) + 1: strides[0],
                           j * dil[1]: j * dil[1] + strides[1] * (ow - 1) + 1: strides[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _resize(x, roi, scales, sizes, a):
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = a.get("coordinate_transformation_mode", b"half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    nm = a.get("nearest_mode", b"round_prefer_floor")
    nm = nm.decode() if isinstance(nm, bytes) else nm
    if mode != "nearest" or ctm != "asymmetric" or nm != "floor":
        raise NotImplementedError(f"Resize mode={mode} ctm={ctm} nearest_mode={nm}")
    if sizes is not None and len(sizes):
        out_hw = [int(s) for s in sizes[2:]]
        sc = [out_hw[0] / x.shape[2], out_hw[1] / x.shape[3]]
    else:
        sc = [float(scales[2]), float(scales[3])]
        out_hw = [int(math.floor(x.shape[2] * sc[0])), int(math.floor(x.shape[3] * sc[1]))]
    iy = np.minimum(np.floor(np.arange(out_hw[0]) / sc[0]).astype(int), x.shape[2] - 1)
    ix = np.minimum(np.floor(np.arange(out_hw[1]) / sc[1]).astype(int), x.shape[3] - 1)
    return x[:, :, iy][:, :, :, ix]


def run(model: onnx.ModelProto, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
    env: Dict[str, np.ndarray] = {}
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        env[init.name] = arr.astype(np.float64) if arr.dtype == np.float32 else arr
    for k, v in feeds.items():
        env[k] = v.astype(np.float64)
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            v = numpy_helper.to_array(a["value"])
            out = [v.astype(np.float64) if v.dtype == np.float32 else v]
        elif op == "Identity":
            out = [ins[0]]
        elif op == "Conv":
            out = [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
        elif op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
                 "Max": np.maximum, "Min": np.minimum}[op]
            r = ins[0]
            for t in ins[1:]:
                r = f(r, t)
            out = [r]
        elif op == "MatMul":
            out = [np.matmul(ins[0], ins[1])]
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            r = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                r = r + a.get("beta", 1.0) * ins[2]
            out = [r]
        elif op == "Relu":
            out = [np.maximum(ins[0], 0)]
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
            out = [np.clip(ins[0], lo, hi)]
        elif op == "HardSigmoid":
            out = [np.clip(a.get("alpha", 0.2) * ins[0] + a.get("beta", 0.5), 0, 1)]
        elif op == "HardSwish":
            out = [ins[0] * np.clip(ins[0] / 6 + 0.5, 0, 1)]
        elif op == "Sigmoid":
            out = [1 / (1 + np.exp(-ins[0]))]
        elif op == "Exp":
            out = [np.exp(ins[0])]
        elif op == "Erf":
            out = [_erf(ins[0])]
        elif op == "Sqrt":
            out = [np.sqrt(ins[0])]
        elif op == "Softmax":
            out = [_softmax(ins[0], a.get("axis", -1))]
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            out = [ins[0].reshape(shape)]
        elif op == "Transpose":
            out = [np.transpose(ins[0], a.get("perm"))]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = [ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)]
        elif op == "LayerNormalization":
            ax = a.get("axis", -1)
            axes = tuple(range(ax if ax >= 0 else ins[0].ndim + ax, ins[0].ndim))
            mu = ins[0].mean(axis=axes, keepdims=True)
            var = ((ins[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            r = (ins[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * ins[1]
            out = [r + ins[2] if len(ins) > 2 and ins[2] is not None else r]
        elif op == "BatchNormalization":
            x, sc, bi, mean, var = ins[:5]
            shp = (1, -1) + (1,) * (x.ndim - 2)
            out = [(x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + a.get("epsilon", 1e-5)) * sc.reshape(shp)
                   + bi.reshape(shp)]
        elif op == "Gather":
            out = [np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0))]
        elif op == "Split":
            ax = a.get("axis", 0)
            sizes = ins[1] if len(ins) > 1 and ins[1] is not None else None
            if sizes is None:
                k = len(node.output)
                sizes = [ins[0].shape[ax] // k] * k
            idx = np.cumsum(sizes)[:-1]
            out = np.split(ins[0], idx, axis=ax)
        elif op == "Slice":
            x = ins[0]
            starts, ends = ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
            sl = [slice(None)] * x.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(min(e, 2 ** 62)), int(st))
            out = [x[tuple(sl)]]
        elif op == "Concat":
            out = [np.concatenate(ins, axis=a["axis"])]
        elif op == "ReduceMean":
            axes = tuple(a.get("axes", range(ins[0].ndim)))
            out = [ins[0].mean(axis=axes, keepdims=bool(a.get("keepdims", 1)))]
        elif op == "GlobalAveragePool":
            out = [ins[0].mean(axis=(2, 3), keepdims=True)]
        elif op == "Unsqueeze":
            r = ins[0]
            for ax in sorted(int(v) for v in ins[1]):
                r = np.expand_dims(r, ax)
            out = [r]
        elif op == "Squeeze":
            out = [np.squeeze(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Shape":
            out = [np.array(ins[0].shape, dtype=np.int64)]
        elif op == "Resize":
            out = [_resize(ins[0], ins[1] if len(ins) > 1 else None, ins[2] if len(ins) > 2 else None,
                           ins[3] if len(ins) > 3 else None, a)]
        else:
            raise NotImplementedError(f"onnx_ref: operator {op} (node {node.name}) is not implemented")
        for name, val in zip(node.output, out):
            env[name] = val
    return [env[o.name] for o in model.graph.output]
