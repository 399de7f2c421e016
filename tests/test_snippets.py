"""The shared cells that carry reasoning: statistics and data naming.

The cells are stamped into notebooks from tools/snippets/; here they run on their
own, on numbers whose answers are known.
"""

import importlib.metadata
import math
import re
import subprocess

import numpy as np
import pytest

from book_layout import ROOT, SNIPPETS


@pytest.fixture(scope="module")
def stats():
    space = {"np": np}
    exec((SNIPPETS / "stats.py").read_text(), space)
    return space


def test_welch_interval_by_hand(stats):
    a, b = [0.80, 0.82, 0.81], [0.78, 0.79, 0.77]
    result = stats["welch"](a, b)
    error = math.sqrt(np.var(a, ddof=1) / 3 + np.var(b, ddof=1) / 3)
    assert result["difference"] == pytest.approx(0.03)
    assert result["error"] == pytest.approx(error)
    assert result["dof"] == pytest.approx(4.0)  # equal sizes and spreads: 2n - 2
    assert result["low"] == pytest.approx(0.03 - 2.776445 * error)


def test_a_verdict_has_three_outcomes_and_none_for_a_quick_run(stats):
    verdict, welch = stats["verdict"], stats["welch"]
    above = welch([0.80, 0.82, 0.81], [0.70, 0.71, 0.72])
    below = welch([0.70, 0.71, 0.72], [0.80, 0.82, 0.81])
    unclear = welch([0.80, 0.70, 0.75], [0.76, 0.74, 0.75])
    assert verdict(above, "up", "down", quick=False) == "up"
    assert verdict(below, "up", "down", quick=False) == "down"
    assert verdict(unclear, "up", "down", quick=False).startswith("undecided")
    assert verdict(welch([0.8], [0.7]), "up", "down", quick=False).startswith(
        "undecided"
    )
    note = stats["quick_run_note"](5397, 2)
    assert note == "not computed (quick run: 5,397 images, 2 epochs)"
    assert stats["quick_run_note"](256, 1).endswith("256 images, 1 epoch)")
    for result in (above, below, unclear):
        assert verdict(result, "up", "down", quick=True) == "not computed (quick run)"
        assert verdict(result, "up", "down", quick=note) == note


def test_trend_recovers_a_slope(stats):
    depths = [20, 20, 20, 32, 32, 32, 44, 44, 44, 56, 56, 56]
    noise = [0.1, -0.1, 0.0] * 4
    errors = [5 + 0.05 * depth + e for depth, e in zip(depths, noise)]
    result = stats["trend"](depths, errors)
    assert result["difference"] == pytest.approx(0.05, abs=1e-9)
    assert result["low"] < 0.05 < result["high"] and result["low"] > 0


def test_power_grows_with_seeds_and_effect(stats):
    power = stats["power"]
    assert power(0.0159, 0.01, 3) < power(0.0159, 0.01, 5) < power(0.0159, 0.01, 10)
    assert power(0.01, 0.01, 5) < power(0.03, 0.01, 5)
    assert 0 < power(0.0159, 0.01, 5) < 1
    assert math.isnan(power(0.0159, 0.01, 1))
    # A difference many spreads wide: power 1, where SciPy's nct.cdf gave nan.
    assert power(0.12, 0.01 * math.sqrt(2 / 3), 3) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "dof, printed_table",  # two-sided 95 %, as printed in statistics tables
    [(1, 12.7062), (4, 2.7764), (11, 2.2010), (30, 2.0423)],
)
def test_t_quantiles_are_exact_at_any_degrees_of_freedom(stats, dof, printed_table):
    assert stats["t_critical"](dof) == pytest.approx(printed_table, abs=1e-4)
    # Welch's fractional degrees of freedom are used as they are, not rounded down.
    assert stats["t_critical"](dof + 0.5) < stats["t_critical"](dof)


@pytest.mark.parametrize(
    "effect, spread, seeds", [(0.0159, 0.01, 5), (0.0159, 0.01, 3), (0.01, 0.004, 3)]
)
def test_power_is_what_simulated_t_tests_find(stats, effect, spread, seeds):
    # 200,000 simulated experiments of two groups of `seeds` runs, judged by the
    # two-sided pooled t test at 95 %: the share that find the difference.
    rng = np.random.default_rng(0)
    a = rng.normal(effect, spread, (200_000, seeds))
    b = rng.normal(0.0, spread, (200_000, seeds))
    pooled = np.sqrt((a.var(axis=1, ddof=1) + b.var(axis=1, ddof=1)) / seeds)
    t = (a.mean(axis=1) - b.mean(axis=1)) / pooled
    simulated = np.mean(np.abs(t) > stats["t_critical"](2 * seeds - 2))
    assert stats["power"](effect, spread, seeds) == pytest.approx(simulated, abs=0.005)


