"""The chapters that train: compiled steps, resuming, and rendering from results.

These run the notebooks' code cells in a plain Python process with
tools/run_cells.py, as a GPU machine without Jupyter runs them, in quick mode on the
JAX backend (the backend of the GPU runs):
- every model that a chapter's plan would train is compiled with jit_compile True
  (a layer that declares supports_jit = False would make it False, silently), and
  the chapter rendered in quick mode, with a stand-in for training, judges nothing
  and labels its tables and figures;
- chapter 6 cut off by its time budget after one training, then run again, trains
  only what is missing, in two processes side by side; the notebook run after them
  finds the results file complete, trains nothing and renders every table and
  figure;
- a results file made on another kind of machine is not topped up with runs of this
  one.
"""

import json
import os
import subprocess
import sys

import pytest

from book_layout import NOTEBOOKS, TOOLS, notebook_paths
from conftest import trains

TRAIN_TAG = "train-runs"
TRAINING_NOTEBOOKS = [path for path in notebook_paths() if trains(path)]
CHAPTER_6 = NOTEBOOKS / "06_degradation_across_depth.ipynb"
RUN_CELLS = TOOLS / "run_cells.py"


def jax_environment(**extra) -> dict:
    environment = dict(
        os.environ, KERAS_BACKEND="jax", QUICK_RUN="1", PYTHONPATH=str(TOOLS)
    )
    environment.pop("TRAIN_TIME_BUDGET", None)
    environment.pop("TRAIN_SHARD", None)
    environment.update(extra)
    return environment


def run_cells(workdir, *arguments, **extra) -> str:
    result = subprocess.run(
        [
            sys.executable,
            str(RUN_CELLS),
            str(CHAPTER_6),
            "--workdir",
            str(workdir),
            *arguments,
        ],
        capture_output=True,
        text=True,
        env=jax_environment(**extra),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


# The start of every probe: run a notebook's cells up to its training cell, in a
# fresh JAX process, leaving their namespace in `space`.
PROBE_START = (
    "import json, sys\n"
    "from pathlib import Path\n"
    "import run_cells\n"
    "notebook, workdir = Path(sys.argv[1]), Path(sys.argv[2])\n"
    "space = run_cells.execute(notebook, workdir,\n"
    f"                         stop_before_tag={TRAIN_TAG!r})\n"
)


def probe(path, workdir, body) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE_START + body, str(path), str(workdir)],
        capture_output=True,
        text=True,
        env=jax_environment(),
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return result.stdout


def test_the_training_chapters_are_found():
    names = {path.name for path in TRAINING_NOTEBOOKS}
    assert {"05_resnet30_vs_plainnet.ipynb", CHAPTER_6.name} <= names


# Chapter 6's quick plan trains its two shallower depths; its full plan also has 44 and
# 56 layers, which are built here too (building and compiling a model is cheap; only
# training is not).
FULL_PLAN_EXTRA = {
    CHAPTER_6.name: "[dict(space['PLAN'][0], blocks=blocks, family=family,\n"
    "      key=f'{family}{6 * blocks + 2}-full-plan')\n"
    " for blocks in (7, 9) for family in ('plain', 'resnet')]",
}


def compile_every_model(path) -> str:
    # Probe code: build and compile every model of the plan, printing jit_compile.
    extra = FULL_PLAN_EXTRA.get(path.name, "[]")
    return (
        f"for spec in space['PLAN'] + {extra}:\n"
        "    model = space['build_for_training'](spec)\n"
        "    print('JIT', json.dumps([spec['key'], model.jit_compile]))\n"
    )


def check_every_model_compiled(path, stdout):
    compiled = dict(
        json.loads(line[4:]) for line in stdout.splitlines() if line.startswith("JIT ")
    )
    assert compiled, stdout[-3000:]
    if path.name == CHAPTER_6.name:
        assert len(compiled) == 8, sorted(compiled)  # 4 depths x 2 families
    not_compiled = [key for key, jit in compiled.items() if jit is not True]
    assert not not_compiled, f"trained op by op: {not_compiled}"


def records(workdir) -> list[dict]:
    return json.loads((workdir / "degradation_results_quick.json").read_text())


def test_chapter_6_resumes_and_renders_from_its_results(tmp_path):
    # Cut off: the budget lets the first training start and no second one.
    output = run_cells(tmp_path, TRAIN_TIME_BUDGET="1")
    assert "0 of 4 runs found" in output and "stopped early" in output, output[-3000:]
    first = records(tmp_path)
    assert len(first) == 1 and first[0]["jit_compile"] is True

    # Resumed in two processes side by side: only the three missing runs train.
    output = run_cells(tmp_path, "--processes", "2")
    assert (
        output.count("1 of 4 runs found in degradation_results_quick.json, 3 to train")
        == 2
    ), output[-3000:]
    second = records(tmp_path)
    assert len(second) == 4 and len({record["key"] for record in second}) == 4
    assert [r for r in second if r["key"] == first[0]["key"]] == first
    assert all(record["jit_compile"] is True for record in second)
    assert {record["processes"] for record in second if record != first[0]} == {2}
    # Then the whole notebook, in a fresh namespace, finds the file complete, trains
    # nothing and renders every table and figure from it.
    assert "4 of 4 runs found in degradation_results_quick.json, 0 to train" in output
    assert "trained 0 of 4 networks" in output and "Plain-32" in output


