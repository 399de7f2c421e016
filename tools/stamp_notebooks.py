#!/usr/bin/env python3
"""Keep the parts every chapter shares in step with their single source.

    python tools/stamp_notebooks.py          # rewrite what is out of date
    python tools/stamp_notebooks.py --check  # only report; exit 1 if anything is

Two things are stamped into each notebook in notebooks/:
- the line of links under the title ("Open in Colab" and "View on GitHub"), built
  from the repository URL and branch in _config.yml, the one place they are kept;
- the source of every code cell tagged `snippet:NAME`, copied from
  tools/snippets/NAME.py, so that code the chapters share has one source (a cell
  tagged `cifar10-loader` is `snippet:cifar10_loader`): the CIFAR-10 loader, the
  device description, the augmentation and the plumbing of chapters that train.
Neither change touches outputs, so stamped notebooks need no re-execution.
"""
import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "tools" / "snippets"
LOADER = SNIPPETS / "cifar10_loader.py"
SNIPPET_TAG = "snippet:"
LINKS_PREFIX = "[Open in Colab]("


def repository() -> tuple[str, str]:
    """Return the GitHub 'owner/name' and branch named in _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    prefix = "https://github.com/"
    if not url.startswith(prefix):
        raise SystemExit(f"_config.yml repository.url must start with {prefix}")
    return url[len(prefix):], config["repository"].get("branch", "main")


def links_line(notebook_name: str) -> str:
    slug, branch = repository()
    path = f"{slug}/blob/{branch}/notebooks/{notebook_name}"
    return (f"[Open in Colab](https://colab.research.google.com/github/{path}) · "
            f"[View on GitHub](https://github.com/{path})")


def loader_source() -> str:
    return LOADER.read_text().rstrip("\n")


def snippet_name(cell) -> str | None:
    """The snippet a code cell is stamped from, or None."""
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag == "cifar10-loader":
            return "cifar10_loader"
        if tag.startswith(SNIPPET_TAG):
            return tag[len(SNIPPET_TAG):]
    return None


def snippet_source(name: str) -> str:
    path = SNIPPETS / f"{name}.py"
    if not path.is_file():
        raise SystemExit(f"no snippet {path.relative_to(ROOT)}")
    return path.read_text().rstrip("\n")


def stamp(notebook, notebook_name: str) -> list[str]:
    """Bring one notebook in step; return what had to change."""
    changes = []
    first = notebook.cells[0] if notebook.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        return ["the first cell is not a markdown cell starting with the '# ' title"]
    lines = first.source.split("\n")
    wanted = links_line(notebook_name)
    if len(lines) > 2 and lines[2].startswith(LINKS_PREFIX):
        if lines[2] != wanted:
            lines[2] = wanted
            changes.append("links under the title")
    else:
        lines[1:1] = ["", wanted]
        changes.append("links under the title (added)")
    first.source = "\n".join(lines)
    for cell in notebook.cells:
        name = snippet_name(cell) if cell.cell_type == "code" else None
        if name and cell.source != snippet_source(name):
            cell.source = snippet_source(name)
            changes.append(f"{name} cell")
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report notebooks that are out of date, change nothing")
    args = parser.parse_args()
    stale = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        changes = stamp(notebook, path.name)
        if changes:
            stale += 1
            print(f"{path.relative_to(ROOT)}: {', '.join(changes)}")
            if not args.check:
                nbformat.write(notebook, path)
    if args.check and stale:
        print("run: python tools/stamp_notebooks.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
