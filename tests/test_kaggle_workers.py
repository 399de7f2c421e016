"""Kaggle mode and one worker per GPU, rehearsed on this CPU.

A stand-in chapter is built from the shared cells a training chapter uses (device,
loader, epoch timer, runs, cost, results folder, GPU workers) around a plan of small
networks on random images, and run by nbclient in a real kernel, as Kaggle runs a
notebook:

- the two-worker rehearsal: the plan trained by TRAIN_WORKERS=1 and then by
  TRAIN_WORKERS=2 worker processes (on a CPU each worker has a core of its own, as on
  Kaggle each has a GPU of its own): the plan split over both, every record merged
  into one results file, none lost and none trained twice, and the speed-up measured;
- a stand-in Kaggle environment (KAGGLE_KERNEL_RUN_TYPE, a working folder, an input
  folder holding an earlier version's output): the results land in the working
  folder, and a second version resumes from the attached input and trains only what
  the first lacked.

The same stand-in Kaggle runs of chapters 6 and 7 (quick) wait on those chapters
taking in the shared cells (results_folder with the file names, gpu_workers and
train_on_every_gpu): until then they are skipped, and say so.
"""

import json
import os
import shutil
import time

import nbformat
import pytest
from nbclient import NotebookClient

from book_layout import NOTEBOOKS, SNIPPETS

# One worker of `make test` runs them all: the rehearsal's runs are shared by the
# tests of this module, and its timings mean more without a second copy beside it.
pytestmark = pytest.mark.xdist_group("kaggle-rehearsal")

STAND_IN = [
    "import json\nimport os\nimport time\n\nimport keras\nimport numpy as np\n"
    "from keras import layers\n\nRESULTS_IN_DRIVE = False\nPRECISION = 'float32'",
    "snippet:device",
    "snippet:cifar10_loader",
    "snippet:epoch_timer",
    "snippet:runs",
    "snippet:cost",
    "snippet:results_folder",
    "snippet:gpu_workers",
    """\
RUNS_PLANNED = int(os.environ.get("REHEARSAL_RUNS", "6"))
EPOCHS, BATCH, NUM_TRAIN, NUM_TEST = 3, 64, 512, 64
RESULTS_FILE, WEIGHTS_FILE = "rehearsal_results.json", "rehearsal_weights.npz"
RESULTS_DIR = results_folder(RESULTS_IN_DRIVE, [RESULTS_FILE, WEIGHTS_FILE])
results = ResultsFile(os.path.join(RESULTS_DIR, RESULTS_FILE))
generator = np.random.default_rng(0)
x_all = generator.integers(0, 256, (NUM_TRAIN + NUM_TEST, 32, 32, 3), dtype="uint8")
y_all = generator.integers(0, 10, NUM_TRAIN + NUM_TEST).astype("int32")
DATA = describe_data(x_all[:NUM_TRAIN], x_all[NUM_TRAIN:], NUM_TRAIN, NUM_TEST)
x_train = x_all[:NUM_TRAIN].astype("float32") / 255
x_test = x_all[NUM_TRAIN:].astype("float32") / 255
y_train, y_test = y_all[:NUM_TRAIN], y_all[NUM_TRAIN:]


def build(seed):
    keras.utils.set_random_seed(seed)
    image = keras.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(image)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(image, layers.Dense(10, activation="softmax")(x), name="net")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_one(spec):
    model = build(spec["seed"])
    record = fit_and_record(model, (x_train, y_train), (x_test, y_test), BATCH, EPOCHS,
                            spec["seed"], NUM_TEST, HARDWARE)
    if spec["seed"] <= 2:
        weights = os.path.join(RESULTS_DIR, WEIGHTS_FILE)
        results.keep_weights(weights, spec["key"], model)
    return record


EXPERIMENT = {"settings": {"epochs": EPOCHS, "quick_run": True}, "data": DATA}
FLOPS = sum(forward_flops(build(1)).values())
PLAN = [{"key": f"net-seed{seed}", "seed": seed, "layers": 3,
         "flops": training_flops(FLOPS, EPOCHS, NUM_TRAIN, NUM_TRAIN, NUM_TEST)}
        for seed in range(1, RUNS_PLANNED + 1)]
print_session_plan(PLAN, HARDWARE, done=[record["key"] for record in results.read()])
""",
    """\
runs = train_on_every_gpu(PLAN, train_one, results, EXPERIMENT,
                          describe_machine(HARDWARE, PRECISION),
                          first_rate=cautious_rate(HARDWARE))
print(len(runs), "runs in the results file")
""",
    "print('LAST_WORKERS', json.dumps(LAST_WORKERS))",
]


