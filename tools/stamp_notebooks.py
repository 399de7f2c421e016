#!/usr/bin/env python3
"""Keep the parts every chapter shares in step with their single source.

    python tools/stamp_notebooks.py          # rewrite what is out of date
    python tools/stamp_notebooks.py --check  # only report; exit 1 if anything is

Three things are stamped into each notebook in notebooks/:
- the line of links under the title ("Read on the website", "Open in Colab", "Open in
  Kaggle" and "View on GitHub"), built from the repository URL, branch and website
  address in _config.yml, the one place they are kept (tools/book_layout.py);
- the source of every code cell tagged `snippet:NAME`, copied from
  tools/snippets/NAME.py, so that code the chapters share has one source: the
  install cell, the device description, the CIFAR-10 loader, the 30-layer network,
  the augmentation, the epoch timer and the plumbing of chapters that train; and
  the tags such a cell needs wherever it is (TAGS below: plumbing that readers need
  not study, the install cell and the drawing code included, is collapsed on the
  website, so that a page's first visible code is the lesson's; output that varies
  by machine is not compared);
- the stored form of tools/notebook_form.py (no volatile metadata).
None of these changes touches outputs, so stamped notebooks need no re-execution.
"""

import argparse
import sys

import nbformat

from book_layout import (
    NOTEBOOKS,
    ROOT,
    SNIPPETS,
    colab_url,
    github_url,
    kaggle_url,
    page_url,
)
from notebook_form import canonical, differences

SNIPPET_TAG = "snippet:"
# How the line of links under the title starts, now and before (a line stamped by an
# older version of this script is replaced, not added to).
LINKS_PREFIXES = ("[Read on the website](", "[Open in Colab](")
# Tags that a snippet's cell carries in every notebook.
TAGS = {
    "install": ["hide-input"],
    "diagram": ["hide-input"],
    "cifar10_loader": ["hide-input"],
    "device": ["nbval-ignore-output", "hide-input"],
    "runs": ["hide-input"],
    "stats": ["hide-input"],
    "cost": ["hide-input"],
    "results_folder": ["hide-input"],
    "book_results": ["hide-input"],
    "jpeg_effect": ["hide-input"],
    "gpu_workers": ["hide-input"],
    "depth_report": ["hide-input"],
    "report_pair": ["hide-input"],
}
# A snippet whose first line is Colab's `# @title` is plumbing: Colab shows its cell
# folded to that title (cellView "form"), and a click opens it.
COLAB_TITLE = "# @title "


def links_line(notebook_name: str) -> str:
    return " · ".join(
        [
            f"[Read on the website]({page_url(notebook_name)})",
            f"[Open in Colab]({colab_url(notebook_name)})",
            f"[Open in Kaggle]({kaggle_url(notebook_name)})",
            f"[View on GitHub]({github_url(notebook_name)})",
        ]
    )


def snippet_name(cell) -> str | None:
    """The snippet a code cell is stamped from, or None."""
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith(SNIPPET_TAG):
            return tag[len(SNIPPET_TAG) :]
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
    if (
        first is None
        or first.cell_type != "markdown"
        or not first.source.startswith("# ")
    ):
        return ["the first cell is not a markdown cell starting with the '# ' title"]
    lines = first.source.split("\n")
    wanted = links_line(notebook_name)
    if len(lines) > 2 and lines[2].startswith(LINKS_PREFIXES):
        if lines[2] != wanted:
            lines[2] = wanted
            changes.append("links under the title")
    else:
        lines[1:1] = ["", wanted]
        changes.append("links under the title (added)")
    first.source = "\n".join(lines)
    for cell in notebook.cells:
        name = snippet_name(cell) if cell.cell_type == "code" else None
        if not name:
            continue
        if cell.source != snippet_source(name):
            cell.source = snippet_source(name)
            changes.append(f"{name} cell")
        folded = cell.source.startswith(COLAB_TITLE)
        if folded and cell.metadata.get("cellView") != "form":
            cell.metadata["cellView"] = "form"
            changes.append(f"{name} cell folded in Colab")
        elif not folded and "cellView" in cell.metadata:
            del cell.metadata["cellView"]
            changes.append(f"{name} cell unfolded in Colab")
        tags = cell.metadata.setdefault("tags", [])
        for tag in TAGS.get(name, []):
            if tag not in tags:
                tags.append(tag)
                changes.append(f"{name} cell tagged {tag}")
    found = differences(notebook)
    if found:
        stored = canonical(notebook)
        notebook.metadata, notebook.cells = stored.metadata, stored.cells
        more = f" and {len(found) - 1} more" if len(found) > 1 else ""
        changes.append(f"stored form ({found[0]}{more})")
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="report notebooks that are out of date, change nothing",
    )
    args = parser.parse_args()
    stale = 0
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
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
