#!/usr/bin/env python3
"""Pseudo-labels from the NanoDet teacher's raw cells (teacher/nanodet_cells.mjs) → COCO JSON.

    /usr/bin/python3 training/label_teacher.py --cells cells.jsonl --video vtest.avi --width 768 --height 576 \\
        --out training/labels/vtest-teacher.json

Boxes scoring >= --label-score are labels; boxes in [--ignore-score, --label-score) are ignore regions (the teacher
is unsure: they cost no loss either way). The whole pipeline, from the pinned packages to this file, is
training/teacher/label.sh.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mobile_former import teacher  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cells", required=True, nargs="+", help="JSONL files written by nanodet_cells.mjs")
    p.add_argument("--video", required=True, help="file name the images refer to (relative to the JSON)")
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--label-score", type=float, default=0.45)
    p.add_argument("--ignore-score", type=float, default=0.2)
    p.add_argument("--nms-iou", type=float, default=0.5)
    p.add_argument("--info", default="{}", help="JSON object stored as the COCO 'info' (provenance)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    records = {}
    for path in a.cells:
        for frame, recs in teacher.read_cells(path).items():
            records.setdefault(frame, []).extend(recs)
    frames = {f: teacher.frame_boxes(recs, a.width, a.height, a.ignore_score, a.nms_iou)
              for f, recs in records.items()}
    info = json.loads(a.info)
    info.update({"label_score": a.label_score, "ignore_score": a.ignore_score, "nms_iou": a.nms_iou})
    coco = teacher.to_coco(frames, a.width, a.height, a.video, a.label_score, a.ignore_score, info=info)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(coco, f, separators=(",", ":"))
    n = sum(1 for x in coco["annotations"] if not x["ignore"])
    print(f"{a.out}: {len(coco['images'])} frames, {n} labels, {len(coco['annotations']) - n} ignore regions")


if __name__ == "__main__":
    main()