def stand_in_notebook():
    cells = []
    for source in STAND_IN:
        if source.startswith("snippet:"):
            source = (SNIPPETS / f"{source.split(':')[1]}.py").read_text()
        cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.v4.new_notebook(cells=cells)


def run(notebook, folder, **environment):
    """Execute `notebook` in `folder` with these environment variables; return what
    it printed, by cell."""
    saved = dict(os.environ)
    os.environ.update(environment)
    for name in ("TRAIN_WORKERS", "KAGGLE_KERNEL_RUN_TYPE", "TRAIN_DEADLINE"):
        if name not in environment:
            os.environ.pop(name, None)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return [
        "".join(output.get("text", "") for output in cell.get("outputs", []))
        for cell in notebook.cells
    ]


def workers_of(printed):
    line = printed[-1].strip()
    assert line.startswith("LAST_WORKERS "), printed[-3:]
    return json.loads(line.removeprefix("LAST_WORKERS "))


def span(records):
    return max(r["finished"] for r in records) - min(r["started"] for r in records)


def kaggle_environment(root, name, inputs=None):
    working, given = root / f"{name}-working", root / f"{name}-input"
    given.mkdir(parents=True)
    for version, folder in (inputs or {}).items():
        shutil.copytree(folder, given / version)
    return working, {
        "KAGGLE_KERNEL_RUN_TYPE": "Batch",
        "KAGGLE_WORKING_DIR": str(working),
        "KAGGLE_INPUT_DIR": str(given),
    }


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    """The plan trained by one worker, then by two in a stand-in Kaggle session."""
    root = tmp_path_factory.mktemp("rehearsal")
    one = run(
        stand_in_notebook(),
        root / "one",
        TRAIN_WORKERS="1",
        RESULTS_DIR=str(root / "one-results"),
    )
    working, kaggle = kaggle_environment(root, "two")
    two = run(stand_in_notebook(), root / "two", TRAIN_WORKERS="2", **kaggle)
    return {
        "root": root,
        "one": one,
        "two": two,
        "working": working,
        "one_file": root / "one-results" / "rehearsal_results.json",
        "two_file": working / "rehearsal_results.json",
    }


def test_two_workers_split_the_plan_and_lose_nothing(rehearsal):
    records = json.loads(rehearsal["two_file"].read_text())
    plan = [f"net-seed{seed}" for seed in range(1, 7)]
    assert sorted(record["key"] for record in records) == sorted(plan)  # none lost
    workers = workers_of(rehearsal["two"])
    assert workers["codes"] == [0, 0]
    trained = workers["trained"]
    assert len(trained) == 2 and all(trained.values()), trained  # split over both
    keys = [key for done in trained.values() for key in done]
    assert sorted(keys) == sorted(plan) and workers["twice"] == []  # none twice
    # Each record names the worker that trained it, as the workers' own lists do.
    for label, done in trained.items():
        for key in done:
            record = next(r for r in records if r["key"] == key)
            assert f"core {record['worker']['devices']}" == label
    assert len({record["machine"]["session"] for record in records}) == 1
    # One results file, written by both: the trainings overlapped in time.
    at_once = sum(r["finished"] - r["started"] for r in records) / span(records)
    assert at_once > 1.3, at_once
    # The weights of seeds 1 and 2, whichever worker trained them, in one file.
    import numpy as np

    with np.load(rehearsal["working"] / "rehearsal_weights.npz") as kept:
        assert {name.split("/")[0] for name in kept.files} == {"net-seed1", "net-seed2"}


