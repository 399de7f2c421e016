#!/usr/bin/env python3
"""Run a chapter's full experiment on Kaggle, unattended, and bring its results back.

    make kaggle-push CHAPTER=06 SIZE=full    # python tools/kaggle_book.py push ...
    make kaggle-pull CHAPTER=06              # python tools/kaggle_book.py pull ...

push: writes a copy of the chapter into _build/kaggle/<notebook>/ with the run size
stamped into its settings form (RUN_SIZE), and a kernel-metadata.json beside it: the
id from the maintainer's Kaggle user name, private, GPU and internet on, and the
previous version's output attached as a kernel source when there is one (the chapter
copies its results file in from there and trains only what it lacks). Then the
official CLI pushes it: `kaggle kernels push -p DIR --accelerator NvidiaTeslaT4 -t
SECONDS` (two T4s; the time limit defaults to Kaggle's 12 hours).

pull: waits on `kaggle kernels status` until the version has run, downloads its output
with `kaggle kernels output` into _build/kaggle/<notebook>-output/, checks every record
of the chapter's results file (settings of a full run on the whole of CIFAR-10, the
official data, a GPU machine, one backend and precision, and the same as those already
published), merges it into notebooks/results/ (weights too), renders the chapter from
the results without training (tools/run_notebook.py --from-results, TRAIN_RENDER_ONLY=1)
and prints what changed, in the results and in the page.

The `kaggle` CLI runs from its own environment (KAGGLE_VENV, default .venv-kaggle,
from requirements-maintainer.txt; `make install-kaggle`), and reads the maintainer's
credentials where it always does (an API token in ~/.kaggle/access_token or
KAGGLE_API_TOKEN; or kaggle.json in ~/.kaggle or KAGGLE_CONFIG_DIR; or `kaggle auth
login`). Nothing here writes them anywhere. Without them both commands say so in one
line and change nothing.
"""

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCELERATOR = "NvidiaTeslaT4"  # Kaggle's "GPU T4 x2"
SESSION_SECONDS = 12 * 3600  # the longest a Kaggle GPU session runs
SIZE_LINE = re.compile(
    r'^RUN_SIZE = "(?P<size>\w+)"(?P<rest>\s*# @param (?P<sizes>.*))$', re.MULTILINE
)
DATA_FILE = re.compile(r'"(\w+\.(?:json|npz))"')
NO_CREDENTIALS = (
    "no Kaggle credentials found: create an API token at "
    "https://www.kaggle.com/settings/api and save it as ~/.kaggle/access_token (or run "
    "`{kaggle} auth login`), then run this again; nothing was changed"
)
FINISHED = {"COMPLETE", "ERROR", "CANCEL_ACKNOWLEDGED"}
STILL_RUNNING = {"QUEUED", "RUNNING", "NEW_SCRIPT", "CANCEL_REQUESTED"}
# A full run of chapters 6 and 7 trains on all of CIFAR-10 as keras.datasets
# downloads it, which is what a Kaggle session with internet reads.
FULL_DATA = {
    "name": "official CIFAR-10 files",
    "train_images": 50_000,
    "test_images": 10_000,
}
LIKE_MACHINE = ("backend", "precision")  # what one study may not mix (runs.py)
# Put first into the pushed copy of a chapter that trains with keras.distribution
# (the appendix): it trains over several GPUs on JAX only, and the book's notebooks
# themselves never pin a backend.
JAX_CELL = """\
# Added by make kaggle-push: keras.distribution trains over several GPUs on JAX
# only, so this copy runs on JAX where Kaggle's JAX sees the GPUs, and says so if not.
import os

try:
    import jax

    jax_gpus = jax.devices("gpu")
except Exception:  # no JAX, or a JAX without GPU support
    jax_gpus = []
if jax_gpus:
    os.environ.setdefault("KERAS_BACKEND", "jax")
else:
    print("JAX with GPU support is missing here, so keras.distribution cannot train "
          "over both GPUs: this run measures no speed-up")"""


class Refused(Exception):
    """Something is missing or wrong: say it in one line, and change nothing."""


def whoami() -> int:
    """Run by the kaggle environment's Python: print the user name that the kaggle
    package's own authentication finds, or exit 3 if it finds no credentials."""
    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
    except SystemExit:
        return 3
    name = api.config_values.get(api.CONFIG_NAME_USER)
    if not name:
        return 3
    print(name)
    return 0