def test_quick_titles_say_so(stats):
    assert stats["result_title"]("Results", quick=True) == (
        "Results [quick run, not a result]"
    )
    assert stats["result_title"]("Results", quick=False) == "Results"


SHARED_DATA = ROOT.parent / "shared" / "data" / "cifar10"


@pytest.fixture(scope="module")
def runs():
    import keras

    space = {"np": np, "os": __import__("os"), "keras": keras}
    exec((SNIPPETS / "cifar10_loader.py").read_text(), space)
    exec((SNIPPETS / "runs.py").read_text(), space)
    return space


def load(runs, folder, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(folder))
    (x_train, _), (x_test, _) = runs["load_cifar10"]()
    return x_train, x_test


def test_the_data_is_named_from_its_pixels(runs, monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    other = rng.integers(0, 256, (1017, 32, 32, 3), dtype=np.uint8)
    assert runs["name_the_data"](other, other).startswith("unrecognised copy")
    described = runs["describe_data"](other, other, 10, 5)
    assert described["train_images"] == 10 and len(described["train_sha256"]) == 16
    exact = SHARED_DATA / "exact-subset"
    if not exact.is_dir():
        pytest.skip("no ../shared/data/cifar10 beside the repository")
    assert runs["name_the_data"](*load(runs, exact, monkeypatch)).startswith(
        "exact subset of the official CIFAR-10 files"
    )
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(SHARED_DATA / "materialize.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert runs["name_the_data"](*load(runs, tmp_path, monkeypatch)) == (
        "JPEG copy of CIFAR-10 (every image re-encoded at quality 75)"
    )


@pytest.fixture(scope="module")
def family():
    import keras

    space = {"keras": keras, "layers": keras.layers}
    exec((SNIPPETS / "cifar_family.py").read_text(), space)
    return space


def test_the_twins_have_the_same_weights_and_names(family):
    """Plain and residual twins: identical parameters (option A has none), and a
    different `block` or an `after_stem` layer keeps every weighted layer's name,
    which is how chapter 8 copies trained weights into its instrumented copy."""
    import keras

    build = family["build_cifar_net"]
    plain, residual = build(1, shortcuts=False), build(1, shortcuts=True)
    assert plain.count_params() == residual.count_params() == 75_770
    assert (plain.name, residual.name) == ("plain8", "resnet8")

    def bare_block(x, filters, downsample, shortcuts, name):
        return family["residual_branch"](x, filters, downsample, name)

    other = build(1, block=bare_block, after_stem=keras.layers.Identity(name="probe"))

    def weighted(model):
        return {layer.name for layer in model.layers if layer.weights}

    assert weighted(other) == weighted(residual)
    assert "probe" in {layer.name for layer in other.layers}
    assert family["build_cifar_net"](3).count_params() == 271_098


@pytest.mark.parametrize(
    ("found", "installs", "tells_to_restart"),
    [
        ("3.15.1", False, False),
        ("3.13.2", False, False),
        ("3.13.1", True, True),
        ("3.10.0", True, True),
        ("2.15.0", True, True),
        (None, True, False),
    ],
)
def test_the_install_cell_upgrades_an_old_keras(
    monkeypatch, capsys, found, installs, tells_to_restart
):
    """The first cell of every chapter: an older Keras (Keras 2, or Keras 3 below the
    book's minimum) is upgraded with one pip call and the reader is told, in one line,
    to restart; a recent one is left alone."""
    versions = {"keras": found}
    calls = []

    def version(distribution):
        if versions.get(distribution) is None:
            raise importlib.metadata.PackageNotFoundError(distribution)
        return versions[distribution]

    def run(command, check):
        calls.append(command)
        versions["keras"] = "3.15.1"  # what pip installed

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(subprocess, "run", run)
    space = {}
    exec((SNIPPETS / "install.py").read_text(), space)
    keras_calls = [call for call in calls if any("keras" in part for part in call)]
    assert bool(keras_calls) == installs
    if installs:
        assert keras_calls[0][-1] == "keras>=3.13.2"
    printed = capsys.readouterr().out
    if tells_to_restart:
        assert printed.count("\n") == 1 and "restart the runtime" in printed
        assert f"Keras {found} was upgraded to 3.15.1" in printed
    else:
        assert printed == ""


def test_the_install_cells_minimum_is_the_requirements_lower_bound():
    space = {}
    source = (SNIPPETS / "install.py").read_text()
    exec(source[: source.index("found_keras =")], space)
    bound = re.search(
        r"^keras>=([\d.]+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE
    )
    assert (
        tuple(int(part) for part in bound.group(1).split("."))
        == (space["KERAS_MINIMUM"])
    )


@pytest.fixture()
def book_results(stats):
    import json

    space = {"np": np, "math": math, "json": json, **stats}
    exec((SNIPPETS / "book_results.py").read_text(), space)
    return space


def test_the_books_results_are_fetched_or_one_line_says_why(
    book_results, tmp_path, capsys
):
    """The book's file is read from BOOK_RESULTS_URL (here a folder on disk) and only
    records with the same settings are kept; a missing file, an unreadable one or no
    network gives one line and no traceback."""
    import json

    records = [
        {"key": "a", "experiment": {"settings": {"epochs": 20}}},
        {"key": "b", "experiment": {"settings": {"epochs": 2}}},
    ]
    (tmp_path / "published.json").write_text(json.dumps(records))
    (tmp_path / "broken.json").write_text("{not json")
    book_results["BOOK_RESULTS_URL"] = tmp_path.as_uri() + "/"
    fetch = book_results["fetch_book_results"]
    assert [r["key"] for r in fetch("published.json", {"epochs": 20})] == ["a"]
    assert capsys.readouterr().out == ""
    for name in ("missing.json", "broken.json"):
        assert fetch(name, {"epochs": 20}) == []
        printed = capsys.readouterr().out
        assert printed.count("\n") == 1 and "could not be fetched" in printed, printed
    assert fetch("published.json", {"epochs": 30}) == []
    assert capsys.readouterr().out.count("\n") == 1
    book_results["BOOK_RESULTS_URL"] = "http://127.0.0.1:9/results/"  # nothing listens
    assert fetch("published.json", {"epochs": 20}, timeout=2) == []
    assert "could not be fetched (URLError" in capsys.readouterr().out


def test_a_prediction_interval_for_one_more_run(book_results):
    interval = book_results["prediction_interval"]
    low, high = interval([0.80, 0.82, 0.81, 0.79, 0.83])
    half = 2.776 * np.std([0.80, 0.82, 0.81, 0.79, 0.83], ddof=1) * math.sqrt(1.2)
    assert (low, high) == pytest.approx((0.81 - half, 0.81 + half), abs=1e-3)
    assert interval([0.8]) is None


def test_the_books_results_address_is_the_repository_of_config():
    from book_layout import branch, repository_slug

    source = (SNIPPETS / "book_results.py").read_text()
    address = "".join(re.findall(r'"(https://raw[^"]*|[^"]*results/)"', source))
    assert address == (
        f"https://raw.githubusercontent.com/{repository_slug()}/{branch()}"
        "/notebooks/results/"
    )


def test_your_runs_are_drawn_over_the_books_band(book_results):
    """One panel per network; an epoch of yours counts as outside when it leaves the
    book's per-epoch prediction interval, and a network with one book run has none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    book_results["plt"] = plt

    def run(values, seed=1):
        return {"seed": seed, "history": {"val_accuracy": values}}

    theirs = [run([0.50, 0.60, 0.70]), run([0.52, 0.61, 0.71]), run([0.48, 0.59, 0.69])]
    yours = [run([0.50, 0.90, 0.70])]  # epoch 2 far above the book's runs
    figure, outside = book_results["draw_beside_book"](
        [("deep", yours, theirs), ("alone", yours, theirs[:1])],
        "val_accuracy",
        "validation accuracy (%)",
    )
    assert outside == {"deep": 1, "alone": None}
    shown = [axis for axis in figure.axes if axis.get_visible()]
    assert [axis.get_title() for axis in shown] == ["deep", "alone"]
    assert len(shown[0].lines) == 4 and len(shown[0].collections) == 1
    assert len(shown[1].collections) == 0
    plt.close(figure)
