#!/usr/bin/env python3
"""Execute notebooks top to bottom and store their outputs in place.

    python tools/run_notebook.py notebooks/01_sequential_vs_functional.ipynb [...]
    python tools/run_notebook.py notebooks/NN.ipynb --collect '*.json' --into DIR

Each notebook is copied into an empty temporary directory and run there with
nbclient, exactly as a reader's Colab session or the test suite would run it: no
repository file is importable and files it writes (diagrams) stay behind. The
executed notebook, with its outputs and execution counts 1..N, is then written
back over the original. Files the run wrote that match --collect (a results file, say)
are copied into the folder --into names; everything else it wrote is discarded.
--workdir DIR runs in DIR instead and keeps it, for chapters that resume from a
results file across interrupted runs (a GPU session's time limit, say).
--from-results first copies into the run directory the published results files of
notebooks/results/ that the notebook names: a chapter whose file is complete then
trains nothing and renders every table and figure from it, on any machine (set
CIFAR10_DIR to the copy of CIFAR-10 that the records name). Quick runs never
collect into notebooks/results/, which holds published results only.

The executed notebook is stored in the form of tools/notebook_form.py, with a record
of where its outputs come from in metadata.book.outputs (settings, backend, Keras
version, hardware, data, wall time, date): the runner asks the kernel once the last
cell has run, in a cell of its own that is not stored. tools/provenance.py turns
these records into the tables of README.md and book/numbers.md.

The environment decides the run: leave QUICK_RUN unset for the full settings that
the published outputs come from (RUN_SIZE is then set to full, unless it names
another size), and set CIFAR10_DIR to a local copy of CIFAR-10
when the machine has no internet (MAINTAINING.md, "Offline use"). Kernels start in the
quiet environment of tools/kernel_env.py, the one the tests use.
"""

import argparse
import contextlib
import datetime
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from book_layout import RESULTS
from kernel_env import quiet_kernel_environment
from notebook_form import PROVENANCE_KEYS, canonical

# Run after the notebook's own cells, in its kernel, and then dropped: what the run
# was. HARDWARE comes from the shared device cell, CIFAR10_READ from the loader.
PROBE = """\
import importlib.metadata as _metadata
import json as _json
import keras as _keras
_hardware = globals().get("HARDWARE")
_backend = _keras.backend.backend()
try:
    _version = _metadata.version(_backend)
except _metadata.PackageNotFoundError:
    _version = None
print(_json.dumps({
    "backend": _backend, "backend_version": _version, "keras": _keras.__version__,
    "hardware": _hardware["name"] if isinstance(_hardware, dict) else None,
    "data": globals().get("CIFAR10_READ")}))
"""


def quick_run() -> bool:
    return os.environ.get("QUICK_RUN", "") not in ("", "0")


def wall_seconds(cells) -> float:
    """Seconds from the first cell's start to the last cell's end, from nbclient's
    per-cell timestamps (which are then dropped from the stored form)."""
    starts, ends = [], []
    for cell in cells:
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            starts.append(timing["iopub.execute_input"])
            ends.append(timing["shell.execute_reply"])
    if not starts:
        raise RuntimeError("nbclient recorded no cell timings")
    first = datetime.datetime.fromisoformat(min(starts).replace("Z", "+00:00"))
    last = datetime.datetime.fromisoformat(max(ends).replace("Z", "+00:00"))
    return (last - first).total_seconds()


def record_provenance(notebook, from_results: bool) -> dict:
    """Take the probe cell off the executed notebook; return metadata.book.outputs."""
    probe = notebook.cells.pop()
    text = "".join(
        output.get("text", "")
        for output in probe.outputs
        if output.get("name") == "stdout"
    )
    found = json.loads(text.strip().splitlines()[-1])
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    record = {
        "settings": "quick" if quick_run() else "full",
        "from_results": from_results,
        **found,
        "wall_seconds": round(wall_seconds(code), 1),
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
    }
    assert set(record) == set(PROVENANCE_KEYS), sorted(record)
    return record


def published_results(notebook) -> list[Path]:
    """The files of notebooks/results/ whose names the notebook's code mentions."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return [path for path in sorted(RESULTS.glob("*.json")) if path.name in code]


def run(
    path: Path,
    timeout: int,
    kernel_name: str,
    collect: str | None = None,
    into: Path | None = None,
    workdir: Path | None = None,
    from_results: bool = False,
) -> float:
    """Execute one notebook in an empty directory; return its cells' wall time (s).

    With workdir, run in that directory instead and leave it behind, so that what a
    run wrote (a results file) is there for the next run of the same notebook.
    """
    notebook = nbformat.read(path, as_version=4)
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        place = contextlib.nullcontext(str(workdir))
    else:
        place = tempfile.TemporaryDirectory(prefix="notebook-run-")
    with place as directory:
        shutil.copy(path, directory)
        if from_results:
            for published in published_results(notebook):
                if not (Path(directory) / published.name).exists():
                    shutil.copy(published, directory)
                    print(f"  starting from {published.name}", flush=True)
        notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name=kernel_name,
            record_timing=True,
            resources={"metadata": {"path": directory}},
        )
        client.execute()
        provenance = record_provenance(notebook, from_results)
        if collect:
            into.mkdir(parents=True, exist_ok=True)
            for produced in sorted(Path(directory).glob(collect)):
                if produced.name != path.name:
                    shutil.copy(produced, into / produced.name)
                    print(f"  kept {into / produced.name}", flush=True)
    notebook.metadata.setdefault("book", {})["outputs"] = provenance
    notebook = canonical(notebook)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return provenance["wall_seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--timeout",
        type=int,
        default=3600,
        help="seconds allowed per cell (default 3600)",
    )
    parser.add_argument(
        "--kernel",
        default="python3",
        help="Jupyter kernel to run them on (default python3)",
    )
    parser.add_argument(
        "--collect",
        metavar="PATTERN",
        help="keep the files the run writes that match this glob",
    )
    parser.add_argument(
        "--into",
        type=Path,
        default=Path("notebooks/results"),
        help="where --collect puts them (default notebooks/results)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="run in this directory and keep it, instead of an empty "
        "temporary one: a chapter that resumes from its results "
        "file (chapter 7) finds there what an interrupted run "
        "of it wrote",
    )
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="start from the published results files in "
        "notebooks/results/ that the notebook names",
    )
    args = parser.parse_args()
    quiet_kernel_environment()
    quick = quick_run()
    mode = "quick" if quick else "full"
    if not quick:
        # The book's full runs name their size: the run-size forms of chapters 6 and
        # 7 show the reader's.
        os.environ.setdefault("RUN_SIZE", "full")
    if quick and args.collect and args.into.resolve() == RESULTS:
        parser.error("a quick run's files never go into notebooks/results/")
    for path in args.notebooks:
        print(f"running {path} ({mode} settings) ...", flush=True)
        seconds = run(
            path,
            args.timeout,
            args.kernel,
            args.collect,
            args.into,
            args.workdir,
            args.from_results,
        )
        print(f"  done in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