def test_the_speed_up_is_measured(rehearsal):
    one = json.loads(rehearsal["one_file"].read_text())
    two = json.loads(rehearsal["two_file"].read_text())
    alone, together = workers_of(rehearsal["one"]), workers_of(rehearsal["two"])
    assert alone["codes"] == [0] and len(one) == 6
    training_speed_up = span(one) / span(two)
    wall_speed_up = alone["wall"] / together["wall"]
    print(
        f"\nrehearsal: 6 trainings, 1 worker {span(one):.1f} s of training "
        f"({alone['wall']:.1f} s with its start), 2 workers {span(two):.1f} s "
        f"({together['wall']:.1f} s): speed-up {training_speed_up:.2f} (training), "
        f"{wall_speed_up:.2f} (with the workers' start)"
    )
    assert training_speed_up > 1.0, (span(one), span(two))
    printed = "".join(rehearsal["two"])
    assert "2 workers started: core 0, core 1" in printed
    assert "trained twice: none" in printed


def test_on_kaggle_results_land_in_the_working_folder(rehearsal):
    printed = "".join(rehearsal["two"])
    assert f"results go to {rehearsal['working']}" in printed
    assert "rehearsal_results.json: not among the attached inputs" in printed
    assert not list((rehearsal["root"] / "two").glob("rehearsal_*"))


def test_a_new_version_resumes_from_the_attached_output(rehearsal, tmp_path):
    # The earlier version's output, cut short: its last two trainings missing.
    earlier = tmp_path / "earlier-output"
    earlier.mkdir()
    records = json.loads(rehearsal["two_file"].read_text())
    kept = [
        record for record in records if record["key"] not in ("net-seed5", "net-seed6")
    ]
    (earlier / "rehearsal_results.json").write_text(json.dumps(kept))
    shutil.copy(rehearsal["working"] / "rehearsal_weights.npz", earlier)
    working, kaggle = kaggle_environment(tmp_path, "next", {"version-1": earlier})
    printed = "".join(run(stand_in_notebook(), tmp_path / "next", **kaggle))
    assert (
        "rehearsal_results.json: 4 runs from 1 attached file(s), copied in" in printed
    )
    assert "4 of 6 runs found" in printed and "2 to train" in printed
    resumed = json.loads((working / "rehearsal_results.json").read_text())
    assert sorted(r["key"] for r in resumed) == [f"net-seed{s}" for s in range(1, 7)]
    before = {record["key"]: record["started"] for record in kept}
    new = [
        record["key"]
        for record in resumed
        if before.get(record["key"]) != record["started"]
    ]
    assert sorted(new) == ["net-seed5", "net-seed6"]  # nothing trained twice
    import numpy as np

    with np.load(working / "rehearsal_weights.npz") as weights:
        assert {name.split("/")[0] for name in weights.files} == {
            "net-seed1",
            "net-seed2",
        }


CHAPTERS = {
    "06": "resnet30_vs_plainnet_results_quick.json",
    "07": "degradation_results_quick.json",
}


def chapter(number):
    return next(NOTEBOOKS.glob(f"{number}_*.ipynb"))


