"""Every notebook, run under nbval, alone in an empty directory, on every backend.

Each notebook is copied into its own empty temporary directory, as Colab holds it, and
nbval runs it there on a fresh kernel of this environment, comparing every output with
the stored one except in cells tagged nbval-ignore-output (see CONTRIBUTING.md) and
after the normalisations in tests/nbval_sanitize.cfg. One run therefore proves both
that the stored outputs are reproduced and that the notebook needs no file of this
repository. conftest.py sets QUICK_RUN=1 and the quiet kernel environment.

The whole suite runs once per Keras backend in BACKENDS (the kernel inherits
KERAS_BACKEND): TensorFlow, JAX and PyTorch (its CPU build), against the same stored
outputs, which come from TensorFlow. A compared output that differs between backends is
a bug to fix at its source, not a reason to loosen the comparison.
BOOK_TEST_BACKENDS=tensorflow (a comma-separated list) narrows the run, for a quicker
local check.

A last pass runs every notebook in a second environment, .venv-colab, pinned at Google
Colab's versions (requirements-colab.txt, read from Colab's published package list;
they are also the lower bounds of requirements.txt), on Colab's Python 3.13 where the
machine has it (the Makefile picks it): there each must run top to bottom without an
exception, its tags removed, as "Run all" runs it in Colab, but its outputs are not
compared (summaries and messages print differently across Keras versions).
BOOK_TEST_LOWER=0 skips that pass.

PyTorch runs use one OpenMP thread (EXTRA_ENVIRONMENT says why). JAX runs see two
virtual CPU devices (XLA_FLAGS below), so that the data-parallel appendix runs its
multi-device path, mesh and batch splitting included, on a machine without
accelerators. Chapters that do not distribute use the first device only.
"""

import os
import shutil
import subprocess
import sys

import pytest

from book_layout import ROOT, TESTS, TOOLS, notebook_paths

NOTEBOOKS = notebook_paths()
CELL_TIMEOUT_S = 600
ALL_BACKENDS = ("tensorflow", "jax", "torch")
BACKENDS = tuple(
    name.strip()
    for name in os.environ.get("BOOK_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",")
    if name.strip()
)
EXTRA_ENVIRONMENT = {
    "tensorflow": {},
    "jax": {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
    # One intra-op thread: PyTorch's OpenMP threads spin while they wait, and with two
    # test processes on two cores each kernel's two threads starve the other process
    # (chapter 2 on PyTorch, measured: 26 s alone, 199 s beside chapter 6).
    "torch": {"OMP_NUM_THREADS": "1"},
}
CASES = [(backend, path) for backend in BACKENDS for path in NOTEBOOKS]


def backend_environment(backend: str) -> dict:
    environment = dict(os.environ, KERAS_BACKEND=backend)
    environment.update(EXTRA_ENVIRONMENT[backend])
    return environment


def test_backends_are_known():
    unknown = set(BACKENDS) - set(ALL_BACKENDS)
    assert BACKENDS and not unknown, (
        f"BOOK_TEST_BACKENDS names unknown backends: {unknown}"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_is_installed_and_selected(backend):
    """Keras in a fresh process picks the backend that the notebook runs will get."""
    probe = (
        "import keras; print(keras.backend.backend(), "
        "len(keras.distribution.list_devices()) "
        "if keras.backend.backend() == 'jax' else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=backend_environment(backend),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    name, devices = result.stdout.split()
    assert name == backend
    if backend == "jax":
        assert int(devices) == 2, "XLA_FLAGS did not give JAX two CPU devices"


@pytest.mark.parametrize(
    "backend,path", CASES, ids=[f"{backend}-{path.name}" for backend, path in CASES]
)
def test_notebook_reproduces_its_outputs_alone(backend, path, tmp_path):
    shutil.copy(path, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tmp_path / path.name),
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(TESTS / "nbval_sanitize.cfg"),
        "--nbval-cell-timeout",
        str(CELL_TIMEOUT_S),
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(tmp_path),
        "-c",
        "/dev/null",
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=backend_environment(backend),
    )
    if result.returncode != 0:
        pytest.fail(
            f"nbval failed for {path.name} on {backend}:\n"
            f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}",
            pytrace=False,
        )


COLAB_PYTHON = ROOT / ".venv-colab" / "bin" / "python"
COLAB_PINS = ROOT / "requirements-colab.txt"
RUN_LOWER = os.environ.get("BOOK_TEST_LOWER", "1") != "0"


def colab_pin(package: str) -> str:
    for line in COLAB_PINS.read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if name == package:
            return version
    raise AssertionError(f"{package} is not pinned in {COLAB_PINS.name}")


@pytest.mark.skipif(not RUN_LOWER, reason="BOOK_TEST_LOWER=0 skips Colab's versions")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_runs_on_the_lower_bounds_colabs_versions(path, tmp_path):
    """Run all, tags removed, on TensorFlow at Colab's versions, which are
    requirements.txt's lower bounds (.venv-colab, which `make test` creates): no cell
    may raise. The device cell's own line shows that the kernel imported the pinned
    Keras. (The test's name keeps "on_the_lower": tests/conftest.py starts these runs
    first, among the slowest.)"""
    assert COLAB_PYTHON.exists(), (
        "no .venv-colab: `make test` creates it from requirements-colab.txt"
    )
    shutil.copy(path, tmp_path)
    result = subprocess.run(
        [str(COLAB_PYTHON), str(TOOLS / "run_untagged.py"), path.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=backend_environment("tensorflow"),
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert f"Keras:    {colab_pin('keras')}" in result.stdout.splitlines(), (
        result.stdout
    )
