"""Shared set-up for the book's tests.

Every test that starts a Jupyter kernel inherits this process's environment, so it is
prepared once here: the quiet kernel environment of tools/kernel_env.py, and
QUICK_RUN=1 so that notebooks run their CPU-sized settings.
"""
import os
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from kernel_env import quiet_kernel_environment  # noqa: E402


def pytest_configure(config):
    quiet_kernel_environment()
    os.environ.setdefault("QUICK_RUN", "1")


def notebook_paths() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def read_notebook(path: Path):
    return nbformat.read(path, as_version=4)


def toc_files() -> list[str]:
    """Every `file:` entry of _toc.yml, the root included, in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


@pytest.fixture(scope="session")
def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")
