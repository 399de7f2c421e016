#!/usr/bin/env python3
"""Estimate the GPU time of chapters 6 and 7's full runs from counted FLOPs.

    CIFAR10_DIR=... python tools/gpu/estimate.py [--compile-from RESULTS.json ...]
                                                 [--window 480] [--set-up 90]

For each chapter it runs the notebook's cells up to its training cell with the full
settings (no training; any copy of CIFAR-10 will do, the data only fills arrays) and
adds up the FLOPs that the plan gives each training (the chapter's own count:
training at three times the forward FLOPs, a validation pass over the test set after
every epoch, the clean evaluations of the training set after some epochs where the
chapter counts them, and the clean evaluation of both sets at the end). Time follows
from the H200's measured bf16 matrix rate, 790 TFLOP/s, at a few utilisations, since
what a small network reaches is unknown until it has run, and so does the number of GPU
windows it takes: a window of --window seconds of budget spends --set-up of them
before training (wheels, data, smoke test, the cells before training). Compile time
comes from the records named by --compile-from (the median of the first epoch's
excess over the others, from the chapter's own results file, quick or full), per
training, and is printed apart and added to the windows' time.
"""

import argparse
import json
import math
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import run_cells
from book_layout import NOTEBOOKS

CHAPTERS = ["06_resnet30_vs_plainnet.ipynb", "07_degradation_across_depth.ipynb"]
PEAK = 790e12  # bf16 matrix FLOP/s measured on the H200 (DEVELOPERS.md)
UTILISATIONS = (0.25, 0.10, 0.05, 0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compile-from", type=Path, nargs="*", default=[])
    parser.add_argument("--window", type=float, default=480.0)
    parser.add_argument("--set-up", type=float, default=90.0)
    args = parser.parse_args()
    os.environ.pop("QUICK_RUN", None)
    usable = args.window - args.set_up
    for name in CHAPTERS:
        text = (NOTEBOOKS / name).read_text()
        compiles = [
            record["compile_seconds"]
            for path in args.compile_from
            if path.name.replace("_quick", "") in text
            for record in json.loads(path.read_text())
            if record.get("compile_seconds")
        ]
        compile_each = statistics.median(compiles) if compiles else 0.0
        with run_cells.tempfile.TemporaryDirectory() as workdir:
            space = run_cells.execute(
                NOTEBOOKS / name,
                Path(workdir),
                stop_before_tag=run_cells.TRAIN_TAG,
            )
        plan = space["PLAN"]
        total = sum(spec["flops"] for spec in plan)
        runs = len(plan)
        print(f"{name}: {runs} trainings, {total / 1e15:.1f} PFLOP")
        for utilisation in UTILISATIONS:
            seconds = total / (PEAK * utilisation) + runs * compile_each
            windows = math.ceil(seconds / usable)
            print(
                f"  at {utilisation:.0%}: {total / (PEAK * utilisation) / 60:.1f} min "
                f"of training, {windows} window(s) of {args.window:.0f} s "
                f"({usable:.0f} s of training each)"
            )
        if compiles:
            print(
                f"  compiling, if every training compiles anew: {runs} x "
                f"{compile_each:.1f} s = {runs * compile_each / 60:.1f} min "
                f"(median of {len(compiles)} measured compiles)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