class Kaggle:
    """The official CLI, from its own environment."""

    def __init__(self, venv: Path):
        self.venv = venv
        self.cli = venv / "bin" / "kaggle"
        self.python = venv / "bin" / "python"
        if not self.cli.exists():
            raise Refused(
                f"no kaggle CLI in {venv}: run `make install-kaggle`; nothing "
                "was changed"
            )

    def user(self) -> str:
        found = subprocess.run(
            [str(self.python), __file__, "whoami"], capture_output=True, text=True
        )
        if found.returncode != 0 or not found.stdout.strip():
            raise Refused(NO_CREDENTIALS.format(kaggle=self.cli))
        return found.stdout.strip().splitlines()[-1]

    def run(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.cli), *arguments], capture_output=True, text=True
        )

    def status(self, kernel: str) -> tuple[str | None, str]:
        """(status name such as COMPLETE, or None if Kaggle has no such kernel; the
        CLI's words)."""
        done = self.run("kernels", "status", kernel)
        said = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            if re.search(r"\b404\b|not found", said, re.IGNORECASE):
                return None, said
            raise Refused(f"`kaggle kernels status {kernel}` failed: {said}")
        found = re.search(r'has status "(?:\w+\.)?(\w+)"', said)
        if not found:
            raise Refused(f"unexpected answer from `kaggle kernels status`: {said}")
        return found[1].upper(), said


def chapter_notebook(chapter: str) -> Path:
    if not re.fullmatch(r"\d\d", chapter or ""):
        raise Refused(
            f"CHAPTER is a two-digit chapter number such as 06, not "
            f"{chapter!r}; nothing was changed"
        )
    found = sorted((ROOT / "notebooks").glob(f"{chapter}_*.ipynb"))
    if len(found) != 1:
        raise Refused(f"no chapter {chapter} in notebooks/; nothing was changed")
    return found[0]


def kernel_slug(notebook: Path) -> tuple[str, str]:
    """(title, slug): Kaggle makes the slug from the title, lower case with dashes."""
    number, _, name = notebook.stem.partition("_")
    title = f"ResNet book {number} {name.replace('_', ' ')}"
    return title, re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def code_of(notebook: dict) -> str:
    return "\n".join(
        "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    )


def results_names(notebook: dict) -> list[str]:
    """The full run's results and weights files that the chapter's code names."""
    names = sorted(set(DATA_FILE.findall(code_of(notebook))))
    return [name for name in names if not Path(name).stem.endswith("_quick")]


def stamp_size(notebook: dict, size: str) -> str:
    """Set the settings form's RUN_SIZE to `size` in place; return what it was."""
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        found = SIZE_LINE.search(source) if cell["cell_type"] == "code" else None
        if not found:
            continue
        sizes = json.loads(found["sizes"]) if found["sizes"].startswith("[") else []
        if size not in sizes:
            raise Refused(
                f"SIZE is one of {', '.join(sizes)}, not {size!r}; nothing was changed"
            )
        cell["source"] = SIZE_LINE.sub(f'RUN_SIZE = "{size}"\\g<rest>', source, count=1)
        return found["size"]
    if size != "full":
        raise Refused(
            f"this chapter has no run-size form, only its full run: SIZE=full, "
            f"not {size!r}; nothing was changed"
        )
    return "full"


def push(args) -> int:
    notebook_path = chapter_notebook(args.chapter)
    notebook = json.loads(notebook_path.read_text())
    was = stamp_size(notebook, args.size)
    kaggle = Kaggle(args.kaggle_venv)
    user = kaggle.user()
    title, slug = kernel_slug(notebook_path)
    kernel = f"{user}/{slug}"
    previous, said = kaggle.status(kernel)
    if previous in STILL_RUNNING:
        raise Refused(
            f"{kernel} is still running ({said}): wait for it, or `make "
            f"kaggle-pull CHAPTER={args.chapter}`; nothing was changed"
        )
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    if "keras.distribution.DataParallel" in code_of(notebook):
        notebook["cells"].insert(
            1,
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": JAX_CELL,
            },
        )
        print("the copy runs on JAX where Kaggle's JAX has GPU support")
    stage = args.stage or ROOT / "_build" / "kaggle" / notebook_path.stem
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    (stage / notebook_path.name).write_text(json.dumps(notebook, indent=1) + "\n")
    metadata = {
        "id": kernel,
        "title": title,
        "code_file": notebook_path.name,
        "language": "python",
        "kernel_type": "notebook",
        "is_private": True,
        "enable_gpu": True,
        "enable_internet": True,
        "dataset_sources": [],
        "competition_sources": [],
        # The last version's output: the chapter resumes from the results file in it.
        "kernel_sources": [kernel] if previous is not None else [],
        "model_sources": [],
    }
    (stage / "kernel-metadata.json").write_text(json.dumps(metadata, indent=1) + "\n")
    print(
        f"{notebook_path.name}: RUN_SIZE {was} -> {args.size} in the copy in "
        f"{stage.relative_to(ROOT) if stage.is_relative_to(ROOT) else stage}"
    )
    print(
        "previous version:",
        f"{previous.lower()}, its output attached as input"
        if previous
        else "none (a new kernel)",
    )
    command = [
        "kernels",
        "push",
        "-p",
        str(stage),
        "--accelerator",
        args.accelerator,
        "-t",
        str(args.timeout),
    ]
    print(f"kaggle {' '.join(command)}", flush=True)
    done = kaggle.run(*command)
    said = (done.stdout + done.stderr).strip()
    print(said)
    if done.returncode != 0 or "push error" in said.lower():
        return 1
    print(
        f"pushed {kernel} on {args.accelerator} with a limit of {args.timeout} s; "
        f"when it has run: make kaggle-pull CHAPTER={args.chapter}"
    )
    return 0


