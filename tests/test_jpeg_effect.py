"""The JPEG measurement: its statistics, its committed result and the page stating it.

tools/jpeg_effect.py --measure trains a small network on the JPEG copy of CIFAR-10 and
scores it on the 1,017 official test images of the exact subset and on their JPEG
twins; the committed result is tools/jpeg_effect.json and book/numbers.md states it
between two markers. These tests start no training: they check the paired statistics
on cases worked by hand, that the committed result is consistent with itself and with
the data it names, and that the page says what the result says.
"""

import json

import jpeg_effect
import numpy as np
import pytest


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


@pytest.mark.skipif(
    not (jpeg_effect.EXACT_TEST.exists() and jpeg_effect.JPEG_PACK.exists()),
    reason="needs ../shared/data/cifar10",
)
def test_pixel_difference_is_that_of_the_data(result):
    exact, jpeg, labels = jpeg_effect.test_pairs()
    assert len(labels) == result["images"]
    mean, largest = jpeg_effect.pixel_difference(exact, jpeg)
    assert mean == pytest.approx(result["mean_abs_pixel_difference"])
    assert largest == result["largest_abs_pixel_difference"]


def test_page_states_the_committed_result(result):
    text = jpeg_effect.PAGE.read_text()
    assert jpeg_effect.updated(text, jpeg_effect.paragraph(result)) == text, (
        "book/numbers.md is out of date: run python tools/jpeg_effect.py"
    )
