"""Chapter 7's reporting cells on synthetic records of every run size.

The chapter's cells from the training cell to the exercises (and the cell of
published numbers before them) run in a plain namespace with the shared cells they
call, on records made up for the test: the full plan (four depths, three seeds), a
reader run (20 and 56 layers, one seed; with and without the book's published file
beside it) and a quick run. No line they print may say nan, inf or undefined; a
quick run prints "not computed (quick run: ...)" in place of every interval,
verdict and power line; the other sizes reach verdicts.
"""

import contextlib
import io
import json
import math
import os
import re
import time

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from keras import layers
from matplotlib.ticker import MaxNLocator

from book_layout import NOTEBOOKS, SNIPPETS

CHAPTER_7 = NOTEBOOKS / "07_degradation_across_depth.ipynb"
TRAIN_TAG = "train-runs"
UNDEFINED = re.compile(r"\bnan\b|\binf\b|undefined", re.IGNORECASE)
DATA = (
    "exact subset of the official CIFAR-10 files (5,397 training and 1,017 test images)"
)
SIZES = {
    "full": ((20, 32, 44, 56), (1, 2, 3), False),
    "reader": ((20, 56), (1,), False),
    "quick": ((8, 14), (1,), True),
}


def accuracy(family, depth, seed, shift=0.0):
    # Plain networks degrade with depth, ResNets improve; seeds differ a little, and
    # deep plain networks differ most.
    if family == "plain":
        base = 0.92 - 0.0015 * (depth - 20) - 0.0004 * seed * depth / 20
    else:
        base = 0.91 + 0.0003 * (depth - 20) + 0.002 * ((seed * 7) % 3 - 1)
    return base + shift


def record(family, depth, seed, settings, session, started, shift=0.0):
    epochs = settings["epochs"]
    final = accuracy(family, depth, seed, shift)
    curve = [final - 0.3 / (epoch + 1) for epoch in range(epochs)]
    return {
        "key": f"{family}{depth}-seed{seed}",
        "family": family,
        "depth": depth,
        "seed": seed,
        "network": f"{family}{depth}",
        "parameters": 1000 * depth,
        "history": {
            "accuracy": curve,
            "val_accuracy": [value - 0.01 for value in curve],
            "loss": [1 - value for value in curve],
            "val_loss": [1.1 - value for value in curve],
        },
        "clean": {
            "train_accuracy": final + 0.02,
            "test_accuracy": final,
            "train_loss": 0.1,
            "test_loss": 0.3,
        },
        "machine": {
            "session": session,
            "device": "Tesla T4",
            "backend": "jax",
            "backend_version": "0.7",
            "keras": "3.15.1",
            "precision": "mixed_float16",
        },
        "experiment": {"settings": settings, "data": {"name": DATA}},
        "started": started,
        "finished": started + 600.0,
        "jit_compile": True,
        "processes": 1,
        "images_per_second": 5000.0,
        "steady_epoch_seconds": 10.0,
        "compile_seconds": 20.0,
        "fit_seconds": 300.0,
    }


def records(depths, seeds, settings, session, shift=0.0, start=1.9e9):
    made = []
    for seed in seeds:
        for depth in depths:
            for family in ("plain", "resnet"):
                made.append(
                    record(
                        family,
                        depth,
                        seed,
                        settings,
                        session,
                        start + 700 * len(made),
                        shift,
                    )
                )
    return made


def reporting_cells():
    notebook = nbformat.read(CHAPTER_7, as_version=4)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    start = next(
        number
        for number, cell in enumerate(cells)
        if TRAIN_TAG in cell.metadata.get("tags", [])
    )
    stop = next(
        number
        for number, cell in enumerate(cells)
        if cell.source.startswith("# Exercise")
    )
    published = [c.source for c in cells if "PUBLISHED_RESNET_ERROR = {" in c.source]
    assert len(published) == 1
    return published + [cell.source for cell in cells[start + 1 : stop]]


