"""Readers of real labelled data (COCO JSON, YOLO folders), class maps and ignore regions; the ignore rule in
the loss and in mAP."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from mobile_former import datasets
from mobile_former.detection import centernet_loss, centernet_targets, ignore_mask
from mobile_former.metrics import mean_ap

LABELS = ["person", "vehicle"]


def write_coco(tmp_path):
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48},
                   {"id": 2, "file_name": "clip.avi#7", "frame_index": 7, "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "pedestrian"}, {"id": 2, "name": "car"}, {"id": 3, "name": "dog"},
                       {"id": 4, "name": "rider"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 20], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 2, "bbox": [30, 5, 20, 10], "iscrowd": 0},
            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [40, 30, 20, 10], "iscrowd": 1},
            {"id": 4, "image_id": 1, "category_id": 3, "bbox": [0, 0, 5, 5]},
            {"id": 5, "image_id": 2, "category_id": 4, "bbox": [5, 5, 5, 5]},
            {"id": 6, "image_id": 2, "category_id": 1, "bbox": [9, 9, 5, 5], "ignore": 1},
        ]}
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(coco))
    return path


def test_coco_with_class_map_and_ignore(tmp_path):
    cmap = datasets.parse_class_map("pedestrian=person,car=vehicle,rider=ignore", LABELS)
    a, b = datasets.load(f"coco:{write_coco(tmp_path)}", LABELS, cmap)
    assert a.source == str(tmp_path / "a.png") and (a.width, a.height) == (64, 48)
    np.testing.assert_allclose(a.boxes, [[1, 2, 11, 22], [30, 5, 50, 15]])
    assert a.classes.tolist() == [0, 1]
    np.testing.assert_allclose(a.ignore, [[40, 30, 60, 40]])           # iscrowd; the dog is dropped
    assert b.source.endswith("clip.avi#7") and b.frame_index == 7
    assert len(b.boxes) == 0
    np.testing.assert_allclose(b.ignore, [[5, 5, 10, 10], [9, 9, 14, 14]])   # mapped to ignore; flagged ignore


def test_coco_without_a_map_keeps_names_equal_to_labels(tmp_path):
    a, _ = datasets.load_coco(str(write_coco(tmp_path)), ["car"])
    assert a.classes.tolist() == [0] and len(a.ignore) == 0


def test_coco_errors_are_clear(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"images": [], "annotations": [{"id": 9, "image_id": 3, "category_id": 1,
                                                               "bbox": [0, 0, 1, 1]}], "categories": []}))
    with pytest.raises(ValueError, match="unknown image_id 3"):
        datasets.load_coco(str(p), LABELS)
    p.write_text("{}")
    with pytest.raises(ValueError, match="not a COCO detection file"):
        datasets.load_coco(str(p), LABELS)
    with pytest.raises(ValueError, match="not a model label"):
        datasets.parse_class_map("car=truck", LABELS)


@pytest.mark.parametrize("names_file", ["classes.txt", "data.yaml", "data-block.yaml"])
def test_yolo_folder(tmp_path, names_file):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (100, 50)).save(tmp_path / "images" / "f1.jpg")
    Image.new("RGB", (100, 50)).save(tmp_path / "images" / "f2.png")
    (tmp_path / "labels" / "f1.txt").write_text("0 0.5 0.5 0.2 0.4\n2 0.1 0.1 0.1 0.1\n1 0.9 0.9 0.1 0.2\n")
    if names_file == "classes.txt":
        (tmp_path / "classes.txt").write_text("person\ncrowd\ncar\n")
    elif names_file == "data.yaml":
        (tmp_path / "data.yaml").write_text("nc: 3\nnames: ['person', 'crowd', 'car']\n")
    else:
        (tmp_path / "data.yaml").write_text("names:\n  0: person\n  1: crowd\n  2: car\nnc: 3\n")
    cmap = datasets.parse_class_map("person=person,car=vehicle,crowd=ignore", LABELS)
    f1, f2 = datasets.load(f"yolo:{tmp_path}", LABELS, cmap)
    np.testing.assert_allclose(f1.boxes, [[40, 15, 60, 35], [5, 2.5, 15, 7.5]], atol=1e-4)
    assert f1.classes.tolist() == [0, 1]
    np.testing.assert_allclose(f1.ignore, [[85, 40, 95, 50]], atol=1e-4)
    assert len(f2.boxes) == 0 and (f2.width, f2.height) == (100, 50)


def test_yolo_bad_class_index_names_the_line(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (10, 10)).save(tmp_path / "images" / "x.png")
    (tmp_path / "labels" / "x.txt").write_text("0 .5 .5 .1 .1\n5 .5 .5 .1 .1\n")
    (tmp_path / "classes.txt").write_text("person\n")
    with pytest.raises(ValueError, match=r"x.txt:2: class 5"):
        datasets.load_yolo(str(tmp_path), LABELS)


def test_split_by_frame():
    s = [datasets.Sample(f"v#{i}", 8, 8, [], [], frame_index=i) for i in range(10)]
    train, held = datasets.split_by_frame(s, 7)
    assert [x.frame_index for x in train] == list(range(7)) and [x.frame_index for x in held] == [7, 8, 9]


def test_ignore_regions_cost_no_heatmap_loss():
    """A confident heatmap peak inside an ignore region is not penalised; outside one it is."""
    torch.manual_seed(0)
    hm = torch.full((1, 1, 8, 8), -6.0)
    hm[0, 0, 2, 2] = 4.0                                      # a confident "object" where the truth has none
    raw = (hm, torch.zeros(1, 2, 8, 8), torch.zeros(1, 2, 8, 8))
    targets = centernet_targets([torch.zeros(0, 4)], [torch.zeros(0, dtype=torch.long)], 1, 8, 8, 8)
    plain, _ = centernet_loss(raw, targets)
    ignored, _ = centernet_loss(raw, targets, ignore=ignore_mask([torch.tensor([[16.0, 16.0, 24.0, 24.0]])], 8, 8, 8))
    assert float(ignored) < 0.05 * float(plain)
    elsewhere, _ = centernet_loss(raw, targets, ignore=ignore_mask([torch.tensor([[40.0, 40.0, 60.0, 60.0]])], 8, 8, 8))
    assert float(elsewhere) == pytest.approx(float(plain))


def test_map_skips_detections_in_ignore_regions():
    gt_boxes, gt_classes = np.array([[0, 0, 10, 10]], float), np.array([0])
    dets = [[(0, 0.9, 50, 50, 60, 60), (0, 0.8, 0, 0, 10, 10)]]        # a false alarm scoring above the hit
    plain = mean_ap(dets, [(gt_boxes, gt_classes)], 1)["map50"]
    ignored = mean_ap(dets, [(gt_boxes, gt_classes, np.array([[45, 45, 70, 70]], float))], 1)["map50"]
    assert plain < 0.6 and ignored == pytest.approx(1.0)
