"""Lines of code and lines of prose that a chapter's page shows.

A reader of the website sees a code cell's source unless the cell is tagged
`hide-input`, `remove-input`, `remove-cell` or `hide-cell` (the shared cells stamped
from tools/snippets/ are hidden that way). The count is of non-empty lines: code lines
in the code cells a page shows, prose lines in its Markdown cells. Issue 39 sets the
target that chapters 6 and 7 show no more code than prose; tests/test_code_prose.py
holds it.

    python tools/code_prose.py          # a table for every chapter
"""

import nbformat

from book_layout import notebook_paths

HIDDEN = {"hide-input", "remove-input", "remove-cell", "hide-cell"}


def count(path):
    """(shown code lines, hidden code lines, prose lines) of one notebook."""
    shown = hidden = prose = 0
    for cell in nbformat.read(path, as_version=4).cells:
        lines = sum(1 for line in cell.source.splitlines() if line.strip())
        if cell.cell_type == "markdown":
            prose += lines
        elif cell.cell_type == "code":
            if HIDDEN & set(cell.metadata.get("tags", [])):
                hidden += lines
            else:
                shown += lines
    return shown, hidden, prose


def main():
    print(f"{'chapter':<45} {'code shown':>10} {'hidden':>7} {'prose':>6}")
    for path in notebook_paths():
        shown, hidden, prose = count(path)
        print(f"{path.stem:<45} {shown:>10} {hidden:>7} {prose:>6}")


if __name__ == "__main__":
    main()