def problems_with(records, name: str, published: list) -> list[str]:
    """What makes the pulled records unfit for notebooks/results/ (empty if none)."""
    if not isinstance(records, list) or not records:
        return [f"{name}: no records"]
    found = []
    experiments = []
    for number, record in enumerate(records, start=1):
        where = f"{name} record {number} ({record.get('key', 'no key')})"
        try:
            settings = record["experiment"]["settings"]
            data = record["experiment"]["data"]
            machine = record["machine"]
        except (KeyError, TypeError):
            found.append(f"{where}: no experiment settings, data or machine")
            continue
        if settings.get("quick_run") is not False:
            found.append(f"{where}: a quick run's settings")
        for size in ("train_images", "test_images"):
            if (
                settings.get(size) != FULL_DATA[size]
                or data.get(size) != FULL_DATA[size]
            ):
                found.append(
                    f"{where}: {size} {settings.get(size)} in the settings, "
                    f"{data.get(size)} in the data, not {FULL_DATA[size]:,}"
                )
        if data.get("name") != FULL_DATA["name"]:
            found.append(
                f"{where}: data {data.get('name')!r}, not the {FULL_DATA['name']}"
            )
        if machine.get("device_class", "CPU") == "CPU" or not machine.get("device"):
            found.append(f"{where}: trained on {machine.get('device')!r}, not a GPU")
        if record.get("jit_compile") is not True:
            found.append(f"{where}: trained without a compiled step")
        missing = [
            key
            for key in ("backend", "keras", "precision", "session")
            if not machine.get(key)
        ]
        if missing:
            found.append(f"{where}: the machine lacks {', '.join(missing)}")
        if record["experiment"] not in experiments:
            experiments.append(record["experiment"])
    if len(experiments) > 1:
        found.append(f"{name}: {len(experiments)} different experiments in one file")
    # One study, one backend and precision: Kaggle's and those already published.
    for experiment in experiments:
        kinds = {
            tuple(record["machine"].get(key) for key in LIKE_MACHINE)
            for record in records + published
            if isinstance(record, dict) and record.get("experiment") == experiment
        }
        if len(kinds) > 1:
            found.append(
                f"{name}: one experiment trained with several "
                f"{'/'.join(LIKE_MACHINE)}: {sorted(kinds)}"
            )
    return found


def merge_records(published: list, pulled: list) -> tuple[list, dict]:
    """Published records first, then the pulled ones they lack; what changed."""

    def identity(record):
        return record["key"], json.dumps(record["experiment"], sort_keys=True)

    have = {identity(record): record for record in published}
    changes = {"added": [], "same": [], "kept": []}
    merged = list(published)
    for record in pulled:
        old = have.get(identity(record))
        if old is None:
            merged.append(record)
            changes["added"].append(record["key"])
        elif (old.get("started"), old.get("finished")) == (
            record.get("started"),
            record.get("finished"),
        ):
            changes["same"].append(record["key"])
        else:  # trained twice: the published training stays, as published
            changes["kept"].append(record["key"])
    return merged, changes


