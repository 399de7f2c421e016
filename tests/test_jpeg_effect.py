"""The JPEG measurements: their statistics, committed results, page and shared cell.

tools/jpeg_effect.py --measure trains a small network on the JPEG copy of CIFAR-10 and
scores it on the 1,017 official test images of the exact subset and on their JPEG
twins; the committed result is tools/jpeg_effect.json. --measure-training
(tools/jpeg_training.py) trains chapter 5's toy ResNet in pairs, on the exact subset's
official training images and on their JPEG twins, over several seeds; its committed
result is tools/jpeg_effect_training.json. book/numbers.md states both between two
markers, and tools/snippets/jpeg_effect.py, the shared cell that chapters print beside
a comparison of JPEG-trained results with a paper's or a reader's, carries the second.
These tests start no training: they check the paired statistics on cases worked by
hand, that the committed results are consistent with themselves and with the data they
name, and that the page and the shared cell say what the results say.
"""

import contextlib
import io
import json
import math
import re

import jpeg_effect
import jpeg_training
import numpy as np
import pytest
import scipy.stats

HAVE_DATA = jpeg_effect.EXACT_TEST.exists() and jpeg_effect.JPEG_PACK.exists()


def test_paired_comparison_by_hand():
    # 6 images: right on both (2), only on the official version (3), only on JPEG (1).
    exact = [1, 1, 1, 1, 1, 0]
    jpeg = [1, 1, 0, 0, 0, 1]
    result = jpeg_effect.paired_comparison(exact, jpeg)
    assert result["images"] == 6
    assert result["accuracy_exact"] == pytest.approx(5 / 6)
    assert result["accuracy_jpeg"] == pytest.approx(3 / 6)
    assert result["difference"] == pytest.approx(2 / 6)
    differences = np.array([0, 0, 1, 1, 1, -1])
    half = jpeg_effect.Z_95 * differences.std(ddof=1) / np.sqrt(6)
    assert result["interval_95"] == pytest.approx([2 / 6 - half, 2 / 6 + half])
    assert (result["right_on_both"], result["right_only_exact"]) == (2, 3)
    assert (result["right_only_jpeg"], result["wrong_on_both"]) == (1, 0)


def test_identical_answers_give_a_zero_interval():
    result = jpeg_effect.paired_comparison([1, 0, 1, 1], [1, 0, 1, 1])
    assert result["difference"] == 0.0 and result["interval_95"] == [0.0, 0.0]


@pytest.fixture(scope="module")
def result():
    return json.loads(jpeg_effect.RESULT.read_text())


def test_committed_result_is_consistent(result):
    counts = ("right_on_both", "right_only_exact", "right_only_jpeg", "wrong_on_both")
    n = result["images"]
    assert n == 1017 and sum(result[key] for key in counts) == n
    exact_right = result["right_on_both"] + result["right_only_exact"]
    jpeg_right = result["right_on_both"] + result["right_only_jpeg"]
    assert result["accuracy_exact"] == pytest.approx(exact_right / n)
    assert result["accuracy_jpeg"] == pytest.approx(jpeg_right / n)
    assert result["difference"] == pytest.approx((exact_right - jpeg_right) / n)
    low, high = result["interval_95"]
    assert low <= result["difference"] <= high


@pytest.mark.skipif(not HAVE_DATA, reason="needs ../shared/data/cifar10")
def test_pixel_difference_is_that_of_the_data(result):
    exact, jpeg, labels = jpeg_effect.test_pairs()
    assert len(labels) == result["images"]
    mean, largest = jpeg_effect.pixel_difference(exact, jpeg)
    assert mean == pytest.approx(result["mean_abs_pixel_difference"])
    assert largest == result["largest_abs_pixel_difference"]


def test_page_and_shared_cell_state_the_committed_results():
    stale = [str(path.name) for path, _ in jpeg_effect.stale_outputs()]
    assert not stale, f"{stale} out of date: run python tools/jpeg_effect.py"


# The paired t interval of the training measurement.


def student_t4_cdf(t):
    """Student's t distribution with 4 degrees of freedom, in closed form."""
    x = t / math.sqrt(t * t + 4)
    return 0.5 + 0.75 * x * (1 - x * x / 3)


