"""The chapters that train: compiled steps, resuming, and rendering from results.

These run the notebooks' code cells in a plain Python process with
tools/run_cells.py, as a GPU machine without Jupyter runs them, in quick mode on the
JAX backend (the backend of the GPU runs):
- every model that a chapter's plan would train is compiled with jit_compile True
  (a layer that declares supports_jit = False would make it False, silently), and
  the chapter rendered in quick mode, with a stand-in for training, judges nothing
  and labels its tables and figures;
- chapter 7 cut off after one training, then given too short a budget in two
  processes (no shard starts a training, and the parent, after them, trains
  nothing although runs are missing), then run again in two processes, trains only
  what is missing; the notebook run after them finds the results file complete,
  trains nothing and renders every table and figure; the weights of seed 1's twins
  are kept in one file;
- both chapters' results files, cut after any number of trainings, render the
  comparisons of every complete pair (chapter 6) or pair of twins (chapter 7) to
  the last cell, and stop with a line saying so where there is none;
- chapter 7's records are the same with several steps per compiled call as with
  one, and its kept weights load back into a network that predicts as it did;
- a results file made with another backend or precision is not topped up with runs
  of this machine;
- in a stand-in Colab (a `google.colab` whose `drive.mount` makes a folder), a reader
  run that keeps its results in Drive, cut off after one training, resumes from the
  file in Drive in a new run of the notebook and trains only what is missing, and
  sets its runs beside a stand-in for the book's published results file.
"""

import json
import os
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from book_layout import NOTEBOOKS, TOOLS, notebook_paths
from conftest import trains

TRAIN_TAG = "train-runs"
TRAINING_NOTEBOOKS = [path for path in notebook_paths() if trains(path)]
CHAPTER_7 = NOTEBOOKS / "07_degradation_across_depth.ipynb"
RUN_CELLS = TOOLS / "run_cells.py"


def jax_environment(**extra) -> dict:
    environment = dict(
        os.environ, KERAS_BACKEND="jax", QUICK_RUN="1", PYTHONPATH=str(TOOLS)
    )
    for name in (
        "TRAIN_TIME_BUDGET",
        "TRAIN_DEADLINE",
        "TRAIN_PROCESSES",
        "TRAIN_RENDER_ONLY",
        "TRAIN_MAX_RUNS",
        "TRAIN_SESSION",
    ):
        environment.pop(name, None)
    environment.update(extra)
    return environment


