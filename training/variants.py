#!/usr/bin/env python3
"""Prints the parameter count and MAdds of every Mobile-Former variant's 224x224 ImageNet classifier.

    /usr/bin/python3 training/variants.py

One line per variant: `<variant> params=<millions>M madds=<millions>M`, then the paper's numbers for comparison.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from mobile_former import VARIANTS, build_classifier  # noqa: E402
from mobile_former.counting import count_madds, count_params  # noqa: E402


def measure(name: str):
    model = build_classifier(name)
    return count_params(model) / 1e6, count_madds(model, 224, 224) / 1e6


def main():
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for name, cfg in VARIANTS.items():
        params, madds = measure(name)
        print(f"{name} params={params:.2f}M madds={madds:.1f}M"
              f"    (paper: {cfg.reported_params_m}M, {cfg.reported_madds_m}M, top-1 {cfg.top1})")


if __name__ == "__main__":
    main()
