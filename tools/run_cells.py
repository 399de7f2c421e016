#!/usr/bin/env python3
"""Run a notebook's code cells in a plain Python process, without Jupyter.

    python tools/run_cells.py notebooks/07_degradation_across_depth.ipynb \\
        [--workdir DIR] [--stop-before-tag TAG] [--processes K]

This is how a chapter trains on a machine that has no Jupyter kernel (the GPU
machine of tools/gpu_window.sh): the code cells run in order, in one namespace, in
--workdir (default: a new temporary directory), with matplotlib drawing off screen.
The notebook itself is not changed; render it afterwards with tools/run_notebook.py
from the results file the run wrote.

A cell that raises stops the run with its traceback, except the RunsIncomplete that
a chapter raises when its deadline left it no complete comparison to show: then the
run ends there, successfully, with the finished trainings in the results file.

One deadline bounds every training of a run: TRAIN_DEADLINE (a Unix time), or
TRAIN_TIME_BUDGET seconds counted from this script's start, which it turns into
TRAIN_DEADLINE before anything else so that every process shares one clock.

--processes K trains a chapter's missing runs in K processes side by side (one
TRAIN_SESSION, TRAIN_PROCESSES=K, each claiming the next missing run in plan order
and, on JAX, taking 1/K of the GPU's memory), stopping each after the training cell;
the parent then runs the whole notebook once with TRAIN_RENDER_ONLY=1: it trains
nothing, whatever is missing and however much time is left, and renders what the
results file holds.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

TRAIN_TAG = "train-runs"


def code_cells(path: Path) -> list[dict]:
    notebook = json.loads(path.read_text())
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"]
        cells.append(
            {
                "source": "".join(source) if isinstance(source, list) else source,
                "tags": cell.get("metadata", {}).get("tags", []),
            }
        )
    return cells


class Tee(io.TextIOBase):
    """Write to a stream and keep a copy."""

    def __init__(self, stream):
        self.stream, self.parts = stream, []

    def write(self, text):
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def figure_titles(figure) -> list[str]:
    titles = [figure._suptitle.get_text()] if figure._suptitle else []
    return titles + [axis.get_title() for axis in figure.axes if axis.get_title()]


def quiet_matplotlib(namespace: dict):
    # Draw off screen; plt.show() records the titles of the figures, then closes them.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def show(*args, **kwargs):
        for number in plt.get_fignums():
            namespace["_figures"].append(
                (namespace["_cell"], figure_titles(plt.figure(number)))
            )
        plt.close("all")

    plt.show = show


def execute(
    path: Path,
    workdir: Path,
    stop_before_tag: str | None = None,
    stop_after_tag: str | None = None,
    namespace: dict | None = None,
    start_at_tag: str | None = None,
) -> dict:
    """Run the code cells of `path` in `workdir`; return the namespace.

    Raises what a cell raises, except that RunsIncomplete ends the run early. The
    namespace keeps, for tests, what each cell printed (`_outputs`: cell number,
    tags, text) and the titles of the figures it showed (`_figures`). Given a
    namespace and start_at_tag, it goes on from the first cell so tagged."""
    if namespace is None:
        namespace = {"__name__": "__main__", "_outputs": [], "_figures": []}
    quiet_matplotlib(namespace)
    previous = os.getcwd()
    os.chdir(workdir)
    started = start_at_tag is None
    try:
        for number, cell in enumerate(code_cells(path), start=1):
            if not started:
                if start_at_tag not in cell["tags"]:
                    continue
                started = True
            if stop_before_tag and stop_before_tag in cell["tags"]:
                break
            if any(line.startswith(("%", "!")) for line in cell["source"].splitlines()):
                raise SystemExit(f"cell {number} uses IPython syntax")
            code = compile(cell["source"], f"<{path.name} cell {number}>", "exec")
            namespace["_cell"] = number
            tee = Tee(sys.stdout)
            try:
                with contextlib.redirect_stdout(tee):
                    exec(code, namespace)
            except Exception as error:
                if type(error).__name__ == "RunsIncomplete":
                    print(f"stopped in cell {number}: {error}", flush=True)
                    namespace["_runs_incomplete"] = str(error)
                    return namespace
                raise
            finally:
                namespace["_outputs"].append((number, cell["tags"], "".join(tee.parts)))
            if stop_after_tag and stop_after_tag in cell["tags"]:
                break
    finally:
        os.chdir(previous)
    return namespace


def run_side_by_side(path: Path, workdir: Path, processes: int) -> int:
    """Train the missing runs in `processes` shards at once; return the worst code."""
    environment = dict(os.environ)
    environment.setdefault(
        "TRAIN_SESSION",
        time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}-shards",
    )
    children = []
    for shard in range(processes):
        env = dict(environment, TRAIN_PROCESSES=str(processes))
        env.setdefault("XLA_PYTHON_CLIENT_MEM_FRACTION", f"{0.9 / processes:.3f}")
        log = open(workdir / f"shard-{shard}.log", "w")
        command = [
            sys.executable,
            __file__,
            str(path.resolve()),
            "--workdir",
            str(workdir),
            "--stop-after-tag",
            TRAIN_TAG,
        ]
        children.append(
            (
                subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT
                ),
                log,
            )
        )
    codes = []
    for child, log in children:
        codes.append(child.wait())
        log.close()
    for shard in range(processes):
        print(f"--- shard {shard}/{processes}, exit {codes[shard]}")
        print((workdir / f"shard-{shard}.log").read_text()[-3000:], flush=True)
    return max(codes)


def share_one_deadline() -> None:
    """Turn TRAIN_TIME_BUDGET (seconds from now) into TRAIN_DEADLINE (a Unix time),
    the earlier of the two where both are set, before any process starts, so that
    every process started from here counts down to the same moment (the chapters'
    deadline_from_environment applies the same rule inside one notebook)."""
    budget = os.environ.pop("TRAIN_TIME_BUDGET", None)
    if budget is not None:
        deadline = min(
            float(os.environ.get("TRAIN_DEADLINE", "inf")), time.time() + float(budget)
        )
        os.environ["TRAIN_DEADLINE"] = f"{deadline:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "--workdir",
        type=Path,
        help="directory to run in and keep (default: a temporary one)",
    )
    parser.add_argument(
        "--stop-before-tag", help="stop before the first cell so tagged"
    )
    parser.add_argument("--stop-after-tag", help="stop after the first cell so tagged")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="train the missing runs in this many processes at once",
    )
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cells-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = args.notebook.resolve()
    start = time.perf_counter()
    share_one_deadline()
    if args.processes > 1:
        worst = run_side_by_side(path, workdir, args.processes)
        if worst:
            return worst
        # The shards trained what fitted before the deadline; the parent only renders.
        os.environ["TRAIN_RENDER_ONLY"] = "1"
    try:
        namespace = execute(path, workdir, args.stop_before_tag, args.stop_after_tag)
    except Exception:
        traceback.print_exc()
        return 1
    state = "stopped early" if "_runs_incomplete" in namespace else "done"
    print(
        f"{path.name}: {state} in {time.perf_counter() - start:.0f} s "
        f"(workdir {workdir})",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
