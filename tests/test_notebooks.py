"""Every notebook, run under nbval, alone in an empty directory, on every backend.

Each notebook is copied into its own empty temporary directory, as Colab holds it, and
nbval runs it there on a fresh kernel of this environment, comparing every output with
the stored one except in cells tagged nbval-ignore-output (see CONTRIBUTING.md) and
after the normalisations in tests/nbval_sanitize.cfg. One run therefore proves both
that the stored outputs are reproduced and that the notebook needs no file of this
repository. conftest.py sets QUICK_RUN=1 and the quiet kernel environment.

The whole suite runs once per Keras backend in BACKENDS (the kernel inherits
KERAS_BACKEND), against the same stored outputs, which come from TensorFlow. A compared
output that differs between backends is a bug to fix at its source, not a reason to
loosen the comparison. BOOK_TEST_BACKENDS=tensorflow (a comma-separated list) narrows
the run, for a quicker local check.

JAX runs see two virtual CPU devices (XLA_FLAGS below), so that the data-parallel
appendix runs its multi-device path, mesh and batch splitting included, on a machine
without accelerators. Chapters that do not distribute use the first device only.
"""

import os
import shutil
import subprocess
import sys

import pytest

from book_layout import TESTS, notebook_paths

NOTEBOOKS = notebook_paths()
CELL_TIMEOUT_S = 600
ALL_BACKENDS = ("tensorflow", "jax")
BACKENDS = tuple(
    name.strip()
    for name in os.environ.get("BOOK_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",")
    if name.strip()
)
EXTRA_ENVIRONMENT = {
    "tensorflow": {},
    "jax": {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
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
        "len(keras.distribution.list_devices()))"
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
