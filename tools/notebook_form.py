"""The one form in which notebooks are stored: metadata the book uses, nothing volatile.

Jupyter, nbclient and Colab each add metadata of their own when they run or save a
notebook: per-cell execution timestamps (300-400 changed lines per run), widget state,
the Python version of whoever ran it last. None of it is read by the book, and all of
it turns a re-run into a noisy diff. `canonical()` keeps only what the book uses:

- notebook metadata: `kernelspec`, `language_info` (its name and Pygments lexer, which
  the website's highlighting reads), Colab's `colab` and `accelerator` (the runtime a
  chapter asks for on opening), and `book`, where tools/run_notebook.py records where
  the stored outputs come from (see PROVENANCE_KEYS);
- cell metadata: `tags` only, and only where there are tags, and Colab's `cellView`
  ("form": Colab shows a cell whose first line is `# @title` as that title, its code
  folded).

tools/run_notebook.py and tools/stamp_notebooks.py write notebooks in this form, and
tests/test_hygiene.py checks every committed notebook is in it.
"""

import copy

NOTEBOOK_KEYS = ("kernelspec", "language_info", "colab", "accelerator", "book")
LANGUAGE_INFO_KEYS = ("name", "pygments_lexer")
CELL_KEYS = ("tags", "cellView")

# metadata.book.outputs: where a notebook's stored outputs come from.
PROVENANCE_KEYS = {
    "settings": "'full' (QUICK_RUN unset) or 'quick' (QUICK_RUN=1)",
    "from_results": "true when rendered from published results files",
    "backend": "the Keras backend that ran it",
    "backend_version": "the version of that backend's package",
    "keras": "the Keras version",
    "hardware": "the machine the kernel ran on (the device cell's name for it)",
    "data": "the copy of CIFAR-10 the loader read, named from its pixels, or null",
    "wall_seconds": "seconds from the first cell's start to the last cell's end",
    "date": "the day of the run (UTC), YYYY-MM-DD",
}


def canonical(notebook):
    """A copy of the notebook (an nbformat NotebookNode) in the stored form."""
    notebook = copy.deepcopy(notebook)
    metadata = notebook.metadata
    for key in list(metadata):
        if key not in NOTEBOOK_KEYS:
            del metadata[key]
    if "language_info" in metadata:
        info = metadata["language_info"]
        for key in list(info):
            if key not in LANGUAGE_INFO_KEYS:
                del info[key]
    for cell in notebook.cells:
        for key in list(cell.metadata):
            if key not in CELL_KEYS or not cell.metadata[key]:
                del cell.metadata[key]
    return notebook


def differences(notebook) -> list[str]:
    """What keeps a notebook from being in the stored form (empty when it is)."""
    found = []
    extra = sorted(set(notebook.metadata) - set(NOTEBOOK_KEYS))
    if extra:
        found.append(f"notebook metadata {extra}")
    info = notebook.metadata.get("language_info", {})
    extra = sorted(set(info) - set(LANGUAGE_INFO_KEYS))
    if extra:
        found.append(f"language_info {extra}")
    for index, cell in enumerate(notebook.cells):
        extra = sorted(
            key
            for key in cell.metadata
            if key not in CELL_KEYS or not cell.metadata[key]
        )
        if extra:
            found.append(f"cell {index} metadata {extra}")
    return found
