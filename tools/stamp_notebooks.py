#!/usr/bin/env python3
"""Keep the parts every chapter shares in step with their single source.

    python tools/stamp_notebooks.py          # rewrite what is out of date
    python tools/stamp_notebooks.py --check  # only report; exit 1 if anything is

Two things are stamped into each notebook in notebooks/:
- the line of links under the title ("Open in Colab" and "View on GitHub"), built
  from the repository URL and branch in _config.yml, the one place they are kept;
- the source of any code cell tagged `cifar10-loader`, copied from
  tools/snippets/cifar10_loader.py, so every chapter reads CIFAR-10 the same way.
Neither change touches outputs, so stamped notebooks need no re-execution.
"""
import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
LOADER = ROOT / "tools" / "snippets" / "cifar10_loader.py"
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
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code" and "cifar10-loader" in tags:
            if cell.source != loader_source():
                cell.source = loader_source()
                changes.append("cifar10-loader cell")
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