def waits_on_the_chapter(number):
    notebook = nbformat.read(chapter(number), as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return (
        "train_on_every_gpu(" not in code
        or "RESULTS_DIR = results_folder(RESULTS_IN_DRIVE, [" not in code
    )


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_a_chapter_on_kaggle_lands_in_working_and_resumes(number, tmp_path):
    assert not waits_on_the_chapter(number), (
        f"chapter {number} lacks the Kaggle cells (issue 42): "
        "results_folder(RESULTS_IN_DRIVE, [RESULTS_FILE, ...]) and "
        "train_on_every_gpu in its training cell"
    )
    name = CHAPTERS[number]
    working, kaggle = kaggle_environment(tmp_path, "first")
    notebook = nbformat.read(chapter(number), as_version=4)
    run(notebook, tmp_path / "first", **kaggle)
    first = json.loads((working / name).read_text())
    assert first and not list((tmp_path / "first").glob("*_quick.json"))
    again, kaggle = kaggle_environment(tmp_path, "second", {"version-1": working})
    notebook = nbformat.read(chapter(number), as_version=4)
    printed = "".join(run(notebook, tmp_path / "second", **kaggle))
    assert f"{len(first)} of {len(first)} runs found" in printed
    second = json.loads((again / name).read_text())
    assert [(r["key"], r["started"]) for r in second] == [
        (r["key"], r["started"]) for r in first
    ]  # nothing trained twice


FAKE_SMI = """#!/bin/sh
echo "0, GPU-11111111, Tesla T4"
echo "1, GPU-22222222, Tesla T4"
"""


class StandInKeras:
    """What the device cell asks of Keras on a machine with two GPUs."""

    __version__ = "3.15.1"

    class distribution:
        @staticmethod
        def list_devices():
            return ["gpu:0", "gpu:1"]

    class backend:
        @staticmethod
        def backend():
            return "jax"


@pytest.mark.parametrize(
    "visible, named",
    [(None, ["0", "1"]), ("1", ["1"]), ("GPU-22222222,0", ["1", "0"]), ("", [])],
)
def test_the_device_cell_names_every_gpu_it_may_use(
    tmp_path, monkeypatch, capsys, visible, named
):
    smi = tmp_path / "nvidia-smi"
    smi.write_text(FAKE_SMI)
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    for name in ("TF_FORCE_GPU_ALLOW_GROWTH", "XLA_PYTHON_CLIENT_PREALLOCATE"):
        monkeypatch.delenv(name, raising=False)
    space = {"keras": StandInKeras}
    exec((SNIPPETS / "device.py").read_text(), space)
    hardware = space["HARDWARE"]
    assert [gpu_id for gpu_id, _ in hardware["gpus"]] == named
    printed = capsys.readouterr().out
    if len(named) == 2:
        assert "GPUs:     2 (1: Tesla T4, 0: Tesla T4)" in printed or (
            "GPUs:     2 (0: Tesla T4, 1: Tesla T4)" in printed
        )
        # Room for one worker per GPU beside the notebook's own process.
        assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
        assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    else:
        assert "GPUs:" not in printed
        assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ
    if named:
        assert hardware["name"] == "Tesla T4" and hardware["accelerator"]


@pytest.fixture
def planner(monkeypatch):
    import keras
    import numpy as np

    space = {"np": np, "os": os, "keras": keras, "layers": keras.layers}
    for name in ("epoch_timer", "runs", "cost", "gpu_workers"):
        exec((SNIPPETS / f"{name}.py").read_text(), space)
    for name in (
        "TRAIN_WORKERS",
        "TRAIN_WORKER",
        "TRAIN_DEADLINE",
        "TRAIN_TIME_BUDGET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Batch")
    # The session starts now: session_started reads this process's start, which in a
    # long test run lies many minutes back.
    started = time.time()
    space["session_started"] = lambda: started
    space["_started"] = started
    return space


TWO_T4 = {
    "name": "Tesla T4",
    "class": "Tesla T4",
    "accelerator": True,
    "devices": ["gpu:0", "gpu:1"],
    "gpus": [("0", "Tesla T4"), ("1", "Tesla T4")],
}


def plan_of(count, flops):
    return [{"key": f"run{i}", "flops": flops, "layers": 30} for i in range(count)]


def test_the_forecast_splits_the_plan_over_both_gpus(planner, capsys):
    # 13 trainings of 6.45 PFLOP at 20 % of 65 TFLOP/s: 496 s each, plus 120 s of
    # compiling; two at a time: 7 rounds of 616 s.
    planner["print_session_plan"](plan_of(13, 6.45e15), TWO_T4)
    printed = capsys.readouterr().out
    seconds = 6.45e15 / (0.2 * 65e12) + 120
    assert (
        f"about {7 * seconds / 3600:.1f} h ({13 * seconds / 3600:.1f} GPU-hours)"
        in (printed)
    )
    pflop = f"{sum([6.45e15] * 13) / 1e15:.3g}"
    assert (
        f"forecast on 2 x Tesla T4: 13 trainings, {pflop} PFLOP, 2 at a time" in printed
    )
    assert "the plan fits" in printed
    # The deadline: the session's start, plus 12 hours, less 30 minutes to render.
    assert float(os.environ["TRAIN_DEADLINE"]) == planner["_started"] + 11.5 * 3600


def test_a_plan_too_long_for_one_session_is_trained_in_parts(planner, capsys):
    # 40 trainings of 2 h each on two GPUs: 20 rounds, 5 per 11.5-hour session.
    planner["print_session_plan"](plan_of(40, 2 * 3600 * 0.2 * 65e12), TWO_T4)
    printed = capsys.readouterr().out
    assert "the plan does not fit, so it is trained in about 4 parts" in printed
    assert planner["sessions_needed"]([13 * 3600], 2, 11 * 3600, 11 * 3600) is None


def test_one_gpu_of_unknown_peak_still_trains_to_the_sessions_deadline(planner):
    # Kaggle's P100 is in no forecast table, so print_session_plan says so and sets
    # nothing; train_on_every_gpu must still bound its trainings by the session.
    p100 = {
        "name": "Tesla P100-PCIE-16GB",
        "class": "Tesla P100-PCIE-16GB",
        "accelerator": True,
        "devices": ["gpu:0"],
        "gpus": [("0", "Tesla P100-PCIE-16GB")],
    }
    planner["HARDWARE"] = p100
    planner["print_session_plan"](plan_of(2, 1e15), p100)
    assert "TRAIN_DEADLINE" not in os.environ
    seen = []

    def train_missing(plan, train_one, results, experiment, machine, **options):
        seen.append(float(os.environ["TRAIN_DEADLINE"]))
        return []

    class NoRecords:
        def read(self):
            return []

    planner["train_missing"] = train_missing
    planner["train_on_every_gpu"](plan_of(2, 1e15), None, NoRecords(), {}, {})
    assert seen == [planner["_started"] + 11.5 * 3600]


def test_the_appendix_says_before_training_whether_its_plan_fits(planner, capsys):
    # The appendix trains one plan on all GPUs at once (data parallelism), so it has
    # no workers; its print_plan gives the cost on the GPUs found and, on Kaggle,
    # whether the plan fits the session at the cautious rate.
    import ast

    notebook = nbformat.read(
        NOTEBOOKS / "09_data_parallel_training.ipynb", as_version=4
    )
    source = next(c.source for c in notebook.cells if "def print_plan(" in c.source)
    function = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name == "print_plan"
    )
    exec(ast.get_source_segment(source, function), planner)
    planner.update(
        HARDWARE=TWO_T4,
        flops_per_image=2.017e9,
        EPOCHS=3,
        NUM_TRAIN=50_000,
        NUM_TEST=10_000,
    )
    planner["print_plan"](["gpu:0", "gpu:1"])
    printed = capsys.readouterr().out
    flops = 2 * 3 * (3 * 2.017e9 * 50_000 + 2.017e9 * 10_000)
    assert f"to train: 2 of 2 trainings, {flops / 1e15:.3g} PFLOP" in printed
    hours = flops / (0.05 * 65e12) / 3600
    assert f"this plan takes about {hours:.2f} h: it fits" in printed
    planner["NUM_TRAIN"] = 50_000_000  # a thousand times the data: 170 hours
    planner["print_plan"](["gpu:0", "gpu:1"])
    assert "it does not fit" in capsys.readouterr().out