def test_paired_t_by_hand():
    # Differences of 1, 2, 3, 4 and 5 points over five seeds.
    second = np.array([0.52, 0.50, 0.55, 0.49, 0.51])
    first = second + np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    result = jpeg_training.paired_t(first, second)
    spread = math.sqrt(2.5) / 100  # standard deviation of 1, ..., 5 points
    assert result["seeds"] == 5 and result["dof"] == 4
    assert result["difference"] == pytest.approx(0.03)
    assert result["spread"] == pytest.approx(spread)
    assert result["t_quantile"] == pytest.approx(2.7764, abs=1e-4)  # printed tables
    half = 2.776445 * spread / math.sqrt(5)
    assert result["interval_95"] == pytest.approx([0.03 - half, 0.03 + half])
    statistic = 0.03 / (spread / math.sqrt(5))
    assert result["p_value"] == pytest.approx(2 * (1 - student_t4_cdf(statistic)))
    assert result["mean_first"] == pytest.approx(first.mean())
    assert result["differences"] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])


def test_paired_t_of_differences_that_cancel():
    result = jpeg_training.paired_t([0.6, 0.4, 0.6, 0.4], [0.5, 0.5, 0.5, 0.5])
    low, high = result["interval_95"]
    assert result["difference"] == pytest.approx(0.0, abs=1e-12)
    assert low == pytest.approx(-high) and low < 0
    assert result["p_value"] == pytest.approx(1.0)


def test_paired_t_gives_no_interval_without_spread():
    assert jpeg_training.paired_t([0.5], [0.4])["interval_95"] is None
    same = jpeg_training.paired_t([0.5, 0.6, 0.7], [0.4, 0.5, 0.6])
    assert same["difference"] == pytest.approx(0.1) and same["interval_95"] is None


def fake_run(seed, trained_on, official, jpeg):
    return {
        "seed": seed,
        "trained_on": trained_on,
        "correct": {"official": official, "jpeg": jpeg},
    }


def test_comparisons_pair_the_runs_by_seed():
    runs = [
        fake_run(1, "official", "1110", "1100"),  # 75 %, 50 %
        fake_run(1, "jpeg", "1100", "1100"),  # 50 %, 50 %
        fake_run(2, "jpeg", "1000", "1110"),  # 25 %, 75 %
        fake_run(2, "official", "1111", "1000"),  # 100 %, 25 %
        fake_run(3, "official", "1111", "1111"),  # no twin: left out
    ]
    found = jpeg_training.summarise(runs)
    expected = {
        "training_on_official_test": ([0.75, 1.0], [0.5, 0.25]),
        "training_on_jpeg_test": ([0.5, 0.25], [0.5, 0.75]),
        "whole_copy": ([0.75, 1.0], [0.5, 0.75]),
        "test_images_for_jpeg_trained": ([0.5, 0.25], [0.5, 0.75]),
    }
    for name, (first, second) in expected.items():
        assert found[name]["seeds"] == 2
        assert found[name]["differences"] == pytest.approx(
            list(np.subtract(first, second))
        ), name


# The committed training measurement.


@pytest.fixture(scope="module")
def training():
    return json.loads(jpeg_training.RESULT.read_text())


def test_training_result_holds_every_pair(training):
    seeds = training["settings"]["seeds"]
    assert len(seeds) >= 5 and len(set(seeds)) == len(seeds)
    pairs = sorted((run["seed"], run["trained_on"]) for run in training["runs"])
    assert pairs == sorted((s, v) for s in seeds for v in jpeg_training.VERSIONS)
    assert training["data"]["train_images"] == 5397
    assert training["data"]["test_images"] == 1017


def test_each_pair_shared_its_start_and_differs_only_in_data(training):
    by_seed = {}
    for run in training["runs"]:
        by_seed.setdefault(run["seed"], []).append(run)
        assert len(run["history"]["loss"]) == training["settings"]["epochs"]
        assert len(run["epoch_seconds"]) == training["settings"]["epochs"]
        for correct in run["correct"].values():
            assert len(correct) == training["data"]["test_images"]
            assert set(correct) <= {"0", "1"}
    for seed, pair in by_seed.items():
        starts = {run["initial_weights_sha256"] for run in pair}
        assert len(starts) == 1, f"seed {seed}: the pair started from other weights"
    sha = training["data"]["train_sha256"]
    assert sha["official"] != sha["jpeg"]


