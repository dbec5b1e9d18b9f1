#!/usr/bin/env python3
"""Draws a trained checkpoint's detections on images or video frames, to look at how it does off its own scene.

    /usr/bin/python3 training/look.py --checkpoint training/runs/people/last.pt --out out/look \\
        training/data/messi5.jpg training/data/basketball1.png training/data/tree.avi#40 training/data/Megamind.avi#100

Images are stretched to the model input as the plugin does; boxes >= --threshold are drawn with their scores.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from mobile_former import augment, datasets  # noqa: E402
from mobile_former.detection import build_detector, centernet_decode  # noqa: E402
from train import input_hw, variant_cfg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threshold", type=float, default=0.3)
    p.add_argument("images", nargs="+", help="image files, or video#frame")
    a = p.parse_args(argv)
    ck = torch.load(a.checkpoint, map_location="cpu")
    m = ck["meta"]
    hw = input_hw(m["input"])
    model = build_detector(m["head"], variant_cfg(m["variant"].replace("mobile-former-", "")), len(m["labels"]), hw)
    model.load_state_dict(ck["model"])
    model.eval()
    source = datasets.FrameSource(os.path.join(HERE, "data", "cache"))
    os.makedirs(a.out, exist_ok=True)
    for spec in a.images:
        img = source.image(spec)
        h, w = img.shape[:2]
        x, _, _, _ = augment.scale_crop(img, torch.zeros(0, 4).numpy(), torch.zeros(0).long().numpy(),
                                        torch.zeros(0, 4).numpy(), hw, None)
        with torch.no_grad():
            dets = centernet_decode(*model(augment.normalize(x)[None]), stride=model.stride)[0]
        im = Image.fromarray(img)
        d = ImageDraw.Draw(im)
        shown = [t for t in dets if t[1] >= a.threshold]
        for c, s, x0, y0, x1, y1 in shown:
            box = [x0 * w / hw[1], y0 * h / hw[0], x1 * w / hw[1], y1 * h / hw[0]]
            d.rectangle(box, outline=(255, 0, 0) if c == 0 else (0, 200, 0), width=2)
            d.text((box[0] + 2, box[1] + 1), f"{m['labels'][c]} {s:.2f}", fill=(255, 255, 0))
        name = os.path.basename(spec).replace("#", "-") + ".png"
        im.save(os.path.join(a.out, name))
        print(f"{spec}: {len(shown)} detections >= {a.threshold}: "
              + ", ".join(f"{m['labels'][c]} {s:.2f}" for c, s, *_ in shown[:12]))


if __name__ == "__main__":
    main()
