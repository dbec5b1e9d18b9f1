"""Decoding of the NanoDet teacher's raw outputs (mobile_former/teacher.py), on exact cases and on a recorded fixture
of real frames checked against the cross-check detector."""
import json
import os

import numpy as np
import pytest

from mobile_former import teacher
from mobile_former.teacher import Box

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "teacher_vtest.json")


def one_hot_cell(stride, index, score, dists, classes=(0, 2, 3, 5, 7)):
    """A cell whose bins put all weight on the given distances (in bins), for person."""
    logits = []
    for d in dists:
        row = [-30.0] * teacher.BINS
        row[d] = 30.0
        logits += row
    return [stride, index, score] + [0.0] * (len(classes) - 1) + logits


def test_exact_box_from_one_hot_bins():
    # stride 16, 26 columns: index 26*3 + 5 is row 3, column 5; centre ((5+.5)*16, (3+.5)*16) = (88, 56)
    cell = one_hot_cell(16, 26 * 3 + 5, 0.9, [1, 2, 3, 4])   # left, top, right, bottom in bins (x16 px)
    (boxes, scores), = teacher.decode_cells([cell], [0, 2, 3, 5, 7])
    np.testing.assert_allclose(boxes[0], [88 - 16, 56 - 32, 88 + 48, 56 + 64], atol=1e-6)
    assert scores[0, 0] == pytest.approx(0.9)


def test_expected_bin_is_the_softmax_mean():
    # two equal bins 2 and 4 on every side: expected 3 bins
    logits = []
    for _ in range(4):
        row = [-30.0] * teacher.BINS
        row[2] = row[4] = 5.0
        logits += row
    (boxes, _), = teacher.decode_cells([[8, 0, 0.5, 0, 0, 0, 0] + logits], [0, 2, 3, 5, 7])
    np.testing.assert_allclose(boxes[0], [0, 0, 4 + 24, 4 + 24], atol=1e-5)   # clipped at 0 on the left/top


def test_tile_boxes_map_back_and_drop_cut_objects():
    # a box in a tile at (384, 288) of size 416x312 (so x scale 1, y scale 0.75)
    cell = one_hot_cell(8, 52 * 10 + 10, 0.8, [2, 2, 2, 2])   # centre (84, 84), +/- 16 px
    rec = {"tile": [384, 288, 416, 312], "classes": [0, 2, 3, 5, 7], "cells": [cell]}
    b, = teacher.tile_boxes(rec, 0.2, frame_size=(800, 600))
    assert (b.x1, b.y1, b.x2, b.y2) == pytest.approx((384 + 68, 288 + 68 * 0.75, 384 + 100, 288 + 100 * 0.75))
    assert b.label == "person"
    # the same object touching the tile's inner left border is dropped; at the frame's own border it is kept
    cut = one_hot_cell(8, 52 * 10 + 1, 0.8, [2, 2, 2, 2])    # centre (12, 84): x1 clipped to 0
    assert teacher.tile_boxes({**rec, "cells": [cut]}, 0.2, frame_size=(800, 600)) == []
    assert len(teacher.tile_boxes({**rec, "tile": [0, 288, 416, 312], "cells": [cut]}, 0.2, frame_size=(800, 600))) == 1


def test_vehicle_classes_merge_into_one_box():
    cell = one_hot_cell(8, 0, 0.1, [1, 1, 1, 1])
    cell[3], cell[5] = 0.5, 0.6           # car 0.5, bus 0.6
    boxes = teacher.tile_boxes({"tile": [0, 0, 416, 416], "classes": [0, 2, 3, 5, 7], "cells": [cell]}, 0.2)
    assert [(b.label, b.score) for b in boxes] == [("vehicle", pytest.approx(0.6))]


def test_nms_keeps_the_best_of_overlapping_boxes_per_label():
    a, b = Box(0, 0, 10, 20, 0.9, "person"), Box(1, 0, 11, 20, 0.5, "person")
    c = Box(1, 0, 11, 20, 0.5, "vehicle")
    assert teacher.nms([b, a, c], 0.5) == [a, c]


def test_coco_output_has_labels_and_ignore_band():
    frames = {3: [Box(0, 0, 10, 30, 0.9, "person"), Box(20, 0, 30, 30, 0.3, "person"),
                  Box(40, 0, 50, 30, 0.1, "person")]}
    coco = teacher.to_coco(frames, 64, 48, "clip.avi", label_score=0.45, ignore_score=0.2)
    assert coco["images"] == [{"id": 4, "file_name": "clip.avi#3", "frame_index": 3, "width": 64, "height": 48}]
    assert [(a["ignore"], a["iscrowd"], a["bbox"]) for a in coco["annotations"]] == [
        (0, 0, [0, 0, 10, 30]), (1, 1, [20, 0, 10, 30])]


def _people(boxes, min_score):
    return [Box(*b[:4], b[4], "person") for b in boxes if b[5] == 0 and b[4] >= min_score]


def _match(ref, got):
    return [max((teacher.iou(r, g) for g in got), default=0.0) for r in ref]


def test_recorded_frames_agree_with_the_cross_check_detector():
    """On real frames, NanoDet decoded with the half-cell centre finds every person the cross-check detector is
    confident about (IoU >= 0.5), and clearly better than without the half-cell offset (the fact this pins)."""
    with open(FIXTURE) as f:
        fixture = json.load(f)
    with_half, without = [], []
    for fr in fixture["frames"]:
        ref = _people(fr["centernet"], 0.45)
        assert ref, "fixture frame without confident people"
        rec = fr["nanodet_whole_frame"]
        with_half += _match(ref, [b for b in teacher.frame_boxes([rec], 768, 576, 0.3) if b.label == "person"])
        without += _match(ref, [b for b in teacher.frame_boxes([rec], 768, 576, 0.3, centre_offset=0.0)
                                if b.label == "person"])
    assert np.mean(np.array(with_half) >= 0.5) >= 0.9
    assert np.mean(with_half) > np.mean(without) + 0.15
