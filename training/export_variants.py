#!/usr/bin/env python3
"""Exports every paper variant with random weights, for parity tests and benchmarks (files of 7-60 MB: never
committed).

    /usr/bin/python3 training/export_variants.py [--out build/models] [--input 256] [--heads centernet,detr]

Writes <out>/mobile-former-<variant>-<head>.onnx (+ model cards) and checks each export against the float64
reference (max abs diff printed by export.py).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import export  # noqa: E402
from mobile_former import VARIANTS  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="build/models")
    p.add_argument("--input", default="256")
    p.add_argument("--heads", default="centernet,detr")
    p.add_argument("--variants", default=",".join(v.replace("mobile-former-", "") for v in VARIANTS))
    p.add_argument("--no-check", action="store_true", help="skip the NumPy comparison (faster)")
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    for v in a.variants.split(","):
        for head in a.heads.split(","):
            out = os.path.join(a.out, f"mobile-former-{v}-{head}.onnx")
            args = ["--random", "--variant", v, "--head", head, "--input", a.input, "--out", out]
            export.main(args + (["--no-check"] if a.no_check else []))


if __name__ == "__main__":
    main()
