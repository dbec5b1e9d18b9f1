#!/usr/bin/env python3
"""The teacher's own score on the checked truth: what the student can at best come close to.

    /usr/bin/python3 training/score_teacher.py   # after training/teacher/label.sh

Every person box the teacher gives at >= 0.2 (the labels and the ignore band, with their scores) is a detection;
the truth is samples/vtest-tail.truth.json (frame_index counts from the excerpt's first frame, source_frame is
vtest.avi's). Prints COCO mAP@0.5 and mAP@0.5:0.95 for person, and the same for the labels alone (>= 0.45).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mobile_former import datasets, teacher  # noqa: E402
from mobile_former.metrics import mean_ap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    truth_path = os.path.join(HERE, "..", "samples", "vtest-tail.truth.json")
    with open(truth_path) as f:
        source_frame = {im["frame_index"]: im["source_frame"] for im in json.load(f)["images"]}
    truth = datasets.load_coco(truth_path, ["person"])
    cells = teacher.read_cells(os.path.join(HERE, "data", "teacher", "vtest-cells.heldout.jsonl"))
    for label_only in (False, True):
        dets, gts = [], []
        for s in truth:
            boxes = teacher.frame_boxes(cells[source_frame[s.frame_index]], 768, 576, 0.2)
            dets.append([(0, b.score, b.x1, b.y1, b.x2, b.y2) for b in boxes
                         if b.label == "person" and (not label_only or b.score >= 0.45)])
            gts.append((s.boxes, s.classes, s.ignore))
        m = mean_ap(dets, gts, 1)
        print(f"teacher ({'labels >= 0.45' if label_only else 'all boxes >= 0.2'}): person AP@0.5 {m['map50']:.3f} "
              f"AP@0.5:0.95 {m['map50_95']:.3f} on {len(truth)} frames, {sum(len(g[0]) for g in gts)} people")


if __name__ == "__main__":
    main()
