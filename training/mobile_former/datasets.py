"""Real labelled data in the formats users already have: COCO detection JSON and YOLO txt folders.

Every reader returns the same thing, a list of `Sample`s with boxes in source pixels (x0, y0, x1, y1), the model's
class index per box, and *ignore regions*: areas where the truth is uncertain (COCO `iscrowd`, an `ignore` flag on a
pseudo-label, a class mapped to "ignore"). An ignore region costs no loss either way: the heatmap is not pushed
down inside it during training, and a detection in it is neither a hit nor a false alarm when scoring.

A class map says which of the data set's names become which model label:
    "person=person,car=vehicle,truck=vehicle,bus=vehicle,rider=ignore"
Names not in the map are dropped (their objects are simply not annotated); without a map, names equal to a model
label map to it and the others are dropped.

Images may be files or frames of a video, named `clip.avi#123` (frame 123, counted from 0): `FrameSource` decodes
videos once with the ffmpeg binary into a raw uint8 cache that every data-loader worker maps read-only.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

IGNORE = "ignore"


@dataclass
class Sample:
    source: str                      # an image path, or "video#frame"
    width: int
    height: int
    boxes: np.ndarray                # [n, 4] float32, x0 y0 x1 y1 in source pixels
    classes: np.ndarray              # [n] int64, model class index
    ignore: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))   # [m, 4]
    frame_index: Optional[int] = None

    def __post_init__(self):
        self.boxes = np.asarray(self.boxes, np.float32).reshape(-1, 4)
        self.classes = np.asarray(self.classes, np.int64).reshape(-1)
        self.ignore = np.asarray(self.ignore, np.float32).reshape(-1, 4)
        if len(self.boxes) != len(self.classes):
            raise ValueError(f"{self.source}: {len(self.boxes)} boxes but {len(self.classes)} classes")


def parse_class_map(spec: Optional[str], labels: Sequence[str]) -> Optional[Dict[str, str]]:
    """ "name=label,name=label" → dict; every target must be a model label or "ignore"."""
    if not spec:
        return None
    out = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"class map entry {part!r}: expected name=label")
        name, label = (s.strip() for s in part.split("=", 1))
        if label != IGNORE and label not in labels:
            raise ValueError(f"class map entry {part!r}: {label!r} is not a model label {list(labels)} or 'ignore'")
        out[name] = label
    return out


def _target(name: str, labels: Sequence[str], class_map: Optional[Dict[str, str]]) -> Optional[str]:
    if class_map is None:
        return name if name in labels else None
    return class_map.get(name)


def load_coco(path: str, labels: Sequence[str], class_map: Optional[Dict[str, str]] = None,
              image_root: Optional[str] = None) -> List[Sample]:
    """A COCO detection JSON (CVAT, Label Studio, Roboflow exports). bbox is [x, y, w, h] in pixels."""
    with open(path) as f:
        coco = json.load(f)
    for key in ("images", "annotations", "categories"):
        if key not in coco:
            raise ValueError(f"{path}: not a COCO detection file (no {key!r})")
    root = image_root if image_root is not None else os.path.dirname(os.path.abspath(path))
    names = {c["id"]: c["name"] for c in coco["categories"]}
    per_image: Dict[int, dict] = {}
    for im in coco["images"]:
        per_image[im["id"]] = {"im": im, "boxes": [], "classes": [], "ignore": []}
    for a in coco["annotations"]:
        entry = per_image.get(a["image_id"])
        if entry is None:
            raise ValueError(f"{path}: annotation {a.get('id')} refers to unknown image_id {a['image_id']}")
        if a["category_id"] not in names:
            raise ValueError(f"{path}: annotation {a.get('id')} has unknown category_id {a['category_id']}")
        x, y, w, h = (float(v) for v in a["bbox"])
        if w < 0 or h < 0:
            raise ValueError(f"{path}: annotation {a.get('id')} has a negative size {a['bbox']}")
        target = _target(names[a["category_id"]], labels, class_map)
        if target is None:
            continue
        box = [x, y, x + w, y + h]
        if target == IGNORE or a.get("iscrowd", 0) or a.get("ignore", 0):
            entry["ignore"].append(box)
        else:
            entry["boxes"].append(box)
            entry["classes"].append(labels.index(target))
    samples = []
    for entry in per_image.values():
        im = entry["im"]
        name = im["file_name"]
        source = name if os.path.isabs(name) else os.path.join(root, name)
        samples.append(Sample(source, int(im["width"]), int(im["height"]), entry["boxes"], entry["classes"],
                              entry["ignore"], im.get("frame_index")))
    return samples


def _yolo_names(root: str) -> List[str]:
    txt = os.path.join(root, "classes.txt")
    if os.path.exists(txt):
        with open(txt) as f:
            return [line.strip() for line in f if line.strip()]
    yaml = os.path.join(root, "data.yaml")
    if os.path.exists(yaml):
        # The two forms exporters write: "names: [a, b]" on one line, or a block of "  0: a" / "  - a" lines.
        with open(yaml) as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            if line.strip().startswith("names:"):
                rest = line.split(":", 1)[1].strip()
                if rest.startswith("["):
                    return [n.strip().strip("'\"") for n in rest.strip("[]").split(",") if n.strip()]
                names = []
                for item in lines[i + 1:]:
                    s = item.strip()
                    if not item.startswith((" ", "\t")) or not s:
                        break
                    names.append((s[1:] if s.startswith("-") else s.split(":", 1)[1]).strip().strip("'\""))
                return names
    raise ValueError(f"{root}: a YOLO folder needs classes.txt or data.yaml with names")


def load_yolo(root: str, labels: Sequence[str], class_map: Optional[Dict[str, str]] = None) -> List[Sample]:
    """A YOLO folder: images/<name>.(jpg|png) and labels/<name>.txt with "class cx cy w h" (normalized) lines."""
    from PIL import Image

    names = _yolo_names(root)
    img_dir, lbl_dir = os.path.join(root, "images"), os.path.join(root, "labels")
    samples = []
    for fname in sorted(os.listdir(img_dir)):
        stem, ext = os.path.splitext(fname)
        if ext.lower() not in (".jpg", ".jpeg", ".png", ".bmp"):
            continue
        path = os.path.join(img_dir, fname)
        with Image.open(path) as im:
            w, h = im.size
        boxes, classes, ignore = [], [], []
        lbl = os.path.join(lbl_dir, stem + ".txt")
        if os.path.exists(lbl):
            with open(lbl) as f:
                for n, line in enumerate(f, 1):
                    parts = line.split()
                    if not parts:
                        continue
                    if len(parts) < 5:
                        raise ValueError(f"{lbl}:{n}: expected 'class cx cy w h', got {line.strip()!r}")
                    c = int(parts[0])
                    if not 0 <= c < len(names):
                        raise ValueError(f"{lbl}:{n}: class {c} is not in the {len(names)} names")
                    cx, cy, bw, bh = (float(v) for v in parts[1:5])
                    box = [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
                    target = _target(names[c], labels, class_map)
                    if target is None:
                        continue
                    if target == IGNORE:
                        ignore.append(box)
                    else:
                        boxes.append(box)
                        classes.append(labels.index(target))
        samples.append(Sample(path, w, h, boxes, classes, ignore))
    return samples


def load(spec: str, labels: Sequence[str], class_map: Optional[Dict[str, str]] = None) -> List[Sample]:
    """coco:<file.json> or yolo:<folder>."""
    kind, _, path = spec.partition(":")
    if kind == "coco":
        return load_coco(path, labels, class_map)
    if kind == "yolo":
        return load_yolo(path, labels, class_map)
    raise ValueError(f"data {spec!r}: use coco:<file.json> or yolo:<folder>")


def split_by_frame(samples: Sequence[Sample], first_held_out: int):
    """A time split of one clip: frames before `first_held_out` train, the rest are held out."""
    train = [s for s in samples if s.frame_index is not None and s.frame_index < first_held_out]
    held = [s for s in samples if s.frame_index is not None and s.frame_index >= first_held_out]
    return train, held


class FrameSource:
    """Pixels of image files and video frames (uint8 HWC RGB). Videos are decoded once, with the ffmpeg binary,
    into `<cache>/<name>.<w>x<h>.rgb`, then memory-mapped: workers share the pages instead of copying a clip."""

    def __init__(self, cache_dir: str):
        self.cache_dir = cache_dir
        self._videos: Dict[str, np.ndarray] = {}

    def video(self, path: str) -> np.ndarray:
        if path not in self._videos:
            w, h = probe_size(path)
            os.makedirs(self.cache_dir, exist_ok=True)
            raw = os.path.join(self.cache_dir, f"{os.path.basename(path)}.{w}x{h}.rgb")
            if not os.path.exists(raw):
                tmp = raw + ".tmp"
                subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", tmp],
                               check=True)
                os.replace(tmp, raw)
            frames = os.path.getsize(raw) // (w * h * 3)
            self._videos[path] = np.memmap(raw, np.uint8, "r", shape=(frames, h, w, 3))
        return self._videos[path]

    def image(self, source: str) -> np.ndarray:
        if "#" in source:
            path, frame = source.rsplit("#", 1)
            return np.asarray(self.video(path)[int(frame)])
        from PIL import Image
        with Image.open(source) as im:
            return np.asarray(im.convert("RGB"))


def probe_size(path: str):
    """(width, height) of a video's first stream, read by decoding one frame (ffprobe is not always installed)."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-i", path, "-frames:v", "1", "-f", "null", "-"],
                         capture_output=True, text=True)
    m = re.search(r"Video: .*?, (\d{2,5})x(\d{2,5})", out.stderr)
    if not m:
        raise ValueError(f"{path}: no video stream found ({out.stderr.strip().splitlines()[-1:]})")
    return int(m.group(1)), int(m.group(2))
