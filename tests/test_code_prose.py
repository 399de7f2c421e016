"""Chapters 6 and 7 show no more lines of code than lines of prose (issue 39).

tools/code_prose.py counts, for every chapter, the non-empty code lines that the
page shows (cells not hidden by a hide-input, remove-input, remove-cell or hide-cell
tag), the hidden ones, and the prose lines. The reporting code of chapters 6 and 7
lives in shared cells hidden on the site, so that each results section is one short
call and what it prints; the lesson code (networks, recipes, the statistics taught)
stays in view.
"""

import code_prose
import pytest

from book_layout import NOTEBOOKS

TARGET = ["06", "07"]  # the chapters held to the target


def test_every_chapter_is_counted():
    rows = [code_prose.count(path) for path in sorted(NOTEBOOKS.glob("*.ipynb"))]
    assert len(rows) >= 9
    assert all(shown + hidden > 0 and prose > 0 for shown, hidden, prose in rows)


@pytest.mark.parametrize("number", TARGET)
def test_the_page_shows_no_more_code_than_prose(number):
    path = next(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    shown, _, prose = code_prose.count(path)
    assert shown <= prose, f"{path.name}: {shown} code lines shown, {prose} of prose"


def test_the_count_skips_hidden_cells_and_empty_lines(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nOne line of prose.\n"),
        nbformat.v4.new_code_cell("x = 1\n\ny = 2"),
        nbformat.v4.new_code_cell("hidden = True", metadata={"tags": ["hide-input"]}),
    ]
    path = tmp_path / "counted.ipynb"
    nbformat.write(notebook, path)
    assert code_prose.count(path) == (2, 1, 2)
