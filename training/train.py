#!/usr/bin/env python3
"""Trains a Mobile-Former detector on synthetic shapes or on real labelled data; resumable; logs loss, throughput and
held-out mAP.

    /usr/bin/python3 training/train.py --run demo --variant 52m --head centernet --input 256 --images 20000
    /usr/bin/python3 training/train.py --run people --data coco:training/labels/vtest-teacher.json \
        --labels person,vehicle --held-out-from 595 --negatives training/data/tree.avi --input 320 --images 16000

Real data (--data): a COCO JSON (coco:FILE) or a YOLO folder (yolo:DIR), --class-map to rename its classes
("car=vehicle,rider=ignore"), ignore regions (iscrowd / ignore flags) that cost no loss, a held-out split by frame
(--held-out-from) or a separate --val set, and the augmentation of mobile_former/augment.py.
--device cuda trains on a GPU with mixed precision (float16 autocast and a gradient scaler).

A run lives in training/runs/<run>/: `last.pt` (model, optimizer, step; written every --checkpoint-every steps and on
exit), `best.pt` (best held-out mAP@0.5), `log.jsonl` (one line per --log-every steps and per evaluation). Starting
the same command again resumes from `last.pt`: sample i of the stream is a pure function of (seed, i), so a resumed run
sees exactly the images it would have seen.
"""
import argparse
import contextlib
import json
import math
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from mobile_former import model as mf_model  # noqa: E402
from mobile_former import synthetic  # noqa: E402
from mobile_former import augment, datasets, real  # noqa: E402
from mobile_former.data import SceneStream, collate, held_out  # noqa: E402
from mobile_former.detection import (build_detector, centernet_decode, centernet_loss, centernet_targets,  # noqa: E402
                                     detr_decode, detr_loss, ignore_mask)
from mobile_former.metrics import mean_ap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="run name: training/runs/<run>")
    p.add_argument("--variant", default="52m", help="26m, 52m, 96m, 151m, 214m, 294m, 508m or tiny")
    p.add_argument("--head", default="centernet", choices=["centernet", "detr"])
    p.add_argument("--input", default="256", help="model input: 256 or 320x256 (W x H)")
    p.add_argument("--resize", default="stretch", choices=["stretch", "letterbox"])
    p.add_argument("--images", type=int, default=20000, help="total training images (sets the schedule length)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=None, help="default 2e-3 (centernet), 2e-4 (detr)")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup", type=int, default=200, help="warmup steps")
    p.add_argument("--clip", type=float, default=None, help="gradient-norm clip; default 5 (centernet), 0.1 (detr)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-images", type=int, default=300)
    p.add_argument("--eval-every", type=int, default=150, help="steps between held-out evaluations")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--checkpoint-every", type=int, default=25)
    p.add_argument("--max-minutes", type=float, default=0, help="stop (resumable) after this long; 0 = no limit")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (cuda when available)")
    g = p.add_argument_group("real data")
    g.add_argument("--data", help="coco:FILE.json or yolo:DIR; without it, synthetic shapes")
    g.add_argument("--labels", default="person,vehicle", help="the model's labels, in output order")
    g.add_argument("--class-map", help='data set name -> label or "ignore": "car=vehicle,rider=ignore"')
    g.add_argument("--held-out-from", type=int, help="frames from this index on are held out (time split)")
    g.add_argument("--val", help="a separate held-out set (coco:/yolo:) instead of --held-out-from")
    g.add_argument("--negatives", default="", help="comma-separated videos or images with none of the objects")
    g.add_argument("--paste-crops", type=int, default=400, help="crops of labelled objects to paste (0: off)")
    g.add_argument("--zoom", default="0.7,1.6", help="random zoom range of the scale-and-crop augmentation")
    g.add_argument("--cache-dir", default=os.path.join(HERE, "data", "cache"), help="decoded video frames")
    return p.parse_args(argv)


