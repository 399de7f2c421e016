"""Every notebook, run under nbval, alone in an empty directory.

Each notebook is copied into its own empty temporary directory, as Colab holds it, and
nbval runs it there on a fresh kernel of this environment, comparing every output with
the stored one except in cells tagged nbval-ignore-output (see CONTRIBUTING.md) and
after the normalisations in tests/nbval_sanitize.cfg. One run therefore proves both
that the stored outputs are reproduced and that the notebook needs no file of this
repository. conftest.py sets QUICK_RUN=1 and the quiet kernel environment.
"""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, notebook_paths

NOTEBOOKS = notebook_paths()
CELL_TIMEOUT_S = 600


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_reproduces_its_outputs_alone(path, tmp_path):
    shutil.copy(path, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    command = [
        sys.executable, "-m", "pytest", str(tmp_path / path.name),
        "--nbval", "--nbval-current-env",
        "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
        "--nbval-cell-timeout", str(CELL_TIMEOUT_S),
        "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path),
        "-c", "/dev/null",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"nbval failed for {path.name}:\n{result.stdout[-20000:]}"
                    f"\n{result.stderr[-5000:]}", pytrace=False)
