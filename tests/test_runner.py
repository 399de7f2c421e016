"""tools/run_notebook.py on a notebook made here: outputs, stored form, provenance,
--collect, and its refusal to put a quick run's files among the published results.

It starts one Jupyter kernel (a few seconds), so it is part of `make test`, not of
`make check`.
"""

import json
import os
import subprocess
import sys

import nbformat

from book_layout import ROOT
from notebook_form import PROVENANCE_KEYS, differences

RUNNER = ROOT / "tools" / "run_notebook.py"
CELLS = [
    'HARDWARE = {"name": "the test machine"}\nCIFAR10_READ = "no data, a test"',
    'import pathlib\npathlib.Path("kept.json").write_text("[]")\n'
    'pathlib.Path("dropped.txt").write_text("x")\nprint("wrote two files")',
    "print(6 * 7)",
]


def write_notebook(path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["widgets"] = {"state": {}}
    notebook.cells = [nbformat.v4.new_markdown_cell("# A test chapter")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbformat.write(notebook, path)


def run(*arguments, quick=True):
    environment = dict(os.environ)
    environment.pop("QUICK_RUN", None)
    if quick:
        environment["QUICK_RUN"] = "1"
    return subprocess.run(
        [sys.executable, str(RUNNER), *map(str, arguments)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=300,
    )


def test_runner_stores_outputs_provenance_and_collected_files(tmp_path):
    path = tmp_path / "09_test.ipynb"
    write_notebook(path)
    into = tmp_path / "collected"
    result = run(path, "--collect", "*.json", "--into", into)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in into.iterdir()) == ["kept.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["09_test.ipynb", "collected"]
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == CELLS, "the probe cell must not stay"
    assert [cell.execution_count for cell in code] == [1, 2, 3]
    assert code[2].outputs[0]["text"] == "42\n"
    assert differences(notebook) == []
    record = notebook.metadata.book.outputs
    assert set(record) == set(PROVENANCE_KEYS)
    assert record["settings"] == "quick" and record["from_results"] is False
    assert record["hardware"] == "the test machine"
    assert record["data"] == "no data, a test"
    assert record["backend"] in ("tensorflow", "jax", "torch")
    assert 0 <= record["wall_seconds"] < 60
    json.dumps(record)


def test_runner_keeps_quick_files_out_of_the_published_results(tmp_path):
    path = tmp_path / "09_test.ipynb"
    write_notebook(path)
    before = path.read_text()
    result = run(path, "--collect", "*.json")
    assert result.returncode == 2 and "never go into notebooks/results" in result.stderr
    assert path.read_text() == before


def test_a_full_run_names_its_size_and_a_quick_run_leaves_it_to_quick_run(tmp_path):
    # Chapters 6 and 7's forms show the reader's size; the book's full runs must not
    # depend on the form, so the runner sets RUN_SIZE=full when QUICK_RUN is unset.
    sizes = {}
    for quick in (False, True):
        path = tmp_path / f"09_size_{quick}.ipynb"
        write_notebook(path)
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.append(
            nbformat.v4.new_code_cell('import os\nprint(os.environ.get("RUN_SIZE"))')
        )
        nbformat.write(notebook, path)
        result = run(path, quick=quick)
        assert result.returncode == 0, result.stdout + result.stderr
        last = nbformat.read(path, as_version=4).cells[-1]
        sizes[quick] = last.outputs[0]["text"].strip()
    assert sizes == {False: "full", True: "None"}
