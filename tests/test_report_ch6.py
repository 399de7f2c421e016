"""Chapter 6's reporting cells on synthetic records of every run size (issue 39).

The chapter's form, settings and plan cells are run for the full, reader and quick
sizes with the shared cells they read; then synthetic records of that size's whole
plan (every field a real record has) go through the training cell, with a stand-in
for training that returns them, and through every cell after it: the chapter's own
reporting code, as the page runs it. No line may print nan, inf or undefined; a
quick page prints no interval or verdict, only `not computed (quick run: ...)`; the
full page prints the equivalence rule and the width of the one-pair prediction
interval; a reader page reaches a verdict, from the published spread or, where the
book's runs exist, from them.
"""

import contextlib
import io
import json
import logging
import math
import os
import re
import time

import keras
import matplotlib
import nbformat
import numpy as np
import pytest

from book_layout import NOTEBOOKS, SNIPPETS

matplotlib.use("Agg")
import matplotlib.pyplot as plt

CHAPTER_6 = NOTEBOOKS / "06_resnet30_vs_plainnet.ipynb"
BAD = re.compile(r"\b(nan|inf|undefined)\b", re.IGNORECASE)
H100 = {
    "name": "NVIDIA H100 80GB HBM3",
    "class": "NVIDIA H100 80GB HBM3",
    "accelerator": True,
    "devices": ["gpu:0"],
    "gpus": [("0", "NVIDIA H100 80GB HBM3")],
}
CPU = {
    "name": "CPU, 2 cores",
    "class": "CPU",
    "accelerator": False,
    "devices": [],
    "gpus": [],
}
SNIPPET_NAMES = ("stats", "cost", "runs", "book_results", "jpeg_effect", "report_pair")


class Results:
    def __init__(self, records=()):
        self.records = list(records)
        self.path = "stand-in.json"

    def read(self):
        return list(self.records)


def cells():
    return [
        cell
        for cell in nbformat.read(CHAPTER_6, as_version=4).cells
        if cell.cell_type == "code"
    ]


def snippet_of(cell):
    tags = cell.metadata.get("tags", [])
    return next((tag[8:] for tag in tags if tag.startswith("snippet:")), None)


def starting(start):
    found = [cell.source for cell in cells() if cell.source.startswith(start)]
    assert len(found) == 1, start
    return found[0]