def input_hw(spec: str):
    if "x" in spec:
        w, h = spec.lower().split("x")
        return int(h), int(w)
    return int(spec), int(spec)


def variant_cfg(name: str):
    return mf_model.tiny_variant() if name == "tiny" else mf_model.variant(name)


def evaluate(model, head, data, hw, num_classes, device="cpu", batch=16):
    """mAP on (x, boxes, classes[, ignore]) samples."""
    model.eval()
    dets, gts = [], []
    with torch.no_grad():
        for i in range(0, len(data), batch):
            chunk = data[i:i + batch]
            x = torch.stack([c[0] for c in chunk]).to(device)
            out = [o.float().cpu() for o in model(x)]
            if head == "centernet":
                dets += centernet_decode(*out, stride=model.stride)
            else:
                dets += detr_decode(*out, width=hw[1], height=hw[0])
            gts += [tuple(t.numpy() for t in c[1:]) for c in chunk]
    model.train()
    return mean_ap(dets, gts, num_classes)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {name}: PyTorch sees no CUDA device (torch.cuda.is_available() is False)")
    return dev


def expand_negatives(spec: str, cache_dir: str):
    """Videos become every 5th of their frames ("clip.avi#i"); images stay as they are."""
    out = []
    source = datasets.FrameSource(cache_dir)
    for path in filter(None, (p.strip() for p in spec.split(","))):
        if path.lower().endswith((".jpg", ".jpeg", ".png", ".bmp")):
            out.append(path)
        else:
            out += [f"{path}#{i}" for i in range(0, len(source.video(path)), 5)]
    return out


