"""Both heads export to the plugin's contract: checker passes, metadata complete, torch vs ONNX within 1e-4."""
import json

import onnx
import pytest
import torch

import export
import onnx_ref
from mobile_former import model as M
from mobile_former.detection import build_detector

REQUIRED = {"mf.format", "mf.labels", "mf.input", "mf.resize", "mf.mean", "mf.std", "mf.variant", "mf.version"}


@pytest.mark.parametrize("head,outputs", [("centernet", ["heatmap", "wh", "offset"]), ("detr", ["logits", "boxes"])])
def test_export_contract_and_numerics(tmp_path, head, outputs):
    out = tmp_path / f"m-{head}.onnx"
    export.main(["--random", "--variant", "tiny", "--head", head, "--input", "96x64", "--queries", "8",
                 "--out", str(out)])
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto, full_check=True)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert REQUIRED <= set(meta) and meta["mf.format"] == head and meta["mf.input"] == "96x64"
    assert json.loads(meta["mf.labels"]) == ["circle", "square", "triangle", "star"]
    assert ("mf.stride" in meta) == (head == "centernet")
    assert [i.name for i in proto.graph.input] == ["images"]
    assert [o.name for o in proto.graph.output] == outputs
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and [d.dim_value for d in dims[1:]] == [3, 64, 96]
    # no shape bookkeeping, no Constant or Identity left for an engine to walk
    ops = {n.op_type for n in proto.graph.node}
    assert not ops & {"Shape", "Constant", "Identity", "Expand"}
    assert (tmp_path / f"m-{head}.md").exists()


def test_dynamic_batch_reruns_with_another_batch_size(tmp_path):
    cfg = M.tiny_variant()
    model = build_detector("centernet", cfg, 4, (64, 64)).eval()
    export.perturb(model, 3)
    proto, diff = export.export(model, (64, 64), str(tmp_path / "m.onnx"), {"mf.format": "centernet"}, batch=2)
    assert diff <= export.MAX_ABS_DIFF
    x = torch.randn(5, 3, 64, 64)
    with torch.no_grad():
        want = model(x)
    got = onnx_ref.run(proto, {"images": x.numpy()})
    for w, g in zip(want, got):
        assert g.shape[0] == 5 and abs(w.numpy() - g).max() <= export.MAX_ABS_DIFF


def test_a_wrong_graph_is_caught_by_the_comparison(tmp_path):
    cfg = M.tiny_variant()
    model = build_detector("centernet", cfg, 4, (64, 64)).eval()
    export.perturb(model, 1)
    proto, _ = export.export(model, (64, 64), str(tmp_path / "m.onnx"), {}, check=False)
    for node in proto.graph.node:                       # corrupt one softmax axis: the check must notice
        if node.op_type == "Softmax":
            for a in node.attribute:
                if a.name == "axis":
                    a.i = 1 if a.i != 1 else 2
            break
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        want = model(x)
    got = onnx_ref.run(proto, {"images": x.numpy()})
    assert max(abs(w.numpy() - g).max() for w, g in zip(want, got)) > 1e-3
