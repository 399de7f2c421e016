#!/usr/bin/env python3
"""Estimate the GPU time of chapters 5 and 6's full runs from counted FLOPs.

    CIFAR10_DIR=... python tools/gpu/estimate.py [--compile-from RESULTS.json ...]

For each chapter it runs the notebook's cells up to its training cell with the full
settings (no training; any copy of CIFAR-10 will do, the data only fills arrays),
builds every model of the plan, counts the multiply-adds of its convolutions and
dense layers for one image, and adds up a full run: training at three times the
forward FLOPs, a validation pass over the test set after every epoch, and the clean
evaluation of both sets at the end. Time follows from the H200's measured bf16
matrix rate, 790 TFLOP/s, at a few utilisations, since what a small network reaches
is unknown until it has run. Compile time comes from the records named by
--compile-from (the median of the first epoch's excess over the others, from the
chapter's own results file, quick or full), per training, and is printed apart.
"""

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import run_cells
from book_layout import NOTEBOOKS, SNIPPETS

CHAPTERS = ["05_resnet30_vs_plainnet.ipynb", "06_degradation_across_depth.ipynb"]
PEAK = 790e12  # bf16 matrix FLOP/s measured on the H200 (DEVELOPERS.md)
UTILISATIONS = (0.25, 0.10, 0.05)


def model_flops(model) -> int:
    """Forward FLOPs of one image, counted by the chapters' shared cost cell
    (tools/snippets/cost.py), nested models (augment -> network) included."""
    import keras

    space = {"layers": keras.layers}
    exec((SNIPPETS / "cost.py").read_text(), space)
    total = sum(space["forward_flops"](model).values())
    return total + sum(
        model_flops(layer) for layer in model.layers if isinstance(layer, keras.Model)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compile-from", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    os.environ.pop("QUICK_RUN", None)
    for name in CHAPTERS:
        text = (NOTEBOOKS / name).read_text()
        compiles = [
            record["compile_seconds"]
            for path in args.compile_from
            if path.name.replace("_quick", "") in text
            for record in json.loads(path.read_text())
            if record.get("compile_seconds")
        ]
        compile_each = statistics.median(compiles) if compiles else None
        with run_cells.tempfile.TemporaryDirectory() as workdir:
            space = run_cells.execute(
                NOTEBOOKS / name,
                Path(workdir),
                stop_before_tag=run_cells.TRAIN_TAG,
            )
        train, test = space["NUM_TRAIN"], space["NUM_TEST"]
        epochs, batch = space["EPOCHS"], space["BATCH_SIZE"]
        used = train // batch * batch
        total = 0.0
        for spec in space["PLAN"]:
            per_image = model_flops(space["build_for_training"](spec))
            total += per_image * (epochs * (3 * used + test) + train + test)
        runs = len(space["PLAN"])
        times = ", ".join(
            f"{total / (PEAK * u) / 60:.1f} min at {u:.0%}" for u in UTILISATIONS
        )
        print(f"{name}: {runs} trainings, {total / 1e15:.1f} PFLOP; {times}")
        if compile_each is not None:
            print(
                f"  compiling, if every training compiles anew: {runs} x "
                f"{compile_each:.1f} s = {runs * compile_each / 60:.1f} min "
                f"(median of {len(compiles)} measured compiles)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
