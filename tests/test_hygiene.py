"""Static checks of the notebooks as committed: what nbval cannot see.

The notebooks are rendered on the website from their stored outputs and opened alone
in Colab, so the stored run itself must be clean: one top-to-bottom run, no errors
outside cells that teach one, no stderr, no paths of the machine that produced it, no
backend-specific code, and the title, links and data loader that every chapter shares.
"""

import re

import check_prose_numbers
import nbformat
import pytest

import notebook_form
import provenance
import stamp_notebooks  # tools/ is on the path (pytest.ini)
from book_layout import RESULTS, ROOT, branch, notebook_paths, pages_url, toc_files
from conftest import read_notebook

NOTEBOOKS = notebook_paths()
IDS = [path.name for path in NOTEBOOKS]

MACHINE_PATH = re.compile(
    r"(/work/|/tmp/|/root/|/home/[\w.-]+/|\.\./shared|site-packages|dist-packages"
    r"|/usr/lib/python|[A-Za-z]:\\\\Users\\\\)"
)
BACKEND_SPECIFIC = re.compile(
    r"^\s*(import|from)\s+(tensorflow|jax|jaxlib|torch)\b"  # a backend imported
    r"|\b(tf|jax|jnp|torch)\.[A-Za-z_]"  # or called directly
    r"|\bkeras\.src\b"  # or Keras's private tree
    r"|KERAS_BACKEND",  # or the backend pinned
    re.MULTILINE,
)
# What the pattern must catch and what it must let through: a guard on the guard.
BACKEND_SPECIFIC_EXAMPLES = [
    "import tensorflow as tf",
    "from jax import numpy as jnp",
    "import torch",
    "x = tf.constant(1.0)",
    "y = jnp.ones(3)",
    "jax.devices()",
    "torch.zeros(2)",
    "from keras.src.layers import Dense",
    'os.environ["KERAS_BACKEND"] = "jax"',
]
BACKEND_AGNOSTIC_EXAMPLES = [
    "import keras",
    "x = keras.ops.ones(3)",
    "print(keras.backend.backend())",
    "model.fit(x, y)",
    "pdf.close()",
    "self.tf_ready = 1",
    "ajax.get(url)",
]
MAX_LINE = 88


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def output_text(output) -> str:
    text = output.get("text", "")
    for value in output.get("data", {}).values():
        if isinstance(value, str) and not value.startswith(("iVBOR", "/9j/")):
            text += value
    traceback = "\n".join(output.get("traceback", []))
    return text + output.get("evalue", "") + traceback


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_valid_nbformat_and_python_kernel(path):
    notebook = read_notebook(path)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_clean_top_to_bottom_run(path):
    cells = code_cells(read_notebook(path))
    empty = [i for i, cell in enumerate(cells) if not cell.source.strip()]
    assert not empty, f"empty code cells (by code-cell index): {empty}"
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"execution counts {counts} are not 1..N: re-run with tools/run_notebook.py"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_cell_raises(path):
    """Colab's and JupyterLab's "Run all" stops at the first cell that raises, tag or
    no tag: a chapter that teaches an error catches it and prints the message."""
    for index, cell in enumerate(code_cells(read_notebook(path))):
        assert "raises-exception" not in tags(cell), (
            f"code cell {index} is tagged raises-exception: catch the error it "
            "teaches and print it, so that Run all goes on"
        )
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, f"code cell {index} stored an error: {errors[0].ename}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_stderr(path):
    for index, cell in enumerate(code_cells(read_notebook(path))):
        for output in cell.outputs:
            assert output.get("name") != "stderr", (
                f"code cell {index} wrote to stderr: {output.text[:200]!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_machine_paths(path):
    for index, cell in enumerate(read_notebook(path).cells):
        texts = [cell.source] + [output_text(out) for out in cell.get("outputs", [])]
        for text in texts:
            found = MACHINE_PATH.search(text)
            assert not found, f"cell {index} shows a machine path: {found.group(0)!r}"


@pytest.mark.parametrize("line", BACKEND_SPECIFIC_EXAMPLES)
def test_backend_pattern_catches(line):
    assert BACKEND_SPECIFIC.search(line)


@pytest.mark.parametrize("line", BACKEND_AGNOSTIC_EXAMPLES)
def test_backend_pattern_allows(line):
    assert not BACKEND_SPECIFIC.search(line)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_backend_agnostic_code(path):
    for index, cell in enumerate(code_cells(read_notebook(path))):
        found = BACKEND_SPECIFIC.search(cell.source)
        assert not found, (
            f"code cell {index} uses {found.group(0).strip()!r}: use keras / keras.ops"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_lines_fit(path):
    for index, cell in enumerate(code_cells(read_notebook(path))):
        for line in cell.source.splitlines():
            assert len(line) <= MAX_LINE, f"code cell {index} has a long line: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_title_then_links_from_config(path, repository_url):
    notebook = read_notebook(path)
    titles = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            in_fence = False
            for line in cell.source.splitlines():
                if line.lstrip().startswith(("```", "~~~")):
                    in_fence = not in_fence
                elif not in_fence and line.startswith("# "):
                    titles.append(line)
    assert len(titles) == 1, f"expected exactly one H1, found {titles}"
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    links = first.source.split("\n")[2]
    assert links == stamp_notebooks.links_line(path.name), (
        "links under the title are out of date: run tools/stamp_notebooks.py"
    )
    assert LINKS_LINE.fullmatch(links), links
    found = dict(LINK.findall(links))
    assert list(found) == [
        "Read on the website",
        "Open in Colab",
        "Open in Kaggle",
        "View on GitHub",
    ]
    github = f"{repository_url}/blob/{branch()}/notebooks/{path.name}"
    slug = repository_url.removeprefix("https://github.com/")
    assert found["View on GitHub"] == github
    assert found["Open in Colab"] == (
        f"https://colab.research.google.com/github/{slug}/blob/{branch()}/"
        f"notebooks/{path.name}"
    )
    assert found["Open in Kaggle"] == (
        f"https://www.kaggle.com/kernels/welcome?src={github}"
    )
    assert found["Read on the website"] == (f"{pages_url()}notebooks/{path.stem}.html")


# The line under every title: four Markdown links separated by " · ".
LINK = re.compile(r"\[([^\]]+)\]\((https://[^)\s]+)\)")
LINKS_LINE = re.compile(rf"{LINK.pattern}( · {LINK.pattern})*")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_shared_cells_are_stamped(path):
    notebook = read_notebook(path)
    assert stamp_notebooks.stamp(notebook, path.name) == [], (
        "run tools/stamp_notebooks.py"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ends_with_summary_and_exercises(path):
    headings = [
        line.strip().lower()
        for cell in read_notebook(path).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    assert "## summary" in headings and "## exercises" in headings, headings


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    missing = [p.name for p in NOTEBOOKS if f"notebooks/{p.stem}" not in listed]
    assert not missing, f"notebooks not listed in _toc.yml: {missing}"


def test_every_toc_entry_exists():
    absent = [
        entry
        for entry in toc_files()
        if not any((ROOT / f"{entry}{suffix}").exists() for suffix in (".md", ".ipynb"))
    ]
    assert not absent, f"_toc.yml lists files that do not exist: {absent}"


def test_snippet_lines_fit():
    for snippet in sorted(stamp_notebooks.SNIPPETS.glob("*.py")):
        for line in snippet.read_text().splitlines():
            assert len(line) <= MAX_LINE, f"{snippet.name}: {line}"


def test_shared_cells_say_where_to_edit_them():
    """The first line says where to edit a shared cell; plumbing has Colab's title
    above it, so that Colab shows the cell folded."""
    for snippet in sorted(stamp_notebooks.SNIPPETS.glob("*.py")):
        lines = snippet.read_text().splitlines()
        titled = lines[0].startswith(stamp_notebooks.COLAB_TITLE)
        first = lines[1] if titled else lines[0]
        assert first == (
            f"# Shared cell: edit tools/snippets/{snippet.name} and run "
            "tools/stamp_notebooks.py."
        ), snippet.name


def test_published_results_are_full_runs():
    """notebooks/results/ holds published results only, never a quick run's: results
    files (.json) and the trained weights kept beside them (.npz, one array per
    variable, keyed by a run of the results file)."""
    import json

    import numpy as np

    files = {path.name: path for path in RESULTS.glob("*") if path.name != "README.md"}
    keys = set()
    for path in sorted(files.values()):
        assert path.suffix in (".json", ".npz") and "_quick" not in path.name, path.name
        if path.suffix == ".npz":
            continue
        for record in json.loads(path.read_text()):
            keys.add(record["key"])
            assert record["experiment"]["settings"]["quick_run"] is False, path.name
            assert record["jit_compile"] is True, (path.name, record["key"])
    for path in sorted(files.values()):
        if path.suffix == ".npz":
            with np.load(path) as kept:
                trained = {name.split("/")[0] for name in kept.files}
            assert trained <= keys, (path.name, sorted(trained - keys)[:3])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_form(path):
    found = notebook_form.differences(read_notebook(path))
    assert not found, f"{found}: run tools/stamp_notebooks.py"


def printed_values(notebook, prefix: str) -> set[str]:
    """Every value printed on a line that starts with `prefix` (e.g. 'backend:')."""
    values = set()
    for cell in code_cells(notebook):
        for output in cell.outputs:
            for line in output.get("text", "").splitlines():
                if line.startswith(prefix):
                    values.add(line.removeprefix(prefix).strip())
    return values


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_provenance_agrees_with_what_the_notebook_printed(path):
    """metadata.book.outputs (written by the runner) says what the cells say."""
    notebook = read_notebook(path)
    record = notebook.metadata.get("book", {}).get("outputs")
    assert record, "no metadata.book.outputs: run it with tools/run_notebook.py"
    assert set(record) == set(notebook_form.PROVENANCE_KEYS)
    assert record["settings"] in ("full", "quick")
    assert printed_values(notebook, "backend:") == {record["backend"]}
    hardware = printed_values(notebook, "hardware:")  # some add the backend after it
    assert hardware and all(value.startswith(record["hardware"]) for value in hardware)
    assert printed_values(notebook, "Keras:") == {record["keras"]}
    if record["data"] is not None:
        assert printed_values(notebook, "data:") == {record["data"]}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_a_quick_page_says_so(path):
    """A page whose stored outputs come from a quick run says so in an output."""
    notebook = read_notebook(path)
    if notebook.metadata["book"]["outputs"]["settings"] != "quick":
        return
    printed = "\n".join(
        output_text(output) for cell in code_cells(notebook) for output in cell.outputs
    )
    assert "quick run" in printed.lower(), "the page never says it shows a quick run"


def test_every_number_in_the_prose_was_printed():
    """Every number in a chapter's prose is one that a cell of the chapter printed or
    its code sets, or is named with its source in tools/prose_numbers.json (a paper's
    figure, the data set, a figure's label): tools/check_prose_numbers.py finds none
    left. Every exemption is still used by its chapter's prose."""
    import json

    exempt = json.loads(check_prose_numbers.EXEMPT_FILE.read_text())
    found = {}
    for path in notebook_paths():
        found.update({path.name: check_prose_numbers.findings(path, exempt)})
        prose = "\n".join(
            cell.source
            for cell in read_notebook(path).cells
            if cell.cell_type == "markdown"
        )
        used = set(check_prose_numbers.numbers_in(prose))
        stale = set(exempt.get(path.name, {})) - {n.rstrip(",") for n in used}
        assert not stale, f"{path.name}: exemptions no longer in the prose: {stale}"
    assert not any(found.values()), {name: f for name, f in found.items() if f}


# What Colab shows of a cell when a notebook opens: a markdown cell's lines, a code
# cell's lines (a form cell folds to its title and one line per field), and its stored
# outputs (a figure as FIGURE_LINES). About three laptop screens of 47 lines each.
FIRST_SCREENFULS = 140
FIGURE_LINES = 15
# A cell that builds something: a layer called or created, or a symbolic input.
BUILDS = re.compile(r"keras\.Input\(|layers\.[A-Z]\w*\(")


def colab_lines(cell) -> int:
    if cell.cell_type == "markdown":
        return len(cell.source.splitlines())
    if cell.metadata.get("cellView") == "form":
        shown = 1 + cell.source.count("# @param")
    else:
        shown = len(cell.source.splitlines())
    for output in cell.get("outputs", []):
        if "image/png" in output.get("data", {}):
            shown += FIGURE_LINES
        else:
            shown += len(output_text(output).splitlines())
    return shown


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in NOTEBOOKS
        if not provenance.chapter_title(read_notebook(p)).startswith("Appendix")
    ],
    ids=lambda p: p.name,
)
def test_the_lesson_starts_within_the_first_screenfuls(path):
    """A chapter builds its first layer or model within about three screens in Colab:
    set-up and shared plumbing are short or folded, and a GPU chapter's results-file
    plumbing comes after its networks. (The appendix's lesson is arithmetic, which
    starts before its first model.)"""
    notebook = read_notebook(path)
    first = next(
        number
        for number, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and cell.metadata.get("cellView") != "form"
        and BUILDS.search(cell.source)
    )
    shown = sum(colab_lines(cell) for cell in notebook.cells[:first])
    assert shown <= FIRST_SCREENFULS, f"{shown} lines before the first network"
    snippets = [
        cell
        for cell in notebook.cells[:first]
        if any(tag.startswith("snippet:") for tag in tags(cell))
    ]
    assert all(cell.metadata.get("cellView") == "form" for cell in snippets)
    assert not any("snippet:runs" in tags(cell) for cell in notebook.cells[:first])


# Prose budgets, in words of markdown (code blocks left out): a chapter that grows past
# its budget is telling more than its lesson, and what it adds belongs elsewhere
# (how the numbers are made is on book/numbers.md, once).
WORD_BUDGETS = {
    "notebooks/01_sequential_vs_functional.ipynb": 3300,
    "notebooks/03_residual_block.ipynb": 3500,
    # 4300 before issue 39 added "What the papers report", the rules fixed before any
    # run and the modern recipe's question (do shortcuts matter when both train well).
    "notebooks/06_resnet30_vs_plainnet.ipynb": 4900,
    "book/setup.md": 1000,
}


def prose_words(path) -> int:
    """Words of prose: code blocks and the stamped line of links under a notebook's
    title are left out."""
    if path.suffix == ".ipynb":
        text = "\n".join(
            cell.source
            for cell in read_notebook(path).cells
            if cell.cell_type == "markdown"
        )
        text = text.replace(stamp_notebooks.links_line(path.name), "")
    else:
        text = path.read_text()
    return len(re.sub(r"```.*?```", "", text, flags=re.DOTALL).split())


@pytest.mark.parametrize("name", WORD_BUDGETS)
def test_prose_within_its_budget(name):
    words = prose_words(ROOT / name)
    assert words <= WORD_BUDGETS[name], f"{name}: {words} words of prose"


# "Chapter N" in the prose, against _toc.yml ------------------------------------------
# Chapters are numbered by their order in _toc.yml (the appendix last, as 9); the
# notebooks' file names carry the same numbers. A mention of "chapter N" (or
# "chapters N and M", "chapters N to M", "chapter N's") is checked against what stands
# near it, up to the end of its sentence or the next mention: a link to a chapter's
# notebook or page, a chapter's title (or the part of it before a colon) or one of its
# headings, set in italics (*Fall into the shape trap*) or as a link's text, or a file
# that only some chapters' code names (degradation_results.json). Where that evidence
# names chapters and none of the mentioned numbers, the mention is stale. A mention
# with no evidence near it passes; a number that is no chapter's fails.
PROSE_FILES = [
    *sorted((ROOT / "book").glob("*.md")),
    ROOT / "README.md",
    ROOT / "MAINTAINING.md",
    ROOT / "CONTRIBUTING.md",
    RESULTS / "README.md",
]
MENTION = re.compile(
    r"\b[Cc]hapter\s+(\d+)()"
    r"|\b[Cc]hapters\s+(\d+)((?:(?:,\s*|,?\s+and\s+|\s+or\s+|\s+to\s+)\d+\b)*)"
)
TABLE_ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)$", re.MULTILINE)
SENTENCE_END = re.compile(r"[.;:!?](\s|$)|\n\s*\n|\n\s*[-*|]|\n#")
NEAR = 200  # characters after a mention (and at most to its sentence's end)


def chapters_in_toc() -> dict[int, dict]:
    """{number: facts} for every notebook in _toc.yml's order: its stem, its title, its
    headings and the file names its code writes or reads."""
    stems = [
        entry.split("/")[-1] for entry in toc_files() if entry.startswith("notebooks/")
    ]
    chapters = {}
    for number, stem in enumerate(stems, start=1):
        notebook = read_notebook(ROOT / "notebooks" / f"{stem}.ipynb")
        markdown = [
            cell.source for cell in notebook.cells if cell.cell_type == "markdown"
        ]
        headings = [
            line.lstrip("#").strip().lower()
            for source in markdown
            for line in source.splitlines()
            if line.startswith("## ") or line.startswith("### ")
        ]
        code = "\n".join(cell.source for cell in code_cells(notebook))
        title = provenance.chapter_title(notebook)
        short = title.split(":")[0].strip().lower()  # "Deeper is not always better"
        names = {title.lower(), *headings} | (
            {short} if len(short.split()) > 2 else set()
        )
        chapters[number] = {
            "stem": stem,
            "names": names,
            "files": set(re.findall(r"[\w-]+\.(?:json|npz)", code)) - {"tmp.npz"},
        }
    return chapters


def evidence(text: str, chapters: dict) -> set[int]:
    """The chapters that `text` points at by a link, a title, an italic heading or a
    file name."""
    found = set()
    named = {
        " ".join(match.strip(" *_`").lower().split())
        for match in re.findall(r"(?<![*\w])\*([^*]+)\*|\[([^\]]+)\]", text)
        for match in match
        if match
    }
    for number, chapter in chapters.items():
        if re.search(rf"\b{chapter['stem']}(\.ipynb|\.html|\b)", text):
            found.add(number)
        if named & chapter["names"]:
            found.add(number)
        if any(name in text for name in chapter["files"]):
            found.add(number)
    # A heading or file that every chapter has (Summary, Exercises) tells nothing.
    return set() if found == set(chapters) else found


def numbers_of(match) -> list[int]:
    first, rest = (match.group(1), "") if match.group(1) else match.group(3, 4)
    return [int(first)] + [int(number) for number in re.findall(r"\d+", rest)]


def chapter_rows(text: str):
    """The rows of the Markdown tables in `text` whose header's first column is the
    chapter's number ("#" or "Chapter"), each whose first cell is a number; tables of
    other things (seeds, depths) are not about chapters."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = line.strip("| ").split("|")[0].strip().lower()
            continue
        row = TABLE_ROW.match(line)
        if row and header in ("#", "chapter", "ch"):
            rows.append(row)
    return rows


def stale_mentions(text: str, chapters: dict) -> list[str]:
    """Every mention in `text` whose numbers disagree with what stands near it."""
    problems = []
    mentions = list(MENTION.finditer(text))
    for index, match in enumerate(mentions):
        numbers = numbers_of(match)
        missing = [n for n in numbers if n not in chapters]
        end = len(text) if index + 1 == len(mentions) else mentions[index + 1].start()
        window = text[match.end() : min(end, match.end() + NEAR)]
        stop = SENTENCE_END.search(window)
        window = window[: stop.start()] if stop else window
        pointed = evidence(window, chapters)
        if missing or (pointed and not pointed & set(numbers)):
            shown = " ".join((match.group(0) + window).split())
            problems.append(f"{shown!r} points at chapters {sorted(pointed)}")
    for row in chapter_rows(text):
        number, rest = int(row.group(1)), row.group(2)
        pointed = evidence(rest, chapters)
        if number not in chapters or (pointed and number not in pointed):
            problems.append(f"table row {number}: points at chapters {sorted(pointed)}")
    return problems


def test_the_chapter_checker_finds_a_stale_number():
    chapters = chapters_in_toc()
    assert chapters[3]["stem"] == "03_residual_block"
    for stale in (
        "Chapter 5 writes `degradation_results.json`.",
        "the shape trap of chapter 4 (*Fall into the shape trap*).",
        "See chapter 2, [The residual block](03_residual_block.ipynb).",
        "chapters 1 and 2 (*Train the toy ResNet*)",
        "chapter 12 trains nothing.",
        "| # | Chapter |\n|---|---|\n"
        "| 6 | [Deeper is not always better](x/07_degradation_across_depth.ipynb) |",
    ):
        assert stale_mentions(stale, chapters), stale
    for fine in (
        "Chapter 7 writes `degradation_results.json`; chapter 8 reads nothing.",
        "chapter 3 (*Fall into the shape trap*) shows it.",
        "chapters 6 and 7 train; chapter 3's block (*Summary*).",
        "| # | Chapter |\n|---|---|\n"
        "| 3 | [The residual block](x/03_residual_block.ipynb) |",
        # A table of seeds is not about chapters.
        "| Seed | Accuracy |\n|---|---|\n"
        "| 6 | [a run](x/07_degradation_across_depth.ipynb) |",
    ):
        assert stale_mentions(fine, chapters) == [], fine


def test_every_chapter_number_agrees_with_the_toc():
    """Every "chapter N" in the Markdown pages, the README, MAINTAINING and
    CONTRIBUTING, the results folder's README and the notebooks' prose agrees with
    _toc.yml's order and titles, and the notebooks' file names carry their numbers."""
    chapters = chapters_in_toc()
    for number, chapter in chapters.items():
        assert chapter["stem"].startswith(f"{number:02d}_"), chapter["stem"]
    problems = []
    for path in PROSE_FILES:
        if path.exists():
            for problem in stale_mentions(path.read_text(), chapters):
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    for path in NOTEBOOKS:
        for index, cell in enumerate(read_notebook(path).cells):
            if cell.cell_type == "markdown":
                for problem in stale_mentions(cell.source, chapters):
                    problems.append(f"{path.name}, cell {index}: {problem}")
    assert not problems, "\n".join(problems)


README_WORDS = 1200


def test_the_readme_fits_on_a_screen_or_two_and_names_the_website():
    """The README says what the book is, where to read it and how to build it; the
    rest is in MAINTAINING.md and CONTRIBUTING.md. Every word counts here, the chapter
    table's and the commands' included."""
    from book_layout import website_url

    text = (ROOT / "README.md").read_text()
    assert len(text.split()) <= README_WORDS, f"{len(text.split())} words"
    assert f"<{website_url()}>" in text
    for command in ("make book", "make test"):
        assert command in text
    assert "MAINTAINING.md" in text and "CONTRIBUTING.md" in text


def test_the_readmes_kaggle_forecast_is_what_the_pages_print():
    # The maintainers' section quotes each chapter's forecast of its full plan on two
    # T4s; a re-run that changes the forecast must change the README too.
    text = " ".join((ROOT / "README.md").read_text().split())
    for path in NOTEBOOKS:
        printed = "".join(
            "".join(output.get("text", ""))
            for cell in read_notebook(path).cells
            for output in cell.get("outputs", [])
        )
        found = re.search(
            r"on Kaggle's two T4s, one training on each at a time: full >= (.+?) of "
            r"wall time, >= ([\d.]+) GPU-hours",
            printed,
        )
        if found:
            assert (
                f"at least {found[1]} of wall time and {found[2]} GPU-hours" in text
                or (f"at least {found[1]} and {found[2]} GPU-hours" in text)
            ), (path.name, found[0])


def test_the_book_skips_every_ignored_environment():
    # An environment that a make target creates inside the checkout (.venv-kaggle for
    # the Kaggle tests, .venv-colab for the Colab pass) holds packages' README files;
    # a build that reads them fails with warnings as errors, as CI once did.
    import yaml

    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip().startswith(".venv")
    }
    excluded = set(
        yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]
    )
    assert ignored, ".gitignore names no environment"
    assert ignored <= excluded, ignored - excluded
    assert "**/site-packages" in excluded
