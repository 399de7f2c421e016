"""The plumbing of the chapters that train (tools/snippets/runs.py), on a fake clock.

A GPU window is short and rare, so what decides whether a training starts is tested
here without training anything: a stand-in for train_one advances a fake clock by
the time its run would take, and the deadline, the estimates from FLOPs, the claims
of several processes and the parent's render-only pass are checked against it.
"""

import json
import math
import os

import keras
import numpy as np
import pytest

from book_layout import SNIPPETS


class FakeClock:
    """Stands in for the `time` module: time() and perf_counter() read `now`."""

    def __init__(self, now=1.9e9):
        self.now = now

    def time(self):
        return self.now

    def perf_counter(self):
        return self.now

    def strftime(self, pattern, moment=None):
        return "20300101T000000"

    def gmtime(self, seconds=None):
        return None


@pytest.fixture
def runs(monkeypatch, tmp_path):
    for name in ("TRAIN_DEADLINE", "TRAIN_TIME_BUDGET", "TRAIN_PROCESSES"):
        monkeypatch.delenv(name, raising=False)
    for name in ("TRAIN_RENDER_ONLY", "TRAIN_MAX_RUNS", "TRAIN_SESSION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    space = {"keras": keras, "np": np, "os": os}
    exec((SNIPPETS / "runs.py").read_text(), space)
    space["time"] = FakeClock()
    space["SESSION"] = f"test-{tmp_path.name}"
    return space


MACHINE = {
    "backend": "jax",
    "precision": "mixed_bfloat16",
    "device": "NVIDIA H100 80GB HBM3",
    "device_class": "NVIDIA H100 80GB HBM3",
    "session": "test",
}
EXPERIMENT = {"settings": {"epochs": 30}, "data": {"name": "test"}}
TRUE_RATE = 4e13  # FLOP/s that the fake trainings really reach
COMPILE = 30.0  # seconds of compiling in every fake training


def make_plan(flops_list, layers=20):
    return [
        {"key": f"run{index}", "flops": flops, "layers": layers}
        for index, flops in enumerate(flops_list)
    ]


def fake_trainer(space, log):
    """A train_one that takes COMPILE + flops / TRUE_RATE seconds of fake time and
    logs, at its start, the time left and the estimate that let it start."""
    clock = space["time"]
    results = space["_results"]

    def train_one(spec):
        measured = [
            record
            for record in results.read()
            if record["machine"]["device"] == MACHINE["device"]
        ]
        estimate = space["estimate_seconds"](
            spec,
            measured,
            space["_first_rate"],
            space["FIRST_COMPILE_SECONDS"]["accelerator"],
        )
        left = float(os.environ["TRAIN_DEADLINE"]) - clock.now
        log.append({"key": spec["key"], "estimate": estimate, "left": left})
        clock.now += COMPILE + spec["flops"] / TRUE_RATE
        return {"compile_seconds": COMPILE}

    return train_one


def train(space, tmp_path, plan, budget, first_rate=1e13, log=None):
    results = space["ResultsFile"](str(tmp_path / "results.json"))
    space["_results"], space["_first_rate"] = results, first_rate
    log = [] if log is None else log
    os.environ["TRAIN_TIME_BUDGET"] = str(budget)
    kept = space["train_missing"](
        plan, fake_trainer(space, log), results, EXPERIMENT, MACHINE,
        first_rate=first_rate,
    )  # fmt: skip
    return kept, log, results


@pytest.mark.parametrize("budget", [50, 200, 600, 1000, 2500])
def test_no_training_starts_whose_estimate_exceeds_what_is_left(runs, tmp_path, budget):
    # Networks of growing cost, as in chapter 7's plan: the next can cost three times
    # the last, which the longest-so-far rule of old underestimated.
    plan = make_plan([2e15, 2e15, 6e15, 6e15, 1.2e16, 1.2e16, 4e15, 4e15])
    start = runs["time"].now
    kept, log, _ = train(runs, tmp_path, plan, budget)
    deadline = start + budget
    assert [entry["key"] for entry in log] == [run["key"] for run in kept]
    for entry in log:
        assert entry["estimate"] <= entry["left"], entry
    # The estimates are cautious (first) or measured (later), so every training that
    # started ended in time; and no training that fitted was skipped.
    for record in kept:
        assert record["finished"] <= deadline
        assert record["deadline"] == pytest.approx(deadline)
    untrained = [spec for spec in plan if spec["key"] not in {r["key"] for r in kept}]
    left = deadline - runs["time"].now
    measured = [r for r in kept]
    for spec in untrained:
        estimate = runs["estimate_seconds"](spec, measured, 1e13, 120.0)
        assert estimate > left, (spec["key"], estimate, left)


def test_the_first_estimate_is_cautious_and_later_ones_are_measured(runs):
    spec = {"key": "a", "flops": 1e16, "layers": 56}
    first = runs["estimate_seconds"](spec, [], 1e13, 120.0)
    assert first == pytest.approx(1e16 / 1e13 + 120.0)
    measured = [
        {
            "started": 0.0,
            "finished": 130.0,
            "compile_seconds": 30.0,
            "processes": 1,
            "spec": {"flops": 4e15, "layers": 20},
        }
    ]
    # 100 s for 4e15 FLOPs measured: 250 s for 1e16, compile scaled by depth 56/20.
    later = runs["estimate_seconds"](spec, measured, 1e13, 120.0)
    assert later == pytest.approx(250.0 + 30.0 * 56 / 20)
    # Measured alone but to run beside another process: counted twice as slow.
    shared = runs["estimate_seconds"](spec, measured, 1e13, 120.0, processes=2)
    assert shared == pytest.approx(2 * later)
    # Nothing measured and two processes sharing the device: half the cautious rate.
    first_shared = runs["estimate_seconds"](spec, [], 1e13, 120.0, processes=2)
    assert first_shared == pytest.approx(2 * 1e16 / 1e13 + 120.0)


def test_the_first_compile_counts_the_processes_that_share_the_cores(
    runs, tmp_path, monkeypatch
):
    first = runs["first_compile_seconds"]
    assert first(False, 1, 2) == pytest.approx(10.0)
    assert first(False, 3, 2) == pytest.approx(15.0)  # the GPU rehearsal's window A
    assert first(True, 3, 16) == pytest.approx(120.0)  # a GPU machine's 16 cores
    assert first(False, 2, None) == pytest.approx(20.0)  # cores unknown: one
    # train_missing uses it: on a 2-core CPU with 3 processes, a run of 2e10 FLOPs
    # at 2e10 FLOP/s (3 s shared by 3) fits 15 s with 10 s of compiling, not with 15.
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("TRAIN_PROCESSES", "3")
    monkeypatch.setenv("TRAIN_TIME_BUDGET", "15")
    cpu = dict(MACHINE, device="CPU, 2 cores", device_class="CPU", precision="float32")
    started = []
    results = runs["ResultsFile"](str(tmp_path / "results.json"))
    kept = runs["train_missing"](
        make_plan([2e10]), lambda spec: started.append(spec) or {}, results,
        EXPERIMENT, cpu, first_rate=2e10,
    )  # fmt: skip
    assert kept == [] and started == []


def test_a_results_file_cut_short_is_named_not_trained_over(runs, tmp_path):
    path = tmp_path / "results.json"
    train(runs, tmp_path, make_plan([1e12] * 2), budget=1e6)
    whole = path.read_text()
    assert len(runs["ResultsFile"](str(path)).read()) == 2
    path.write_text(whole[: len(whole) // 2])  # as a sync or download cut short
    with pytest.raises(RuntimeError, match="is not a whole results file"):
        runs["ResultsFile"](str(path)).read()
    path.write_text('{"key": "run0"}')
    with pytest.raises(RuntimeError, match="does not hold a list of run records"):
        runs["ResultsFile"](str(path)).read()


@pytest.mark.parametrize("quick", [False, True])
def test_a_quick_run_projects_no_time_left(runs, capsys, quick):
    # After the second epoch of the first training, the time left at that speed:
    # a projection, so a quick run prints its not-computed note instead.
    runs["FORECAST"].update(spec={"flops": 6e12}, count=3, flops_left=1.8e13)
    runs.update(QUICK_RUN=quick, NUM_TRAIN=8)
    timer = type("Timer", (), {"seconds": [9.0, 1.5]})()
    runs["Forecast"](timer, epochs=2).on_epoch_end(1)
    printed = capsys.readouterr().out
    assert printed.startswith("measured: epoch 2 took 1.5 s")
    if quick:
        assert "not computed (quick run: 8 images, 2 epochs)" in printed
        assert "TFLOP/s" not in printed and " min" not in printed
    else:
        assert "2 TFLOP/s" in printed and "the 3 still to train" in printed


def test_a_budget_becomes_one_deadline(runs, monkeypatch):
    monkeypatch.setenv("TRAIN_TIME_BUDGET", "300")
    clock = runs["time"]
    first = runs["deadline_from_environment"]()
    clock.now += 100
    assert runs["deadline_from_environment"]() == first == pytest.approx(1.9e9 + 300)
    assert "TRAIN_TIME_BUDGET" not in os.environ
    monkeypatch.delenv("TRAIN_DEADLINE")
    assert runs["deadline_from_environment"]() == math.inf


def test_render_only_trains_nothing_whatever_is_missing(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAIN_RENDER_ONLY", "1")
    plan = make_plan([1e12] * 4)
    kept, log, _ = train(runs, tmp_path, plan, budget=1e9)
    assert kept == [] and log == []


def test_processes_of_one_session_claim_each_run_once(runs, tmp_path):
    results = runs["ResultsFile"](str(tmp_path / "results.json"))
    plan = make_plan([1e12] * 5)
    claimed = [results.claim(plan, EXPERIMENT, lambda spec: True) for _ in range(6)]
    assert [spec["key"] for spec in claimed[:5]] == [s["key"] for s in plan]
    assert claimed[5] is None
    # Another session (another window) claims afresh.
    runs["SESSION"] = "another"
    other = runs["ResultsFile"](str(tmp_path / "results.json"))
    assert other.claim(plan, EXPERIMENT, lambda spec: True)["key"] == "run0"


def test_other_devices_may_add_to_a_study_but_not_other_precisions(runs, tmp_path):
    plan = make_plan([1e12] * 4)
    train(runs, tmp_path, plan[:2], budget=1e6)
    results = runs["ResultsFile"](str(tmp_path / "results.json"))
    h200 = dict(MACHINE, device="NVIDIA H200", device_class="NVIDIA H200")
    kept = runs["train_missing"](
        plan, lambda spec: {"compile_seconds": 1.0}, results, EXPERIMENT, h200
    )
    assert [run["machine"]["device"] for run in kept] == [MACHINE["device"]] * 2 + [
        "NVIDIA H200"
    ] * 2
    float16 = dict(MACHINE, precision="mixed_float16")
    with pytest.raises(RuntimeError, match="finish them on a machine like theirs"):
        runs["train_missing"](
            plan + make_plan([1e12] * 5)[4:], None, results, EXPERIMENT, float16
        )


def test_a_training_that_would_overrun_stops_and_is_not_recorded(runs, tmp_path):
    clock = runs["time"]
    guard = runs["StopBeforeDeadline"](clock.now + 100, epochs=10)

    class Model:
        stop_training = False

    guard.set_model(Model())
    for epoch in range(10):
        guard.on_epoch_begin(epoch)
        clock.now += 30 if epoch == 0 else 8  # compiling, then 8 s an epoch
        guard.on_epoch_end(epoch)
        if guard.model.stop_training:
            break
    # After epoch 2: 8 more epochs and the evaluation, about 72 s, would end at 110 s.
    assert epoch == 1 and "after the deadline" in guard.missed

    def overruns(spec):
        raise runs["DeadlineMissed"]("stopped after epoch 2 of 10")

    results = runs["ResultsFile"](str(tmp_path / "results.json"))
    kept = runs["train_missing"](
        make_plan([1e12]), overruns, results, EXPERIMENT, MACHINE
    )
    assert kept == [] and not (tmp_path / "results.json").exists()


def test_a_cut_file_keeps_only_complete_units(runs):
    plan = [
        {"key": f"{network}-seed{seed}", "seed": seed}
        for seed in (1, 2)
        for network in ("resnet", "plain")
    ]
    unit = lambda spec: spec["seed"]  # noqa: E731
    records = [{"key": spec["key"], "spec": spec} for spec in plan]
    for cut in range(len(plan) + 1):
        found = records[:cut]
        if cut < 2:
            with pytest.raises(runs["RunsIncomplete"]):
                runs["keep_complete"](found, plan, unit)
        else:
            kept = runs["keep_complete"](found, plan, unit)
            assert [r["key"] for r in kept] == [
                r["key"] for r in records[: cut // 2 * 2]
            ]


def test_weights_are_kept_in_one_file_and_load_back(runs, tmp_path):
    results = runs["ResultsFile"](str(tmp_path / "results.json"))
    path = str(tmp_path / "weights.npz")

    def model(seed):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(3, name="hidden")(inputs)
        normal = keras.layers.BatchNormalization(name="norm")(hidden)
        return keras.Model(inputs, keras.layers.Dense(2, name="out")(normal))

    first, second = model(1), model(2)
    results.keep_weights(path, "first", first)
    results.keep_weights(path, "second", second)
    results.keep_weights(path, "first", first)  # kept again: replaced, not doubled
    with np.load(path) as kept:
        assert len(kept.files) == 2 * len(first.weights)
    loaded = runs["load_weights"](path, "second", model(3))
    x = np.ones((2, 4), dtype="float32")
    assert np.array_equal(loaded.predict(x, verbose=0), second.predict(x, verbose=0))
    assert json.dumps(sorted(kept.files))  # names are plain strings
