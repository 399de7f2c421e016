#!/usr/bin/env python3
"""Pin Google Colab's versions of the book's packages from Colab's published list.

    python tools/colab_pins.py BACKEND_INFO_CHECKOUT
    python tools/colab_pins.py pip-freeze.gpu.txt --commit a724079 --date 2026-08-19 \\
        --python 3.13

Google publishes what its Colab runtime holds in the repository
googlecolab/backend-info: `pip-freeze.gpu.txt` (the GPU runtime's `pip freeze`) and
`os-info-gpu.txt` (its Python). Given a clone of that repository (commit and date
are read with git), or a copy of the freeze file with the commit, date and Python
named, this script rewrites:

- requirements-colab.txt: the pins of the second environment of `make test`
  (.venv-colab), with the commit and date they were read from;
- the lower bounds in requirements.txt of the packages pinned there (the book's lower
  bounds are Colab's versions; tests/test_tools.py checks that they agree);
- KERAS_MINIMUM in tools/snippets/install.py (the install cell upgrades an older Keras).

A Colab version above an upper bound of requirements.txt is refused with one line and
nothing is written: test that version first (make test), then raise the bound. After
a refresh, run `python tools/stamp_notebooks.py` (the install cell) and `make test`.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from book_layout import ROOT, SNIPPETS

PINS = ROOT / "requirements-colab.txt"
REQUIREMENTS = ROOT / "requirements.txt"
INSTALL_CELL = SNIPPETS / "install.py"
SOURCE = "googlecolab/backend-info"
FREEZE = "pip-freeze.gpu.txt"
OS_INFO = "os-info-gpu.txt"
# What the notebooks import (installed in .venv-colab and run there), and Colab's
# other Keras backends, recorded beside them.
PINNED = ("tensorflow", "keras", "numpy", "scipy", "matplotlib", "pydot")
RECORDED = ("jax", "jaxlib", "torch")
HEADER = """\
# Google Colab's versions of the packages the notebooks import, pinned: the second
# environment of `make test` (.venv-colab), where every notebook must run top to bottom
# without an exception (tests/test_notebooks.py). They are also the lower bounds of
# requirements.txt (tests/test_tools.py checks it).
# Read from {source}, {freeze} at commit {commit}
# ({date}), where Colab runs Python {python}. Refresh with tools/colab_pins.py.
"""
FOOTER = """\
# Colab's other Keras backends at that commit, for the record (not installed here: the
# pass runs the notebooks on TensorFlow, Colab's default backend):
#   {recorded}
# What runs the notebooks in that environment (tools/run_untagged.py), not Colab's.
nbclient>=0.10,<0.12
ipykernel>=6.29,<8
"""


def frozen_versions(text: str) -> dict[str, str]:
    """{name: version} of every `name==version` line of a `pip freeze`, names
    normalised (lower case, - for _), local labels dropped (2.11.0+cu128: 2.11.0)."""
    versions = {}
    for line in text.splitlines():
        name, separator, version = line.split("#")[0].strip().partition("==")
        if separator and version:
            key = re.sub(r"[-_.]+", "-", name).lower()
            versions[key] = version.split("+")[0]
    return versions


def pins_text(versions: dict, commit: str, date: str, python: str) -> str:
    missing = [name for name in PINNED + RECORDED if name not in versions]
    if missing:
        raise SystemExit(f"{FREEZE} lists no {', '.join(missing)}")
    lines = [
        HEADER.format(
            source=SOURCE, freeze=FREEZE, commit=commit, date=date, python=python
        )
    ]
    lines += [f"{name}=={versions[name]}\n" for name in PINNED]
    recorded = ", ".join(f"{name}=={versions[name]}" for name in RECORDED)
    lines.append(FOOTER.format(recorded=recorded))
    return "".join(lines)


def with_lower_bounds(text: str, versions: dict) -> str:
    """requirements.txt with the lower bound of every PINNED package set to Colab's
    version; refused (SystemExit) where that version is outside the upper bound."""
    out = []
    for line in text.splitlines(keepends=True):
        requirement_text = line.partition("#")[0]
        if requirement_text.strip():
            requirement = Requirement(requirement_text.strip())
            version = versions.get(requirement.name.lower())
            if requirement.name.lower() in PINNED and version:
                upper = [spec for spec in requirement.specifier if spec.operator == "<"]
                if any(not spec.contains(version) for spec in upper):
                    raise SystemExit(
                        f"Colab has {requirement.name} {version}, which "
                        f"requirements.txt excludes ({requirement.specifier}): test "
                        "it, then raise the bound"
                    )
                bound = re.search(r">=\s*([\w.]+)", requirement_text)
                if bound and Version(bound.group(1)) != Version(version):
                    start, end = bound.span(1)
                    line = line[:start] + version + line[end:]
        out.append(line)
    return "".join(out)


def with_keras_minimum(text: str, version: str) -> str:
    parts = ", ".join(str(int(part)) for part in Version(version).release)
    new, count = re.subn(
        r"^KERAS_MINIMUM = \([\d, ]+\)", f"KERAS_MINIMUM = ({parts})", text, flags=re.M
    )
    if count != 1:
        raise SystemExit(f"{INSTALL_CELL.name} has no one KERAS_MINIMUM line")
    return new


def from_checkout(folder: Path) -> tuple[str, str, str, str]:
    """The freeze file, its commit, date and Colab's Python, from a clone of
    backend-info."""

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    commit, date = git(
        "log", "-1", "--format=%h %ad", "--date=short", "--", FREEZE
    ).split()
    os_info = (folder / OS_INFO).read_text()
    python = re.search(r"^Python (\d+\.\d+)", os_info, re.M)
    if not python:
        raise SystemExit(f"{OS_INFO} names no Python")
    return (folder / FREEZE).read_text(), commit, date, python.group(1)


def refresh(freeze: str, commit: str, date: str, python: str) -> list[str]:
    """Rewrite the three files; return the names of those that changed."""
    versions = frozen_versions(freeze)
    new = {
        PINS: pins_text(versions, commit, date, python),
        REQUIREMENTS: with_lower_bounds(REQUIREMENTS.read_text(), versions),
        INSTALL_CELL: with_keras_minimum(INSTALL_CELL.read_text(), versions["keras"]),
    }
    changed = []
    for path, text in new.items():
        if path.read_text() != text:
            path.write_text(text)
            changed.append(str(path.relative_to(ROOT)))
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help=f"a clone of {SOURCE}, or {FREEZE}")
    parser.add_argument("--commit", help="the commit the file was read at")
    parser.add_argument("--date", help="that commit's date, YYYY-MM-DD")
    parser.add_argument("--python", help="Colab's Python, e.g. 3.13")
    args = parser.parse_args()
    if args.source.is_dir():
        freeze, commit, date, python = from_checkout(args.source)
    elif args.commit and args.date and args.python:
        freeze, commit, date, python = (
            args.source.read_text(),
            args.commit,
            args.date,
            args.python,
        )
    else:
        parser.error("a single file needs --commit, --date and --python")
    changed = refresh(freeze, commit, date, python)
    print(f"Colab's versions at {commit} ({date}):", ", ".join(changed) or "no change")
    if changed:
        print("next: python tools/stamp_notebooks.py, then make test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
