#!/usr/bin/env python3
"""Trains a Mobile-Former detector on synthetic shapes; resumable; logs loss, throughput and held-out mAP.

    /usr/bin/python3 training/train.py --run demo --variant 52m --head centernet --input 256 --images 20000

A run lives in training/runs/<run>/: `last.pt` (model, optimizer, step; written every --checkpoint-every steps and on
exit), `best.pt` (best held-out mAP@0.5), `log.jsonl` (one line per --log-every steps and per evaluation). Starting
the same command again resumes from `last.pt`: sample i of the stream is a pure function of (seed, i), so a resumed run
sees exactly the images it would have seen.
"""
import argparse
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
from mobile_former.data import SceneStream, collate, held_out  # noqa: E402
from mobile_former.detection import (build_detector, centernet_decode, centernet_loss, centernet_targets,  # noqa: E402
                                     detr_decode, detr_loss)
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
    return p.parse_args(argv)


def input_hw(spec: str):
    if "x" in spec:
        w, h = spec.lower().split("x")
        return int(h), int(w)
    return int(spec), int(spec)


def variant_cfg(name: str):
    return mf_model.tiny_variant() if name == "tiny" else mf_model.variant(name)


def evaluate(model, head, data, hw, batch=16):
    model.eval()
    dets, gts = [], []
    with torch.no_grad():
        for i in range(0, len(data), batch):
            chunk = data[i:i + batch]
            x = torch.stack([c[0] for c in chunk])
            out = model(x)
            if head == "centernet":
                dets += centernet_decode(*out, stride=model.stride)
            else:
                dets += detr_decode(*out, width=hw[1], height=hw[0])
            gts += [(c[1].numpy(), c[2].numpy()) for c in chunk]
    model.train()
    return mean_ap(dets, gts, len(synthetic.CLASSES))


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    hw = input_hw(a.input)
    run_dir = os.path.join(HERE, "runs", a.run)
    os.makedirs(run_dir, exist_ok=True)
    cfg = variant_cfg(a.variant)
    num_classes = len(synthetic.CLASSES)
    model = build_detector(a.head, cfg, num_classes, hw)
    lr = a.lr or (2e-3 if a.head == "centernet" else 2e-4)
    clip = a.clip or (5.0 if a.head == "centernet" else 0.1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=a.weight_decay)
    total_steps = max(1, a.images // a.batch)
    step, best, elapsed_before = 0, -1.0, 0.0
    last_path = os.path.join(run_dir, "last.pt")
    if os.path.exists(last_path):
        ck = torch.load(last_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, best, elapsed_before = ck["step"], ck.get("best", -1.0), ck.get("elapsed_s", 0.0)
        print(f"resumed {a.run} at step {step}/{total_steps} ({step * a.batch} images)", flush=True)
    meta = {"variant": cfg.name, "head": a.head, "input": f"{hw[1]}x{hw[0]}", "resize": a.resize,
            "labels": list(synthetic.CLASSES), "batch": a.batch, "lr": lr, "images": a.images, "seed": a.seed}
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump(meta, f, indent=1)
    log = open(os.path.join(run_dir, "log.jsonl"), "a")
    eval_set = held_out(a.eval_images, hw, a.resize)

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
    loader = torch.utils.data.DataLoader(SceneStream(a.seed, step * a.batch, hw, a.resize), batch_size=a.batch,
                                         collate_fn=collate, num_workers=1, prefetch_factor=2)
    started = time.time()
    window_t, window_n = time.time(), 0
    model.train()
    for x, boxes, classes in loader:
        if step >= total_steps or stop["now"]:
            break
        if a.max_minutes and time.time() - started > a.max_minutes * 60:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        if a.head == "centernet":
            raw = model.forward_raw(x)
            oh, ow = raw[0].shape[2], raw[0].shape[3]
            targets = centernet_targets(boxes, classes, num_classes, oh, ow, model.stride)
            loss, parts = centernet_loss(raw, targets)
        else:
            scale = torch.tensor([hw[1], hw[0], hw[1], hw[0]], dtype=torch.float32)
            gt = [torch.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]],
                              dim=1) / scale if len(b) else b.view(0, 4) for b in boxes]
            loss, parts = detr_loss(model.forward_all(x), classes, gt, num_classes)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
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
            m = evaluate(model, a.head, eval_set, hw)
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