def run_cells(workdir, *arguments, **extra) -> str:
    result = subprocess.run(
        [
            sys.executable,
            str(RUN_CELLS),
            str(CHAPTER_7),
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


def probe(path, workdir, body, **extra) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE_START + body, str(path), str(workdir)],
        capture_output=True,
        text=True,
        env=jax_environment(**extra),
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return result.stdout


def test_the_training_chapters_are_found():
    names = {path.name for path in TRAINING_NOTEBOOKS}
    assert {"06_resnet30_vs_plainnet.ipynb", CHAPTER_7.name} <= names


# Chapter 7's quick plan trains its two shallower depths; its full plan also has 44 and
# 56 layers, which are built here too (building and compiling a model is cheap; only
# training is not).
FULL_PLAN_EXTRA = {
    CHAPTER_7.name: "[dict(space['PLAN'][0], blocks=blocks, family=family,\n"
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
    if path.name == CHAPTER_7.name:
        assert len(compiled) == 8, sorted(compiled)  # 4 depths x 2 families
    not_compiled = [key for key, jit in compiled.items() if jit is not True]
    assert not not_compiled, f"trained op by op: {not_compiled}"


def records(workdir) -> list[dict]:
    return json.loads((workdir / "degradation_results_quick.json").read_text())


def test_chapter_7_resumes_and_renders_from_its_results(tmp_path):
    # Cut off after its first training.
    output = run_cells(tmp_path, TRAIN_MAX_RUNS="1")
    assert "0 of 4 runs found" in output and "stopped early" in output, output[-3000:]
    first = records(tmp_path)
    assert len(first) == 1 and first[0]["jit_compile"] is True

    # Two processes and a budget too short for any training (a run measured alone
    # counts as twice as slow beside another): neither shard starts one, and the
    # parent after them renders only, although three runs are missing.
    output = run_cells(tmp_path, "--processes", "2", TRAIN_TIME_BUDGET="4")
    assert output.count("before the deadline: not started") >= 2, output[-3000:]
    assert output.count("1 of 4 runs found in degradation_results_quick.json") == 3
    assert "no complete pair of twins yet" in output and "stopped early" in output
    assert records(tmp_path) == first

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
    assert "trained 0 of 4 networks" in output and "Plain-14" in output
    # Seed 1's twins at the shallowest and deepest depth keep their weights.
    with np.load(tmp_path / "degradation_weights_quick.npz") as weights:
        keys = {name.split("/")[0] for name in weights.files}
    assert keys == {
        "plain8-seed1",
        "resnet8-seed1",
        "plain14-seed1",
        "resnet14-seed1",
    }


def test_several_steps_per_call_change_no_record_and_weights_load_back(tmp_path):
    stdout = probe(
        CHAPTER_7,
        tmp_path,
        "import os\n"
        "import numpy as np\n"
        "os.chdir(workdir)  # where train_one keeps the weights\n"
        "spec = space['PLAN'][0]\n"
        "assert space['STEPS_PER_EXECUTION'] == 2, space['STEPS_PER_EXECUTION']\n"
        "made = {}\n"
        "for steps in (1, 2):\n"
        "    space['STEPS_PER_EXECUTION'] = steps\n"
        "    made[steps] = space['train_one'](spec)\n"
        "network = space['build_cifar_net'](spec['blocks'], shortcuts=False)\n"
        "space['load_weights'](space['WEIGHTS_FILE'], spec['key'], network)\n"
        "network.compile(metrics=['accuracy'],\n"
        "                loss='sparse_categorical_crossentropy')\n"
        "_, accuracy = network.evaluate(\n"
        "    space['x_test'], space['y_test'], verbose=0)\n"
        "print('MADE', json.dumps({'one': made[1], 'two': made[2],\n"
        "                          'loaded_accuracy': accuracy}))\n",
    )
    made = json.loads(
        next(line[5:] for line in stdout.splitlines() if line.startswith("MADE "))
    )
    one, two = made["one"], made["two"]
    assert (one["steps_per_execution"], two["steps_per_execution"]) == (1, 2)
    assert one["history"].keys() == two["history"].keys()
    for key, values in one["history"].items():
        assert np.allclose(values, two["history"][key], rtol=1e-5, atol=1e-6), key
    for key, value in one["clean"].items():
        assert value == pytest.approx(two["clean"][key], rel=1e-5, abs=1e-6), key
    # The kept weights are the second training's: loaded into a new network, they
    # classify the test images as the trained network did.
    assert made["loaded_accuracy"] == pytest.approx(two["clean"]["test_accuracy"])


def test_runs_of_another_machine_are_not_mixed(tmp_path):
    made_elsewhere = []
    for key in ("plain8-seed1", "resnet8-seed1"):
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
        CHAPTER_7,
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
                        hardware, verbose=0, clean_epochs=()):
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
            "clean_during": {"epochs": [e for e in clean_epochs if e <= epochs],
                             "train_loss": [1.0 - curve[e - 1] for e in clean_epochs
                                            if e <= epochs],
                             "train_accuracy": [curve[e - 1] for e in clean_epochs
                                                if e <= epochs],
                             "seconds": 0.1},
            "batch_size": batch_size, "eval_batch_size": eval_batch,
            "epochs": epochs}
"""
# Probe code, after a (stand-in) training of the whole quick plan: for every cut of the
# results file after k trainings in plan order, render the page again from the
# training cell on, training nothing, and report what it showed.
CUT_FILES = """
import os
os.environ['TRAIN_RENDER_ONLY'] = '1'
results_path = Path(workdir, space['RESULTS_FILE'])
complete = {r['key']: r for r in json.loads(results_path.read_text())}
ordered = [complete[spec['key']] for spec in space['PLAN']]
last_cell = len(run_cells.code_cells(notebook))
for cut in range(len(ordered) + 1):
    results_path.write_text(json.dumps(ordered[:cut]))
    space['_outputs'], space['_figures'] = [], []
    space.pop('_runs_incomplete', None)
    space = run_cells.execute(notebook, workdir, namespace=space,
                              start_at_tag='train-runs')
    text = ''.join(output for _, _, output in space['_outputs'])
    print('CUT', json.dumps({'cut': cut, 'stopped': space.get('_runs_incomplete'),
                             'shown': len(space['runs']),
                             'to_the_end': space['_outputs'][-1][0] == last_cell,
                             'incomplete_line': 'INCOMPLETE:' in text}))