def render(size, tmp_path, book_file=None):
    """Run the reporting cells on synthetic records of `size`; return the text."""
    depths, seeds, quick = SIZES[size]
    epochs, num_train = (2, 256) if quick else (30, 50_000)
    settings = {
        "epochs": epochs,
        "train_images": num_train,
        "test_images": 128 if quick else 10_000,
        "quick_run": quick,
    }
    space = {
        "np": np,
        "os": os,
        "keras": keras,
        "layers": layers,
        "math": math,
        "json": json,
        "time": time,
        "plt": plt,
        "MaxNLocator": MaxNLocator,
    }
    for name in ("runs", "cifar_family", "depth_report"):
        exec((SNIPPETS / f"{name}.py").read_text(), space)
    results_file = (
        "degradation_results_quick.json" if quick else "degradation_results.json"
    )
    space.update(
        EPOCHS=epochs,
        NUM_TRAIN=num_train,
        QUICK_RUN=quick,
        TOTAL_STEPS=epochs * (num_train // 128),
        RESULTS_FILE=results_file,
        EXPERIMENT={"settings": settings, "data": {"name": DATA}},
        HARDWARE={"name": "Tesla T4", "accelerator": True, "gpus": []},
        PRECISION="mixed_float16",
        NOTEBOOK_START=time.perf_counter(),
    )
    space["runs"] = records(depths, seeds, settings, space["SESSION"])
    folder = tmp_path / f"book-{size}"
    folder.mkdir()
    if book_file is not None:
        (folder / results_file).write_text(json.dumps(book_file(settings)))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for source in reporting_cells():
            exec(source, space)
            # The book's published file: a folder of this test, never the internet.
            space["BOOK_RESULTS_URL"] = folder.as_uri() + "/"
            plt.close("all")
    return printed.getvalue(), space


def book_runs(settings):
    # The book's full run: three seeds of every network, a little worse than yours.
    return records(
        (20, 32, 44, 56), (1, 2, 3), settings, "book-session", shift=-0.003, start=1.8e9
    )


@pytest.mark.parametrize(
    "size, book",
    [("full", None), ("reader", None), ("reader", book_runs), ("quick", None)],
    ids=["full", "reader", "reader beside the book", "quick"],
)
def test_no_reporting_line_is_undefined(size, book, tmp_path):
    text, space = render(size, tmp_path, book)
    bad = [line for line in text.splitlines() if UNDEFINED.search(line)]
    assert not bad, "\n".join(bad)
    verdicts = [line for line in text.splitlines() if "verdict:" in line]
    assert len(verdicts) >= 3, text
    if size == "quick":
        note = "not computed (quick run: 256 images, 2 epochs)"
        assert all(line.endswith(note) for line in verdicts), verdicts
        assert f"power of the 3-seed design: {note}" in text
        assert "These rows are not results" in text
        for word in ("interval", "undecided", "found "):
            assert not [
                line
                for line in text.splitlines()
                if word in line and "prediction" not in line
            ], word
    else:
        assert not any("not computed" in line for line in verdicts), verdicts
        assert "95 % interval" in text
        assert "found" in text and "of the time" in text  # the power lines
        assert set(space["VERDICTS"]) == {"P1", "P2", "P3"}
        assert all(
            not value.startswith("not computed") for value in space["VERDICTS"].values()
        )
    if size == "reader":
        source = "book's published runs" if book else "stated: He et al.'s"
        assert "judged with a spread of" in text and source in text, text
    if size == "full":
        assert "HC3" in text and "Holm" in text and "Exploratory" in text
        # Synthetic plain networks degrade and their gap grows: decided.
        assert space["VERDICTS"]["P1"].startswith("the deeper is worse"), space[
            "VERDICTS"
        ]
        assert space["VERDICTS"]["P2"] == "grows with depth"


def snippet(*names):
    space = {"np": np, "math": math}
    for name in names:
        exec((SNIPPETS / f"{name}.py").read_text(), space)
    return space


def test_hc3_growth_recovers_a_known_interaction():
    stats = snippet("stats", "depth_stats")
    rng = np.random.default_rng(0)
    depths = np.repeat([20, 32, 44, 56], 3).tolist() * 2
    resnet = [0] * 12 + [1] * 12
    # The gap grows by 0.1 points per layer; the plain networks are noisier.
    errors = [
        (10 + 0.05 * d + rng.normal(0, 0.6))
        if r == 0
        else (12 - 0.05 * d + rng.normal(0, 0.1))
        for d, r in zip(depths, resnet)
    ]
    result = stats["gap_growth_hc3"](depths, resnet, errors)
    assert result["low"] < 0.1 < result["high"]
    assert result["difference"] == pytest.approx(0.1, abs=0.03)
    # Exactly linear data leave no residual and no interval, never nan text.
    flat = stats["gap_growth_hc3"](depths, resnet, [d * 0.1 for d in depths])
    assert flat["difference"] == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(flat["low"])


def test_hc3_errors_by_hand_on_a_small_fit():
    # HC3 by its definition on a tiny design: (X'X)^-1 X' diag(e^2/(1-h)^2) X (X'X)^-1.
    stats = snippet("stats", "depth_stats")
    depths = [20, 20, 56, 56, 20, 20, 56, 56]
    resnet = [0, 0, 0, 0, 1, 1, 1, 1]
    errors = [10.0, 10.4, 14.0, 15.2, 9.0, 9.2, 8.1, 8.3]
    x = np.column_stack([np.ones(8), depths, resnet, np.multiply(resnet, depths)])
    inverse = np.linalg.inv(x.T @ x)
    residuals = errors - x @ (inverse @ x.T @ errors)
    leverage = np.diag(x @ inverse @ x.T)
    middle = x.T @ np.diag(residuals**2 / (1 - leverage) ** 2) @ x
    expected = math.sqrt((inverse @ middle @ inverse)[3, 3])
    result = stats["gap_growth_hc3"](depths, resnet, errors)
    assert result["error"] == pytest.approx(expected)


def test_holm_and_single_runs():
    stats = snippet("stats", "depth_stats")
    holm = stats["holm"]
    assert holm([0.01, 0.04, 0.03]) == [True, False, False]  # 0.01 < 0.05/3 only
    assert holm([0.01, 0.02, 0.04]) == [True, True, True]  # 0.02 < 0.025, 0.04 < 0.05
    assert holm([0.2, 0.3, 0.5]) == [False, False, False]
    one = stats["single_runs"](1.0, 0.5, 2)  # known spread: normal quantile
    assert one["high"] - one["difference"] == pytest.approx(1.959964 * 0.5 * 2**0.5)
    assert stats["p_value"](one) == pytest.approx(
        2 * (1 - 0.5 * (1 + math.erf(1 / (0.5 * 2**0.5) / 2**0.5)))
    )