def test_training_comparisons_are_those_of_the_stored_answers(training):
    recomputed = jpeg_training.summarise(training["runs"])
    assert set(recomputed) == set(training["comparisons"])
    for name, stored in training["comparisons"].items():
        again = recomputed[name]
        for key in ("difference", "mean_first", "mean_second", "spread", "p_value"):
            assert stored[key] == pytest.approx(again[key]), (name, key)
        assert stored["interval_95"] == pytest.approx(again["interval_95"]), name
        n = stored["seeds"]
        assert stored["dof"] == n - 1
        assert stored["t_quantile"] == pytest.approx(scipy.stats.t.ppf(0.975, n - 1))
        low, high = stored["interval_95"]
        assert low < stored["difference"] < high
    assert training["train_seconds"] == pytest.approx(
        sum(run["seconds"] for run in training["runs"]), abs=1
    )


def test_training_result_says_where_and_how_it_was_made(training):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", training["date"])
    assert training["backend"] == "tensorflow"
    for key in ("python", "keras", "tensorflow", "numpy", "scipy"):
        assert training["versions"][key], key
    assert training["machine"]["cores"] >= 1 and training["machine"]["cpu"]
    assert training["wall_seconds"] > 0


@pytest.mark.skipif(not HAVE_DATA, reason="needs ../shared/data/cifar10")
def test_training_result_names_the_data_it_read(training):
    official, jpeg, labels = jpeg_training.subset_training_pairs()
    exact_test, jpeg_test, test_labels = jpeg_effect.test_pairs()
    data = training["data"]
    assert len(labels) == data["train_images"]
    assert data["train_sha256"] == {
        "official": jpeg_training.fingerprint(official),
        "jpeg": jpeg_training.fingerprint(jpeg),
    }
    assert data["test_sha256"] == {
        "official": jpeg_training.fingerprint(exact_test),
        "jpeg": jpeg_training.fingerprint(jpeg_test),
    }
    assert data["test_labels_sha256"] == jpeg_training.fingerprint(
        test_labels.astype("uint8")
    )


def test_the_measured_network_is_chapter_5s(training):
    import keras

    build_toy_resnet = jpeg_training.chapter_network(keras, keras.layers)
    assert build_toy_resnet().count_params() == training["model_parameters"]


# The shared cell that chapters print beside a comparison.


@pytest.fixture(scope="module")
def shared_cell():
    space = {}
    exec(jpeg_effect.SNIPPET.read_text(), space)
    return space


def printed(function, *args):
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        returned = function(*args)
    return returned, output.getvalue()


@pytest.mark.parametrize(
    "names",
    [
        "JPEG copy of CIFAR-10 (every image re-encoded at quality 75)",
        "JPEG copy of CIFAR-10 with the exact official rows put back",
        {"JPEG copy of CIFAR-10 (every image re-encoded at quality 75)"},
    ],
)
def test_shared_cell_prints_the_measured_effect_for_the_copy(
    shared_cell, training, names
):
    returned, text = printed(shared_cell["print_jpeg_effect"], names)
    assert returned is True
    for name in ("training_on_official_test", "whole_copy"):
        comparison = training["comparisons"][name]
        low, high = comparison["interval_95"]
        numbers = [comparison["difference"], low, high]
        wanted = "{} ({} to {})".format(*map(jpeg_effect.snippet_points, numbers))
        assert wanted in text, (name, wanted, text)
    assert jpeg_effect.page_url() in text
    assert f"{len(training['settings']['seeds'])} seeds" in text


@pytest.mark.parametrize(
    "names",
    [
        "exact subset of the official CIFAR-10 files (5,397 training and 1,017 "
        "test images)",
        "official CIFAR-10 files",
        [],
    ],
)
def test_shared_cell_is_silent_for_other_data(shared_cell, names):
    assert printed(shared_cell["print_jpeg_effect"], names) == (False, "")


def test_shared_cell_points_at_the_section_of_the_page():
    lines = jpeg_effect.PAGE.read_text().splitlines()
    assert jpeg_effect.HEADING in lines
    title = jpeg_effect.HEADING.removeprefix("## ").lower()
    assert re.sub(r"[^a-z0-9 -]", "", title).replace(" ", "-") == (
        jpeg_effect.PAGE_ANCHOR
    )