"""
# What the page shows after k trainings of the quick plan: chapter 6 trains (ResNet,
# PlainNet) pairs by seed, then the modern recipe; chapter 7 pairs of twins.
SHOWN_AFTER_CUT = {
    "06_resnet30_vs_plainnet.ipynb": [None, None, 2, 2, 4, 4, 6],
    CHAPTER_7.name: [None, None, 2, 2, 4],
}


def check_cut_files(path, stdout):
    cuts = [
        json.loads(line[4:]) for line in stdout.splitlines() if line.startswith("CUT ")
    ]
    expected = SHOWN_AFTER_CUT[path.name]
    assert [cut["cut"] for cut in cuts] == list(range(len(expected))), stdout[-3000:]
    for cut, shown in zip(cuts, expected):
        if shown is None:
            assert cut["stopped"] and "yet" in cut["stopped"], cut
        else:
            assert not cut["stopped"] and cut["to_the_end"], cut
            assert cut["shown"] == shown, cut
            assert cut["incomplete_line"] == (cut["cut"] < len(expected) - 1), cut


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
# What a quick run prints in place of a verdict: stats.quick_run_note's line (or the
# older "not judged (quick run)").
QUICK_VERDICT = re.compile(
    r"verdict: not (judged|computed) \(quick run(: [\d,]+ images, \d+ epochs)?\)$",
    re.MULTILINE,
)


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
        "                          'figures': space['_figures']}))\n" + CUT_FILES,
    )
    check_every_model_compiled(path, stdout)
    check_cut_files(path, stdout)
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
    assert all(QUICK_VERDICT.search(line) for line in verdicts), [
        line for line in verdicts if not QUICK_VERDICT.search(line)
    ]
    judged = [phrase for phrase in OUTCOMES if phrase in text]
    assert not judged, f"a quick run printed verdicts: {judged}"
    # Tables and verdicts: every analysis cell that prints several lines says quick.
    for number, tags, output in analysis:
        if output.count("\n") >= 3 and "train-runs" not in tags:
            assert QUICK_LABEL in output or QUICK_VERDICT.search(output), (
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


# A stand-in for Colab's google.colab.drive (google stays a namespace package, so
# google.protobuf still imports): mount() makes the folder that Colab's would.
STAND_IN_DRIVE = """
import os


def mount(mountpoint, force_remount=False):
    os.makedirs(os.path.join(mountpoint, "MyDrive"), exist_ok=True)
    print("Mounted at", mountpoint)
"""
# Probe code: the rest of a first run with a stand-in for training, cut off after one
# training (a disconnect); then a second run of the whole notebook in a new namespace
# (after reconnecting), which finds the file in Drive and trains the rest.
RESUME_FROM_DRIVE = f"""
import os
def go_on(space):
    exec({FAKE_FIT!r}, space)
    space['fit_and_record'] = space['fake_fit_and_record']
    return run_cells.execute(notebook, workdir, namespace=space,
                             start_at_tag={TRAIN_TAG!r})
os.environ['TRAIN_MAX_RUNS'] = '1'
space = go_on(space)
first = ''.join(output for _, _, output in space['_outputs'])
del os.environ['TRAIN_MAX_RUNS']
again = go_on(run_cells.execute(notebook, workdir, stop_before_tag={TRAIN_TAG!r}))
second = ''.join(output for _, _, output in again['_outputs'])
# The comparison with the book's file, as a full run would make it, with the file in
# Drive standing in for the book's published one.
import contextlib, io
again['QUICK_RUN'] = False
# Chapter 6 keeps the quick-run note in QUICK, chapter 7 in QUICK_NOTE: a full run's
# cells see neither.
again['QUICK'] = again['QUICK_NOTE'] = False
book = Path(workdir, 'book')
book.mkdir()
published = json.loads(Path(again['RESULTS_DIR'], again['RESULTS_FILE']).read_text())
import copy
others = copy.deepcopy(published)
for record in published:  # the book's runs: same settings, other trainings
    record['started'] += 1
