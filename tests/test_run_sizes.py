"""The run sizes of the chapters that train (full, reader, quick), without training.

Chapters 6 and 7 open with a settings form (RUN_SIZE, RESULTS_IN_DRIVE); the
environment may override it (RUN_SIZE, and QUICK_RUN=1 for CPU-sized data). These
tests run the form, the settings cell and the plan cell of each chapter with the
shared cost cell and stand-ins for what the plan cell reads (no Keras model is built),
and check each size's plan: its trainings, their order (a reader run is the start of
the full plan, so a later full run keeps its trainings), and the cost printed before
any training, counted from the same FLOPs as the plan.
"""

import contextlib
import io
import logging
import math
import os

import nbformat
import pytest

from book_layout import NOTEBOOKS, SNIPPETS

CHAPTER_6 = NOTEBOOKS / "06_resnet30_vs_plainnet.ipynb"
CHAPTER_7 = NOTEBOOKS / "07_degradation_across_depth.ipynb"
T4 = {"name": "Tesla T4", "class": "Tesla T4", "accelerator": True, "devices": []}


class NoRecords:
    def read(self):
        return []


def cell_starting(notebook, start):
    found = [c.source for c in notebook.cells if c.source.startswith(start)]
    assert len(found) == 1, start
    return found[0]


def plan_of(path, environment, hardware=T4):
    """(namespace, printed text) after the chapter's form, settings and plan cells."""
    notebook = nbformat.read(path, as_version=4)
    space = {"os": os, "logging": logging, "math": math}
    exec(cell_starting(notebook, "# @title Run settings"), space)
    exec((SNIPPETS / "cost.py").read_text(), space)
    space.update(
        HARDWARE=hardware,
        results=NoRecords(),
        DATA={"name": "stand-in"},
        EVAL_BATCH=100,
        WEIGHT_DECAY=5e-4,
        # Chapter 6's FLOPs per image, chapter 7's stand-in network (n blocks: n MFLOP).
        FLOPS_PER_IMAGE={"resnet30": 2.017e9, "plainnet30": 2.0e9},
        print_session_plan=lambda *args, **kwargs: None,
        build_cifar_net=lambda blocks: blocks,
        forward_flops=lambda blocks: {"conv": 1e6 * blocks},
    )
    saved = dict(os.environ)
    os.environ.pop("QUICK_RUN", None)
    os.environ.pop("RUN_SIZE", None)
    os.environ.update(environment)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(cell_starting(notebook, "# The settings above"), space)
            if path == CHAPTER_7:
                exec(cell_starting(notebook, "steps_per_epoch = "), space)
            exec(cell_starting(notebook, "SETTINGS = {"), space)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return space, printed.getvalue()


def keys(space):
    return [spec["key"] for spec in space["PLAN"]]


@pytest.mark.parametrize(
    "path,sizes",
    [
        (CHAPTER_6, {"full": 16, "reader": 2, "quick": 6}),
        (CHAPTER_7, {"full": 24, "reader": 4, "quick": 4}),
    ],
    ids=["chapter 6", "chapter 7"],
)
def test_each_run_size_plans_its_trainings_and_prints_their_cost_first(path, sizes):
    plans = {}
    for size, count in sizes.items():
        space, printed = plan_of(path, {"RUN_SIZE": size})
        plans[size] = space
        assert space["RUN_SIZE"] == size and space["QUICK_RUN"] == (size == "quick")
        assert len(space["PLAN"]) == count, (size, keys(space))
        flops = sum(spec["flops"] for spec in space["PLAN"])
        lines = printed.splitlines()
        planned = [line for line in lines if line.startswith("run size: ")]
        assert planned[0].startswith(f"run size: {size}; {count} trainings planned:")
        cost = f"to train: {count} of {count} trainings, {flops / 1e15:.3g} PFLOP"
        assert cost in lines, printed
        # Nothing measured on a T4: the time at its peak, a lower bound.
        minutes = flops / 65e12 / 60
        estimate = [line for line in lines if line.startswith("on Tesla T4: ")]
        assert estimate and f"at least {minutes:.0f} minutes" in estimate[0], printed
    # A reader run is the start of the full plan, with the same settings and FLOPs.
    reader, full = plans["reader"]["PLAN"], plans["full"]["PLAN"]
    assert reader == full[: len(reader)]
    assert plans["reader"]["RESULTS_FILE"] == plans["full"]["RESULTS_FILE"]
    assert plans["reader"]["SETTINGS"] == plans["full"]["SETTINGS"]
    assert plans["quick"]["RESULTS_FILE"] != plans["full"]["RESULTS_FILE"]


@pytest.mark.parametrize("path", [CHAPTER_6, CHAPTER_7], ids=["chapter 6", "chapter 7"])
def test_the_form_defaults_to_the_reader_run_and_quick_run_shrinks_any(path):
    # Run all in Colab trains the reader's run, never the full plan by accident.
    space, _ = plan_of(path, {})
    assert space["RUN_SIZE"] == "reader" and not space["QUICK_RUN"]
    full, _ = plan_of(path, {"RUN_SIZE": "full"})
    assert len(space["PLAN"]) < len(full["PLAN"])
    # The book's tests: QUICK_RUN=1 alone runs the quick plan, whatever the form says,
    # and so does QUICK_RUN=1 beside RUN_SIZE=full.
    space, _ = plan_of(path, {"QUICK_RUN": "1"})
    assert space["RUN_SIZE"] == "quick" and space["QUICK_RUN"]
    shrunk, _ = plan_of(path, {"QUICK_RUN": "1", "RUN_SIZE": "full"})
    assert shrunk["RUN_SIZE"] == "quick" and shrunk["PLAN"] == space["PLAN"]
    reader, _ = plan_of(path, {"QUICK_RUN": "1", "RUN_SIZE": "reader"})
    assert reader["RUN_SIZE"] == "reader" and reader["QUICK_RUN"]
    assert (
        reader["EPOCHS"] == space["EPOCHS"]
        and reader["NUM_TRAIN"] == space["NUM_TRAIN"]
    )
    assert len(reader["PLAN"]) <= len(space["PLAN"])
    with pytest.raises(ValueError, match="full, reader or quick"):
        plan_of(path, {"RUN_SIZE": "huge"})


def test_without_a_known_gpu_the_cost_says_so_in_one_line():
    cpu = {"name": "CPU, 2 cores", "class": "CPU", "accelerator": False, "devices": []}
    _, printed = plan_of(CHAPTER_6, {"RUN_SIZE": "quick"}, hardware=cpu)
    assert "no GPU: no estimate" in printed
    other = {"name": "gpu:0", "class": "gpu:0", "accelerator": True, "devices": []}
    _, printed = plan_of(CHAPTER_6, {"RUN_SIZE": "reader"}, hardware=other)
    assert "gpu:0: no known peak" in printed