def merge_weights(published: Path, pulled: Path) -> tuple[dict, list]:
    import numpy as np

    with np.load(pulled) as kept:
        arrays = {name: kept[name] for name in kept.files}
    known = set()
    if published.exists():
        with np.load(published) as kept:
            known = {name.split("/")[0] for name in kept.files}
            arrays = {
                **{
                    name: array
                    for name, array in arrays.items()
                    if name.split("/")[0] not in known
                },
                **{name: kept[name] for name in kept.files},
            }
    new = sorted({name.split("/")[0] for name in arrays} - known)
    return arrays, new


def stored_outputs(notebook_path: Path) -> list[str]:
    notebook = json.loads(notebook_path.read_text())
    texts = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        parts = []
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        texts.append("".join(parts))
    return texts


def print_page_changes(before: list[str], after: list[str]) -> None:
    import difflib

    changed = [
        number
        for number, (old, new) in enumerate(zip(before, after), start=1)
        if old != new
    ]
    print(f"page: {len(changed)} of {len(after)} code cells print something else now")
    shown = 0
    for number in changed:
        lines = list(
            difflib.unified_diff(
                before[number - 1].splitlines(),
                after[number - 1].splitlines(),
                lineterm="",
                n=0,
            )
        )[2:]
        print(f"  code cell {number}:")
        for line in lines[:12]:
            print("    " + line)
        shown += 1
        if shown == 8:
            print(f"  ... and {len(changed) - shown} more cells (git diff shows them)")
            break


def wait_until_run(kaggle: Kaggle, kernel: str, poll: float, patience: float) -> str:
    start, last = time.monotonic(), None
    while True:
        status, said = kaggle.status(kernel)
        if status is None:
            raise Refused(
                f"Kaggle has no kernel {kernel}: push it first (make "
                "kaggle-push); nothing was changed"
            )
        if status != last:
            print(f"{time.strftime('%H:%M:%S')} {said}", flush=True)
            last = status
        if status in FINISHED or status not in STILL_RUNNING:
            return status
        if time.monotonic() - start > patience:
            raise Refused(
                f"{kernel} is still {status.lower()} after {patience:.0f} s: "
                "run this again later; nothing was changed"
            )
        time.sleep(poll)


