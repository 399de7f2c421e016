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

The environment decides the run: leave QUICK_RUN unset for the full settings that
the published outputs come from, and set CIFAR10_DIR to a local copy of CIFAR-10
when the machine has no internet (README.md, "Offline use"). Kernels start in the
quiet environment of tools/kernel_env.py, the one the tests use.
"""
import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from kernel_env import quiet_kernel_environment

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"


def published_results(notebook) -> list[Path]:
    """The files of notebooks/results/ whose names the notebook's code mentions."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return [path for path in sorted(RESULTS.glob("*.json")) if path.name in code]


def run(path: Path, timeout: int, kernel_name: str,
        collect: str | None = None, into: Path | None = None,
        workdir: Path | None = None, from_results: bool = False) -> float:
    """Execute one notebook in an empty directory; return its wall time in seconds.

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
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name=kernel_name,
            resources={"metadata": {"path": directory}},
        )
        start = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - start
        if collect:
            into.mkdir(parents=True, exist_ok=True)
            for produced in sorted(Path(directory).glob(collect)):
                if produced.name != path.name:
                    shutil.copy(produced, into / produced.name)
                    print(f"  kept {into / produced.name}", flush=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=3600,
                        help="seconds allowed per cell (default 3600)")
    parser.add_argument("--kernel", default="python3",
                        help="Jupyter kernel to run them on (default python3)")
    parser.add_argument("--collect", metavar="PATTERN",
                        help="keep the files the run writes that match this glob")
    parser.add_argument("--into", type=Path, default=Path("notebooks/results"),
                        help="where --collect puts them (default notebooks/results)")
    parser.add_argument("--workdir", type=Path,
                        help="run in this directory and keep it, instead of an empty "
                             "temporary one: a chapter that resumes from its results "
                             "file (chapter 6) finds there what an interrupted run "
                             "of it wrote")
    parser.add_argument("--from-results", action="store_true",
                        help="start from the published results files in "
                             "notebooks/results/ that the notebook names")
    args = parser.parse_args()
    quiet_kernel_environment()
    quick = os.environ.get("QUICK_RUN", "") not in ("", "0")
    mode = "quick" if quick else "full"
    if quick and args.collect and args.into.resolve() == RESULTS:
        parser.error("a quick run's files never go into notebooks/results/")
    for path in args.notebooks:
        print(f"running {path} ({mode} settings) ...", flush=True)
        seconds = run(path, args.timeout, args.kernel, args.collect, args.into,
                      args.workdir, args.from_results)
        print(f"  done in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