def fake_record(spec, experiment, machine, rng, gap, spread, epochs, clean_epochs):
    """A record with every field that train_missing writes, accuracies drawn around
    a network's level: the ResNet `gap` above PlainNet, `spread` between seeds."""
    level = 0.80 + (gap if spec["network"] == "resnet30" else 0.0)
    level += 0.03 if spec["recipe"] == "modern" else 0.0
    level += rng.normal(0, spread)
    curve = [level - 0.3 / (epoch + 1) for epoch in range(epochs)]
    history = {
        "accuracy": [value + 0.05 for value in curve],
        "loss": [1.5 - value for value in curve],
        "val_accuracy": curve,
        "val_loss": [1.6 - value for value in curve],
    }
    started = 1.9e9 + 100 * rng.random()
    settings = experiment["settings"]
    return {
        "key": spec["key"],
        "spec": spec,
        "network": spec["network"],
        "recipe": spec["recipe"],
        "seed": spec["seed"],
        "flops_per_image": 2.0e9,
        "parameters": 15_619_990 if spec["network"] == "resnet30" else 15_447_062,
        "jit_compile": True,
        "history": history,
        "epoch_seconds": [30.0] + [10.0] * (epochs - 1),
        "fit_seconds": 10.0 * epochs + 20,
        "compile_seconds": 20.0,
        "train_seconds": 10.0 * epochs,
        "steady_epoch_seconds": 10.0,
        "images_per_second": 5000.0,
        "clean": {
            "train_loss": 1.0 - level,
            "train_accuracy": level + 0.1,
            "test_loss": 1.1 - level,
            "test_accuracy": level,
        },
        "clean_eval_seconds": 1.0,
        "steps_per_epoch": max(1, settings["train_images"] // settings["batch_size"]),
        "batch_size": settings["batch_size"],
        "eval_batch_size": settings["eval_batch_size"],
        "epochs": epochs,
        "clean_during": {
            "epochs": [e for e in clean_epochs if e <= epochs],
            "train_loss": [1.0 - curve[e - 1] for e in clean_epochs if e <= epochs],
            "train_accuracy": [curve[e - 1] for e in clean_epochs if e <= epochs],
            "seconds": 1.0,
        },
        "experiment": experiment,
        "machine": machine,
        "processes": 1,
        "started": started,
        "finished": started + 10.0 * epochs + 20,
        "deadline": started + 1e6,
    }


def render(
    size, hardware=H100, gap=0.01, spread=0.005, book_spread=None, trained_here=True
):
    """Everything the chapter prints from its form to its last cell, for one run
    size, on synthetic records; `book_spread` also stands in for the book's
    published records of the full plan, drawn with that spread."""
    space = {
        "os": os,
        "json": json,
        "logging": logging,
        "math": math,
        "re": re,
        "time": time,
        "np": np,
        "plt": plt,
        "keras": keras,
    }
    for name in SNIPPET_NAMES:
        exec((SNIPPETS / f"{name}.py").read_text(), space)
    saved = dict(os.environ)
    for name in ("QUICK_RUN", "RUN_SIZE", "TRAIN_SESSION", "TRAIN_WORKERS"):
        os.environ.pop(name, None)
    os.environ["RUN_SIZE"] = size
    printed = io.StringIO()
    rng = np.random.default_rng(7)
    try:
        with contextlib.redirect_stdout(printed):
            exec(starting("# @title Run settings"), space)
            exec(starting("# Published values"), space)
            space.update(
                HARDWARE=hardware,
                PRECISION="mixed_bfloat16",
                results=Results(),
                DATA={"name": "stand-in: the official CIFAR-10 files"},
                EVAL_BATCH=1000,
                WEIGHT_DECAY=5e-4,
                FLOPS_PER_IMAGE={"resnet30": 2.017e9, "plainnet30": 2.004e9},
                print_session_plan=lambda *args, **kwargs: None,
                train_one=None,
            )
            exec(starting("# The settings above"), space)
            exec(starting("SETTINGS = {"), space)
            machine = {
                **space["describe_machine"](hardware, "mixed_bfloat16"),
            }
            if not trained_here:
                machine["session"] = "an earlier session"
            experiment = space["EXPERIMENT"]
            epochs, clean = space["EPOCHS"], space["CLEAN_EPOCHS"]
            records = [
                fake_record(spec, experiment, machine, rng, gap, spread, epochs, clean)
                for spec in space["PLAN"]
            ]
            book = []
            if book_spread is not None:
                other = {**machine, "session": "the book's session"}
                book = [
                    fake_record(
                        spec, experiment, other, rng, gap, book_spread, epochs, clean
                    )
                    for spec in space["SIZE_PLANS"]["full"]
                ]
            space["train_on_every_gpu"] = lambda *args, **kwargs: records
            space["fetch_book_results"] = lambda name, settings: book
            space["results"] = Results(records)
            code = cells()
            start = next(
                index
                for index, cell in enumerate(code)
                if "train-runs" in cell.metadata.get("tags", [])
            )
            for cell in code[start:]:
                if snippet_of(cell) or cell.source.startswith("# Exercise"):
                    continue
                exec(cell.source, space)
                plt.close("all")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return printed.getvalue()


@pytest.fixture(autouse=True)
def quiet_figures(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)


def no_bad_words(text):
    bad = [line for line in text.splitlines() if BAD.search(line)]
    assert not bad, bad


@pytest.mark.parametrize("hardware", [H100, CPU], ids=["H100", "CPU"])
@pytest.mark.parametrize("size", ["full", "reader", "quick"])
def test_no_line_prints_nan_inf_or_undefined(size, hardware):
    text = render(size, hardware)
    no_bad_words(text)
    # Every page, a CPU's included, forecasts each run size on three GPU classes.
    for label in ("T4 (65 fp16)", "A100 (312 bf16)", "H100 (989 bf16)"):
        assert label in text, text[:3000]
    assert "1.59" in text and "published" in text


def test_a_quick_page_prints_no_interval_or_verdict():
    text = render("quick", CPU)
    no_bad_words(text)
    # The equivalence rule is a rule, not a result: every run size prints it.
    rule = (
        "rule fixed before the runs: the gap is smaller than the article's when the "
        "upper bound\n  of its 95 % interval lies below +1.59 points, larger when the "
        "lower bound lies above it,\n  and left open otherwise\n"
    )
    assert text.count(rule) == 1, text[:3000]
    text = text.replace(rule, "")
    assert "not computed (quick run: 8 images, 2 epochs)" in text
    assert "95 % interval" not in text and "95 % prediction interval" not in text
    verdicts = [line for line in text.splitlines() if "verdict:" in line]
    assert len(verdicts) >= 5
    assert all("not computed (quick run: 8 images, 2 epochs)" in v for v in verdicts)
    for phrase in (
        "is ahead",
        "undecided",
        "smaller than",
        "larger than",
        "width",
        "part for good at epoch",
        "x)",
    ):
        assert phrase not in text, phrase


def test_a_full_page_prints_the_equivalence_rule_and_the_interval_width():
    text = render("full", H100, gap=0.005, spread=0.003)
    no_bad_words(text)
    assert "rule fixed before the runs: the gap is smaller than the article's" in text
    rules = [line for line in text.splitlines() if "against the article's gap" in line]
    assert len(rules) == 2 and all(
        re.search(r"(smaller|larger) than the article's|undecided against", line)
        for line in rules
    ), rules
    assert re.search(r"prediction interval .* \(width \d+\.\d\d points\)", text)
    assert "under the published recipe:" in text
    assert "under the modern recipe:" in text
    # A gap of half a point with a spread of 0.3 points: ahead, and below +1.59.
    assert "verdict: the ResNet is ahead" in text
    assert "smaller than the article's" in text


def test_a_full_page_with_no_spread_prints_no_interval_and_no_nan():
    text = render("full", H100, gap=0.01, spread=0.0)
    no_bad_words(text)
    assert "undecided (no interval" in text


def test_a_reader_page_reaches_a_verdict_from_the_published_spread():
    text = render("reader", H100, gap=0.02, spread=0.001)
    no_bad_words(text)
    assert "He et al. 2016, Table 6" in text
    assert "verdict: the ResNet is ahead" in text
    assert re.search(r"width \d+\.\d\d points", text)


def test_a_reader_page_uses_the_books_runs_when_they_exist():
    text = render("reader", H100, gap=0.02, spread=0.001, book_spread=0.004)
    no_bad_words(text)
    assert "the book's published runs (5 and 5 seeds)" in text
    assert re.search(r"your pair, [+-]\d+\.\d\d points, is (inside|outside)", text)
    assert "book, one more run" in text  # the table of yours beside the book's


def test_a_page_rendered_from_a_file_fetches_nothing_it_does_not_need():
    text = render("full", H100, trained_here=False)
    no_bad_words(text)
    assert "no training in this notebook run" in text


def test_two_t4s_take_the_plan_in_order_and_count_gpu_hours():
    # Trainings of 1, 1 and 2 hours at a T4's 65 TFLOP/s peak, in that order, taken
    # as Kaggle's workers take them (plan order, each to the GPU free first): the two
    # 1-hour ones side by side, then the 2-hour one, 3 hours of wall time (longest
    # first would give 2), 4 GPU-hours, both lower bounds (>=: no utilisation
    # measured on a T4).
    space = {"math": math}
    exec((SNIPPETS / "cost.py").read_text(), space)
    plan = [
        {"key": str(index), "network": "resnet30", "flops": hours * 3600 * 65e12}
        for index, hours in enumerate((1, 1, 2))
    ]
    text = space["two_gpu_text"](plan, {})
    assert text == ">= 3.0 h of wall time, >= 4 GPU-hours", text
    # Measured at half the peak on a T4: twice as long, marked as an estimate.
    measured = {("resnet30", "T4"): (0.5, 3, "Tesla T4")}
    text = space["two_gpu_text"](plan, measured)
    assert text == "~ 6.0 h of wall time, ~ 8 GPU-hours", text