def pull(args) -> int:
    notebook_path = chapter_notebook(args.chapter)
    notebook = json.loads(notebook_path.read_text())
    names = results_names(notebook)
    if not names:
        raise Refused(f"{notebook_path.name} keeps no results file; nothing to pull")
    kaggle = Kaggle(args.kaggle_venv)
    user = kaggle.user()
    kernel = f"{user}/{kernel_slug(notebook_path)[1]}"
    status = wait_until_run(kaggle, kernel, args.poll, args.patience)
    if status != "COMPLETE":
        print(f"the version ended {status.lower()}: taking the trainings it finished")
    download = args.stage or ROOT / "_build" / "kaggle" / f"{notebook_path.stem}-output"
    shutil.rmtree(download, ignore_errors=True)
    download.mkdir(parents=True)
    done = kaggle.run("kernels", "output", kernel, "-p", str(download))
    if done.returncode != 0:
        raise Refused(
            f"`kaggle kernels output {kernel}` failed: "
            f"{(done.stdout + done.stderr).strip()}; nothing was changed"
        )
    found = {path.name: path for path in sorted(download.rglob("*")) if path.is_file()}
    print(f"downloaded {len(found)} files into {download}")
    pulled = {name: found[name] for name in names if name in found}
    json_names = [name for name in pulled if name.endswith(".json")]
    if not json_names:
        raise Refused(
            f"the output of {kernel} holds no {' or '.join(names)} (it holds "
            f"{', '.join(found) or 'nothing'}); nothing was changed"
        )
    results_dir = args.results
    plans, problems = {}, []
    for name in json_names:
        records = json.loads(pulled[name].read_text())
        target = results_dir / name
        published = json.loads(target.read_text()) if target.exists() else []
        problems += problems_with(records, name, published)
        plans[name] = (records, published)
    if problems:
        print(
            f"{len(problems)} problems with the pulled records, so nothing was changed:"
        )
        for problem in problems:
            print("  " + problem)
        return 1
    results_dir.mkdir(parents=True, exist_ok=True)
    for name, (records, published) in plans.items():
        merged, changes = merge_records(published, records)
        temporary = results_dir / f".{name}.tmp"
        temporary.write_text(json.dumps(merged, indent=1))
        temporary.replace(results_dir / name)
        print(
            f"{name}: {len(merged)} records (was {len(published)}): "
            f"{len(changes['added'])} added, {len(changes['same'])} already there"
        )
        for key in changes["added"]:
            print(f"  + {key}")
        if changes["kept"]:
            print(
                f"  kept as published, not replaced by a second training on Kaggle: "
                f"{', '.join(changes['kept'])}"
            )
        devices = sorted({record["machine"]["device"] for record in records})
        print(
            f"  trained on {', '.join(devices)}, "
            f"{records[0]['machine']['backend']}, {records[0]['machine']['precision']}"
        )
    for name in (name for name in pulled if name.endswith(".npz")):
        import numpy as np

        arrays, new = merge_weights(results_dir / name, pulled[name])
        with tempfile.NamedTemporaryFile(
            dir=results_dir, suffix=".npz", delete=False
        ) as temporary:
            np.savez(temporary, **arrays)
        Path(temporary.name).replace(results_dir / name)
        print(f"{name}: weights of {len(new)} more networks: {', '.join(new) or '-'}")
    if args.no_render:
        return 0
    before = stored_outputs(notebook_path)
    environment = dict(os.environ, TRAIN_RENDER_ONLY="1")
    environment.pop("QUICK_RUN", None)
    # The page shows the full plan's records, whatever the form of the notebook says.
    environment.setdefault("RUN_SIZE", "full")
    command = [args.python, str(args.runner), "--from-results", str(notebook_path)]
    print("rendering without training:", " ".join(command[1:]), flush=True)
    rendered = subprocess.run(command, env=environment, cwd=ROOT)
    if rendered.returncode != 0:
        print(
            "the page was not rendered; the results are in place: render it with "
            f"TRAIN_RENDER_ONLY=1 {' '.join(command[1:])}"
        )
        return rendered.returncode
    print_page_changes(before, stored_outputs(notebook_path))
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["whoami"]:
        return whoami()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kaggle-venv",
        type=Path,
        default=Path(os.environ.get("KAGGLE_VENV", ROOT / ".venv-kaggle")),
        help="environment holding the kaggle CLI (default .venv-kaggle)",
    )
    parser.add_argument(
        "--stage",
        type=Path,
        help="folder for the pushed copy or the downloaded output "
        "(default _build/kaggle/...)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pushing = commands.add_parser("push", help="push a chapter to run on Kaggle")
    pushing.add_argument("--chapter", required=True, help="two digits, such as 06")
    pushing.add_argument("--size", default="full", help="full, reader or quick")
    pushing.add_argument("--accelerator", default=ACCELERATOR)
    pushing.add_argument(
        "--timeout",
        type=int,
        default=SESSION_SECONDS,
        help="seconds the version may run (default 43200, 12 h)",
    )
    pulling = commands.add_parser("pull", help="take a finished run's results back")
    pulling.add_argument("--chapter", required=True, help="two digits, such as 06")
    pulling.add_argument("--results", type=Path, default=ROOT / "notebooks" / "results")
    pulling.add_argument(
        "--poll",
        type=float,
        default=60.0,
        help="seconds between status checks (default 60)",
    )
    pulling.add_argument(
        "--patience",
        type=float,
        default=SESSION_SECONDS + 3600,
        help="seconds to wait for the run (default 13 h)",
    )
    pulling.add_argument(
        "--python",
        default=sys.executable,
        help="Python of the book's environment, to render with",
    )
    pulling.add_argument(
        "--runner",
        type=Path,
        default=Path(
            os.environ.get("KAGGLE_BOOK_RUNNER", ROOT / "tools" / "run_notebook.py")
        ),
        help="the notebook runner (default tools/run_notebook.py)",
    )
    pulling.add_argument(
        "--no-render",
        action="store_true",
        help="take the results in, but do not render the chapter",
    )
    args = parser.parse_args(argv)
    try:
        return push(args) if args.command == "push" else pull(args)
    except Refused as refusal:
        print(refusal)
        return 1


if __name__ == "__main__":
    sys.exit(main())
