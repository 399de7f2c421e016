"""Shared set-up for the book's tests.

Every test that starts a Jupyter kernel inherits this process's environment, so it is
prepared once here: the quiet kernel environment of tools/kernel_env.py, and
QUICK_RUN=1 so that notebooks run their CPU-sized settings. tools/ and tests/ are
importable through `pythonpath` in pytest.ini; the repository's layout (paths, the
table of contents, the repository URL) comes from tools/book_layout.py.
"""

import os

import nbformat
import pytest

import book_layout
from book_layout import ROOT, notebook_paths, toc_files  # noqa: F401  (re-exported)
from kernel_env import quiet_kernel_environment


def pytest_configure(config):
    quiet_kernel_environment()
    os.environ.setdefault("QUICK_RUN", "1")


def trains(path) -> bool:
    """Whether a notebook has a training cell (the slowest notebooks to test)."""
    return any(
        "train-runs" in cell.get("metadata", {}).get("tags", [])
        for cell in read_notebook(path).cells
    )


def pytest_collection_modifyitems(session, config, items):
    """Start the slowest tests first, so that two workers finish close together:
    the nbval runs of chapters that train, then the training tests, then the other
    nbval runs, then everything else (each group in its own order)."""
    slow = {path.name for path in notebook_paths() if trains(path)}

    def rank(item):
        name = item.nodeid
        if "test_notebooks.py::test_notebook_reproduces" in name:
            return 0 if any(notebook in name for notebook in slow) else 2
        return 1 if "test_training.py" in name else 3

    items.sort(key=rank)


def read_notebook(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def repository_url() -> str:
    return book_layout.repository_url()
