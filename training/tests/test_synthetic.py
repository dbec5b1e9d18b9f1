"""The synthetic generator is deterministic, varied, and its boxes are exact."""
import json
import shutil

import numpy as np
import pytest

from mobile_former import synthetic
from mobile_former.data import resize_to_input, sample


def test_same_seed_same_image_and_different_seed_different_image():
    a = synthetic.scene(5, 11, 120, 160)
    b = synthetic.scene(5, 11, 120, 160)
    c = synthetic.scene(6, 11, 120, 160)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    assert not np.array_equal(a[0], c[0])


def test_variety_of_classes_counts_and_sizes():
    counts, classes, sizes = [], set(), []
    for i in range(60):
        img, boxes, cls = synthetic.scene(1, i, 180, 240)
        assert img.shape == (180, 240, 3) and img.dtype == np.uint8
        counts.append(len(boxes))
        classes |= set(cls.tolist())
        sizes += list(boxes[:, 2] - boxes[:, 0])
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= 240).all() and (boxes[:, 3] <= 180).all()
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    assert min(counts) == 0 and max(counts) >= 6 and max(counts) <= 8
    assert classes == {0, 1, 2, 3}
    assert min(sizes) < 25 and max(sizes) > 60


def test_box_is_the_exact_extent_of_the_drawn_shape():
    rng = np.random.default_rng(0)
    bg = np.zeros((100, 100, 3), dtype=np.float32)
    for cls in range(4):
        s = synthetic.Shape(cls, 50.3, 47.8, 22.0, 1.1, 0.4, (1.0, 1.0, 1.0))
        img = synthetic.render(rng, bg, [s], grain=0.0)
        ys, xs = np.nonzero(img[..., 0] > 127)               # pixels more than half covered
        x0, y0, x1, y1 = s.box()
        assert abs(xs.min() - x0) <= 1.0 and abs(xs.max() + 1 - x1) <= 1.0
        assert abs(ys.min() - y0) <= 1.0 and abs(ys.max() + 1 - y1) <= 1.0


def test_hidden_shapes_are_removed():
    big = synthetic.Shape(1, 50, 50, 40, 1.0, 0.0, (1, 0, 0))
    small = synthetic.Shape(0, 50, 50, 8, 1.0, 0.0, (0, 1, 0))
    kept = synthetic.visible_shapes([small, big], 100, 100)
    assert kept == [big]                                   # the small one lies fully under the big one
    assert synthetic.visible_shapes([big, small], 100, 100) == [big, small]


def test_letterbox_and_stretch_map_boxes_into_the_input():
    img = np.zeros((100, 200, 3), dtype=np.uint8)
    boxes = np.array([[20.0, 10.0, 60.0, 90.0]], dtype=np.float32)
    _, st = resize_to_input(img, boxes, (64, 64), "stretch")
    assert np.allclose(st, [[6.4, 6.4, 19.2, 57.6]])
    x, lb = resize_to_input(img, boxes, (64, 64), "letterbox")
    assert x.shape == (3, 64, 64) and np.allclose(lb, [[6.4, 19.2, 19.2, 44.8]])
    x, b, c = sample(3, 0, (64, 64), "stretch")
    assert x.shape == (3, 64, 64) and b.shape[1] == 4 and len(b) == len(c)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg binary not installed")
def test_clip_and_truth_are_written(tmp_path):
    clip, truth = tmp_path / "c.ts", tmp_path / "c.json"
    synthetic.write_clip(str(clip), str(truth), seed=3, frames=12, width=160, height=96, fps=10, objects=3)
    t = json.loads(truth.read_text())
    assert clip.stat().st_size > 1000 and len(t["frames"]) == 12 and t["width"] == 160
    first = [o["box"] for o in t["frames"][0]["objects"]]
    last = [o["box"] for o in t["frames"][-1]["objects"]]
    assert len(first) == 3 and first != last                  # objects move
    for f in t["frames"]:                                      # and never overlap
        bs = [o["box"] for o in f["objects"]]
        for i in range(len(bs)):
            for j in range(i + 1, len(bs)):
                assert synthetic._overlap(bs[i], bs[j]) is False