for record in others:  # and a second seed's worth, a little worse
    record['started'] += 2
    record['history']['val_accuracy'] = [
        0.9 * value for value in record['history']['val_accuracy']]
(book / again['RESULTS_FILE']).write_text(json.dumps(published + others))
again['BOOK_RESULTS_URL'] = book.as_uri() + '/'
# Chapter 6 fetches the book's runs in a cell of its own (BOOK), run first and
# unheard; then the cell that sets yours beside them, whose output is checked.
for cell in run_cells.code_cells(notebook):
    if cell['source'].startswith('BOOK = '):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cell['source'], again)
compare = next(cell['source'] for cell in run_cells.code_cells(notebook)
               if cell['source'].startswith('# Yours'))
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    exec(compare, again)
print('DRIVE', json.dumps({{'first': first, 'second': second,
                           'compared': printed.getvalue(),
                           'panels': [axis.get_title() for axis
                                      in again['beside_figure'].axes
                                      if axis.get_visible()],
                           'folder': again['RESULTS_DIR'],
                           'plan': [spec['key'] for spec in again['PLAN']],
                           'shown': len(again['runs']),
                           'stopped': again.get('_runs_incomplete')}}))
"""


@pytest.mark.parametrize("path", TRAINING_NOTEBOOKS, ids=lambda p: p.name)
def test_a_reader_run_in_colab_resumes_from_drive(path, tmp_path):
    standin = tmp_path / "standin" / "google" / "colab"
    standin.mkdir(parents=True)
    (standin / "__init__.py").write_text("")
    (standin / "drive.py").write_text(STAND_IN_DRIVE)
    notebook = nbformat.read(path, as_version=4)
    form = [
        cell for cell in notebook.cells if "RESULTS_IN_DRIVE = False" in cell.source
    ]
    assert len(form) == 1 and form[0].metadata.get("cellView") == "form"
    form[0].source = form[0].source.replace(
        "RESULTS_IN_DRIVE = False", "RESULTS_IN_DRIVE = True"
    )
    copy = tmp_path / path.name
    nbformat.write(notebook, copy)
    workdir, drive = tmp_path / "run", tmp_path / "drive"
    workdir.mkdir()
    stdout = probe(
        copy,
        workdir,
        RESUME_FROM_DRIVE,
        PYTHONPATH=f"{TOOLS}{os.pathsep}{tmp_path / 'standin'}",
        DRIVE_MOUNT=str(drive),
        RUN_SIZE="reader",
    )
    found = json.loads(
        next(line[6:] for line in stdout.splitlines() if line.startswith("DRIVE "))
    )
    folder = drive / "MyDrive" / "residual-networks-book"
    assert found["folder"] == str(folder)
    assert f"Mounted at {drive}" in found["first"]
    plan = found["plan"]
    assert f"0 of {len(plan)} runs found" in found["first"], found["first"][-2000:]
    assert f"1 of {len(plan)} runs found in {folder}" in found["second"], found[
        "second"
    ][-2000:]
    assert f"{len(plan) - 1} to train" in found["second"]
    assert not found["stopped"] and found["shown"] == len(plan)
    files = [path.name for path in folder.iterdir()]
    records = json.loads(
        (folder / next(n for n in files if n.endswith(".json"))).read_text()
    )
    assert [record["key"] for record in records] == plan
    assert not list(workdir.glob("*.json")), "a results file outside Drive"
    # Set beside a book's file (here the same runs as other trainings, and a worse copy
    # of them as a second seed): a table row per network of the reader run, trained in
    # either session, the data each read, a figure with a panel per network, and a line
    # per panel counting the epochs outside the book's band (none: the band holds them).
    compared = found["compared"].splitlines()
    assert "book, one more run" in compared[0], found["compared"]
    data_line = next(
        number for number, line in enumerate(compared) if line.startswith("data: yours")
    )
    assert data_line == 1 + len(plan)  # one row per network of the reader run
    assert len(found["panels"]) == len(plan)
    assert compared[data_line + 1 :] == [
        f"{name}: 0 of your epochs outside the book's band" for name in found["panels"]
    ], found["compared"]