def test_runs_of_another_machine_are_not_mixed(tmp_path):
    made_elsewhere = []
    for key in ("plain20-seed1", "resnet20-seed1"):
        made_elsewhere.append(
            {
                "key": key,
                "experiment": None,
                "jit_compile": True,
                "started": 1.8e9,
                "finished": 1.8e9 + 60,
                "processes": 1,
                "machine": {
                    "backend": "torch",
                    "backend_version": "2.11.0",
                    "keras": "3.15.1",
                    "python": "3.12.3",
                    "precision": "mixed_bfloat16",
                    "device": "NVIDIA H200",
                    "device_class": "NVIDIA H200",
                    "session": "elsewhere",
                },
            }
        )
    results = tmp_path / "degradation_results_quick.json"
    # The experiment entry must match this run's for the records to count: the probe
    # takes it from the cells before the training cell, writes the file, then runs
    # the training cell in the same namespace, which must refuse to add to the file.
    stdout = probe(
        CHAPTER_6,
        tmp_path,
        f"records = {made_elsewhere!r}\n"
        "for record in records:\n"
        "    record['experiment'] = space['EXPERIMENT']\n"
        f"Path(workdir, {results.name!r}).write_text(json.dumps(records))\n"
        "print('WRITTEN', json.dumps(records))\n"
        "try:\n"
        "    run_cells.execute(notebook, workdir, namespace=space,\n"
        f"                      start_at_tag={TRAIN_TAG!r})\n"
        "except RuntimeError as error:\n"
        "    print('REFUSED', str(error).replace(chr(10), ' '))\n",
    )
    written = json.loads(
        next(line[8:] for line in stdout.splitlines() if line.startswith("WRITTEN "))
    )
    refusal = [line for line in stdout.splitlines() if line.startswith("REFUSED ")]
    assert refusal, stdout[-3000:]
    assert "finish them on a machine like theirs" in refusal[0]
    assert json.loads(results.read_text()) == written


# A stand-in for fit_and_record that trains nothing: the records it returns have every
# field of a real one, with accuracies that differ by network by far more than by seed,
# so that a full run's verdicts would be decided. The quick page must still judge none.
FAKE_FIT = """
def fake_fit_and_record(model, train, test, batch_size, epochs, seed, eval_batch,
                        hardware, verbose=0):
    ahead = 0.2 if "resnet" in model.name else 0.0
    base = 0.5 + ahead + 0.002 * seed
    curve = [base - 0.1 / (epoch + 1) for epoch in range(epochs)]
    history = {"loss": [1.5 - value for value in curve], "accuracy": curve,
               "val_loss": [1.6 - value for value in curve],
               "val_accuracy": [value - 0.01 for value in curve]}
    return {"network": model.name, "seed": seed, "parameters": model.count_params(),
            "jit_compile": bool(model.jit_compile), "history": history,
            "epoch_seconds": [3.0] + [1.0] * (epochs - 1), "fit_seconds": epochs + 2.0,
            "compile_seconds": 2.0, "train_seconds": float(epochs),
            "steady_epoch_seconds": 1.0, "images_per_second": 100.0,
            "clean": {"train_loss": 1.0 - base, "train_accuracy": base,
                      "test_loss": 1.1 - base, "test_accuracy": base - 0.01},
            "clean_eval_seconds": 0.1, "steps_per_epoch": 1,
            "batch_size": batch_size, "eval_batch_size": eval_batch,
            "epochs": epochs}
"""
OUTCOMES = (
    "is ahead",
    "rises with depth",
    "falls with depth",
    "grows with depth",
    "shrinks with depth",
    "fits the training set better",
    "the deeper is",
    "part for good at epoch",
    "undecided",
)
QUICK_LABEL = "[quick run, not a result]"


@pytest.mark.parametrize("path", TRAINING_NOTEBOOKS, ids=lambda p: p.name)
def test_every_model_compiles_and_a_quick_page_judges_nothing(path, tmp_path):
    """One run of the chapter's cells serves two checks. Every model the plan would
    train compiles its step (jit_compile True). Then, with a stand-in for training
    whose numbers a full run would judge, the quick page prints no verdict and
    labels every table and figure as a quick run."""
    stdout = probe(
        path,
        tmp_path,
        compile_every_model(path) + f"exec({FAKE_FIT!r}, space)\n"
        "space['fit_and_record'] = space['fake_fit_and_record']\n"
        "first = len(space['_outputs']) + 1\n"
        "space = run_cells.execute(notebook, workdir, namespace=space,\n"
        f"                         start_at_tag={TRAIN_TAG!r})\n"
        "print('PAGE', json.dumps({'first': first, 'outputs': space['_outputs'],\n"
        "                          'figures': space['_figures']}))\n",
    )
    check_every_model_compiled(path, stdout)
    page = json.loads(
        next(line[5:] for line in stdout.splitlines() if line.startswith("PAGE "))
    )
    analysis = [
        (number, tags, text)
        for number, tags, text in page["outputs"]
        if number > page["first"] and "hide-input" not in tags
    ]
    text = "\n".join(text for _, _, text in analysis)
    verdicts = [line for line in text.splitlines() if "verdict:" in line]
    assert len(verdicts) >= 3, text[-3000:]
    assert all(line.endswith("verdict: not judged (quick run)") for line in verdicts), [
        line for line in verdicts if not line.endswith("not judged (quick run)")
    ]
    judged = [phrase for phrase in OUTCOMES if phrase in text]
    assert not judged, f"a quick run printed verdicts: {judged}"
    # Tables and verdicts: every analysis cell that prints several lines says quick.
    for number, tags, output in analysis:
        if output.count("\n") >= 3 and "train-runs" not in tags:
            assert QUICK_LABEL in output or "not judged (quick run)" in output, (
                f"cell {number} prints results without the quick-run label:\n"
                f"{output[:1500]}"
            )
    figures = [titles for number, titles in page["figures"] if number > page["first"]]
    assert figures, "no figure after the training cell"
    unlabelled = [
        titles
        for titles in figures
        if not any(QUICK_LABEL in title for title in titles)
    ]
    assert not unlabelled, f"figures without the quick-run label: {unlabelled}"
