"""Shared set-up for the book's tests.

Every test that starts a Jupyter kernel inherits this process's environment, so it is
prepared once here: the quiet kernel environment of tools/kernel_env.py, and
QUICK_RUN=1 so that notebooks run their CPU-sized settings. tools/ and tests/ are
importable through `pythonpath` in pytest.ini; the repository's layout (paths, the
table of contents, the repository URL) comes from tools/book_layout.py.
"""

import os
import shutil
import tempfile

import nbformat
import pytest

import book_layout
from book_layout import ROOT, notebook_paths, toc_files  # noqa: F401  (re-exported)
from kernel_env import quiet_kernel_environment

# The browser of the site and JupyterLab tests: Debian's Chromium, driven by Playwright
# through `executable_path` (no browser download), with flags for a root user on a
# machine with no display and no internet; a failing test leaves a screenshot here.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "_build" / "site-test-screenshots"


def pytest_configure(config):
    quiet_kernel_environment()
    os.environ.setdefault("QUICK_RUN", "1")
    share_jax_compilations(config)


def share_jax_compilations(config):
    """One persistent JAX compilation cache for every process of this test run.

    The JAX runs compile the same training steps many times: each seed's model is a
    new Python function to JAX, chapter 7's networks train in the nbval run and again
    in test_training.py's resume test, in other processes. With JAX's persistent
    cache (the one tools/gpu/window.sh uses on the GPU), a step whose program has
    been compiled once anywhere in the run is read back instead of compiled again.
    Every compilation is kept, however short: building a model compiles one small
    program per weight shape, and those add up (chapter 7's quick run on JAX, measured
    in one process: 59 s of CPU time with an empty cache, 38 s with a filled one).
    Only compile time changes: the programs, and so every output, are the same. The
    first process to configure (xdist's controller) makes the folder and its workers
    inherit it; a cache that a developer set in the environment is left alone.
    """
    if "JAX_COMPILATION_CACHE_DIR" in os.environ:
        return
    folder = tempfile.mkdtemp(prefix="book-tests-jax-cache-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = folder
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def trains(path) -> bool:
    """Whether a notebook has a training cell (the slowest notebooks to test)."""
    return any(
        "train-runs" in cell.get("metadata", {}).get("tags", [])
        for cell in read_notebook(path).cells
    )


def pytest_collection_modifyitems(session, config, items):
    """Start the slowest tests first, so that two workers finish close together:
    the notebook runs (nbval, and the pass at Colab's versions) of chapters that
    train, then the training tests, then the other notebook runs, then everything
    else (each group in its own order)."""
    slow = {path.name for path in notebook_paths() if trains(path)}

    def rank(item):
        name = item.nodeid
        if any(
            f"test_notebooks.py::{test}" in name
            for test in ("test_notebook_reproduces", "test_notebook_runs_on_the_lower")
        ):
            return 0 if any(notebook in name for notebook in slow) else 2
        return 1 if "test_training.py" in name else 3

    items.sort(key=rank)


def read_notebook(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def repository_url() -> str:
    return book_layout.repository_url()