def real_data(a, hw):
    """(training stream factory, held-out eval set, labels) from --data and friends."""
    labels = [s.strip() for s in a.labels.split(",") if s.strip()]
    cmap = datasets.parse_class_map(a.class_map, labels)
    samples = datasets.load(a.data, labels, cmap)
    if a.val:
        train, val = samples, datasets.load(a.val, labels, cmap)
    elif a.held_out_from is not None:
        train, val = datasets.split_by_frame(samples, a.held_out_from)
    else:
        raise SystemExit("--data needs --held-out-from N or --val SPEC: mAP is measured on held-out data")
    if not train or not val:
        raise SystemExit(f"--data {a.data}: {len(train)} training and {len(val)} held-out images; both must be > 0")
    print(f"real data: {len(train)} training images ({sum(len(s.boxes) for s in train)} boxes, "
          f"{sum(len(s.ignore) for s in train)} ignore regions), {len(val)} held out", flush=True)
    crops = augment.crop_bank(train, datasets.FrameSource(a.cache_dir), a.paste_crops, seed=a.seed) \
        if a.paste_crops else []
    negatives = expand_negatives(a.negatives, a.cache_dir)
    zoom = tuple(float(v) for v in a.zoom.split(","))

    def stream(start):
        return real.RealStream(a.seed, start, train, hw, a.cache_dir, negatives, crops, zoom)
    return stream, real.eval_set(val, hw, a.cache_dir), labels


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    hw = input_hw(a.input)
    run_dir = os.path.join(HERE, "runs", a.run)
    os.makedirs(run_dir, exist_ok=True)
    cfg = variant_cfg(a.variant)
    device = pick_device(a.device)
    amp = device.type == "cuda"
    if a.data:
        stream, eval_set, labels = real_data(a, hw)
    else:
        labels = list(synthetic.CLASSES)
        eval_set = held_out(a.eval_images, hw, a.resize)

        def stream(start):
            return SceneStream(a.seed, start, hw, a.resize)
    num_classes = len(labels)
    model = build_detector(a.head, cfg, num_classes, hw).to(device)
    scaler = torch.cuda.amp.GradScaler(enabled=amp)

    def autocast():
        # float16 autocast on CUDA only; CPU training stays float32 (CPU autocast supports bfloat16 alone).
        return torch.autocast("cuda", dtype=torch.float16) if amp else contextlib.nullcontext()
    lr = a.lr or (2e-3 if a.head == "centernet" else 2e-4)
    clip = a.clip or (5.0 if a.head == "centernet" else 0.1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=a.weight_decay)
    total_steps = max(1, a.images // a.batch)
    step, best, elapsed_before = 0, -1.0, 0.0
    last_path = os.path.join(run_dir, "last.pt")
    if os.path.exists(last_path):
        ck = torch.load(last_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, best, elapsed_before = ck["step"], ck.get("best", -1.0), ck.get("elapsed_s", 0.0)
        print(f"resumed {a.run} at step {step}/{total_steps} ({step * a.batch} images)", flush=True)
    meta = {"variant": cfg.name, "head": a.head, "input": f"{hw[1]}x{hw[0]}", "resize": a.resize,
            "labels": labels, "batch": a.batch, "lr": lr, "images": a.images, "seed": a.seed,
            "data": a.data or "synthetic", "device": str(device)}
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump(meta, f, indent=1)
    log = open(os.path.join(run_dir, "log.jsonl"), "a")

    def lr_at(s):
        if s < a.warmup:
            return lr * (s + 1) / a.warmup
        t = (s - a.warmup) / max(1, total_steps - a.warmup)
        return lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))

    def save(path, extra=None):
        tmp = path + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "best": best,
                    "elapsed_s": elapsed_before + time.time() - started, "meta": meta, **(extra or {})}, tmp)
        os.replace(tmp, path)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    loader = torch.utils.data.DataLoader(stream(step * a.batch), batch_size=a.batch,
                                         collate_fn=real.collate if a.data else collate, num_workers=1,
                                         prefetch_factor=2)
    started = time.time()
    window_t, window_n = time.time(), 0
    model.train()
    for x, boxes, classes, *rest in loader:
        if step >= total_steps or stop["now"]:
            break
        if a.max_minutes and time.time() - started > a.max_minutes * 60:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x = x.to(device, non_blocking=True)
        if a.head == "centernet":
            with autocast():
                raw = model.forward_raw(x)
            oh, ow = raw[0].shape[2], raw[0].shape[3]
            targets = [t.to(device) for t in centernet_targets(boxes, classes, num_classes, oh, ow, model.stride)]
            ignore = ignore_mask(rest[0], oh, ow, model.stride).to(device) if rest else None
            loss, parts = centernet_loss(raw, targets, ignore=ignore)
        else:
            scale = torch.tensor([hw[1], hw[0], hw[1], hw[0]], dtype=torch.float32)
            gt = [torch.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]],
                              dim=1) / scale if len(b) else b.view(0, 4) for b in boxes]
            with autocast():
                outs = model.forward_all(x)
            loss, parts = detr_loss([(lg.float(), bx.float()) for lg, bx in outs], [c.to(device) for c in classes],
                                    [g.to(device) for g in gt], num_classes)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        scaler.step(opt)
        scaler.update()
        step += 1
        window_n += x.shape[0]
        if step % a.log_every == 0:
            now = time.time()
            rec = {"step": step, "images": step * a.batch, "loss": round(float(loss), 4),
                   **{k: round(v, 4) for k, v in parts.items()}, "grad_norm": round(float(gnorm), 3),
                   "lr": lr_at(step - 1), "img_per_s": round(window_n / (now - window_t), 2),
                   "elapsed_s": round(elapsed_before + now - started, 1)}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            window_t, window_n = now, 0
        if step % a.checkpoint_every == 0:
            save(last_path)
        if step % a.eval_every == 0 or step == total_steps:
            m = evaluate(model, a.head, eval_set, hw, num_classes, device)
            rec = {"step": step, "images": step * a.batch, "eval": m}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            if m["map50"] > best:
                best = m["map50"]
                save(os.path.join(run_dir, "best.pt"), {"eval": m})
    save(last_path)
    print(f"stopped at step {step}/{total_steps}; best mAP@0.5 {best:.3f}", flush=True)


if __name__ == "__main__":
    main()
