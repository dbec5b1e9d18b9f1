"""train.py on real-format data end to end: a COCO set of images on disk, a separate held-out set, negatives,
pasted crops; the run logs a held-out mAP, checkpoints, and resumes where it stopped."""
import json
import os

import numpy as np
import pytest
from PIL import Image

import train


def coco_set(root, name, n, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(root / name, exist_ok=True)
    images, anns = [], []
    for i in range(n):
        img = np.full((96, 128, 3), 90, np.uint8)
        x, y = int(rng.integers(4, 90)), int(rng.integers(4, 50))
        img[y:y + 36, x:x + 16] = (220, 40, 40)                       # a "person"
        Image.fromarray(img).save(root / name / f"{i}.png")
        images.append({"id": i + 1, "file_name": f"{name}/{i}.png", "width": 128, "height": 96})
        anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 1, "bbox": [x, y, 16, 36]})
        anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 2, "bbox": [0, 0, 8, 8], "iscrowd": 1})
    path = root / f"{name}.json"
    path.write_text(json.dumps({"images": images, "annotations": anns,
                                "categories": [{"id": 1, "name": "pedestrian"}, {"id": 2, "name": "crowd"}]}))
    return path


@pytest.fixture()
def runs(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "HERE", str(tmp_path))
    return tmp_path


def test_real_data_run_logs_map_checkpoints_and_resumes(tmp_path, runs, capsys):
    tr = coco_set(tmp_path, "train", 6, 1)
    va = coco_set(tmp_path, "val", 3, 2)
    Image.fromarray(np.full((96, 128, 3), 30, np.uint8)).save(tmp_path / "empty.png")
    args = ["--run", "t", "--variant", "tiny", "--input", "64x48", "--batch", "2", "--warmup", "1",
            "--data", f"coco:{tr}", "--val", f"coco:{va}", "--labels", "person",
            "--class-map", "pedestrian=person,crowd=ignore", "--negatives", str(tmp_path / "empty.png"),
            "--paste-crops", "4", "--eval-every", "2", "--log-every", "1", "--checkpoint-every", "1",
            "--threads", "1", "--cache-dir", str(tmp_path / "cache")]
    train.main(args + ["--images", "4"])
    out = capsys.readouterr().out
    assert "real data: 6 training images (6 boxes, 6 ignore regions), 3 held out" in out
    log = [json.loads(line) for line in open(runs / "runs" / "t" / "log.jsonl")]
    evals = [r["eval"] for r in log if "eval" in r]
    assert evals and 0.0 <= evals[-1]["map50"] <= 1.0
    assert os.path.exists(runs / "runs" / "t" / "last.pt")
    meta = json.load(open(runs / "runs" / "t" / "run.json"))
    assert meta["labels"] == ["person"] and meta["data"] == f"coco:{tr}" and meta["device"] == "cpu"
    train.main(args + ["--images", "8"])
    out = capsys.readouterr().out
    assert "resumed t at step 2/4" in out
    assert "stopped at step 4/4" in out


def test_held_out_data_is_required(tmp_path, runs):
    tr = coco_set(tmp_path, "train", 2, 1)
    with pytest.raises(SystemExit, match="held-out"):
        train.main(["--run", "x", "--variant", "tiny", "--input", "64", "--data", f"coco:{tr}", "--images", "2"])


def test_cuda_without_a_gpu_is_a_clear_error(runs):
    import torch
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: nothing to refuse")
    with pytest.raises(SystemExit, match="no CUDA device"):
        train.main(["--run", "y", "--variant", "tiny", "--input", "64", "--images", "2", "--device", "cuda"])
