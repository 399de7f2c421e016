"""The tools that keep notebooks in step, tested on notebooks made here.

The hygiene tests check the committed chapters; these check that the tools
themselves do what they say, on small notebooks written for the purpose: the stamp
script (links, shared cells, their tags, the stored form), the stored form itself,
the provenance table, the repository layout they all read, and the alt text the
site gives figures. None starts a kernel (tests/test_runner.py runs the notebook
runner).
"""

import os
import re
import subprocess
import sys

import check_prose_numbers
import colab_pins
import nbformat
import pytest
from docutils import nodes

import book_layout
import provenance
import reader
import stamp_notebooks
from notebook_form import PROVENANCE_KEYS, canonical, differences


def small_notebook(**metadata):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.update(metadata)
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A chapter\nIts first paragraph."),
        nbformat.v4.new_code_cell("print('stale copy')"),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    notebook.cells[1].metadata["tags"] = ["snippet:install"]
    return notebook


def test_stamping_adds_links_copies_snippets_and_tags():
    notebook = small_notebook()
    notebook.cells[2].metadata["tags"] = ["snippet:cifar10_loader"]
    changes = stamp_notebooks.stamp(notebook, "09_example.ipynb")
    assert changes[0] == "links under the title (added)"
    assert "install cell" in changes and "cifar10_loader cell" in changes
    lines = notebook.cells[0].source.split("\n")
    assert lines[0] == "# A chapter" and lines[3] == "Its first paragraph."
    assert lines[2] == stamp_notebooks.links_line("09_example.ipynb")
    assert notebook.cells[1].source == stamp_notebooks.snippet_source("install")
    assert "hide-input" in notebook.cells[2].metadata["tags"]  # collapsed plumbing
    assert stamp_notebooks.stamp(notebook, "09_example.ipynb") == []


def test_stamping_fixes_stale_links_and_refuses_a_missing_snippet():
    notebook = small_notebook()
    stamp_notebooks.stamp(notebook, "09_example.ipynb")
    notebook.cells[0].source = notebook.cells[0].source.replace("/main/", "/old/")
    assert stamp_notebooks.stamp(notebook, "09_example.ipynb") == [
        "links under the title"
    ]
    # A line in the older form ("Open in Colab" first) is replaced, not added to.
    lines = notebook.cells[0].source.split("\n")
    lines[2] = "[Open in Colab](https://example.org) · [View on GitHub](https://x.org)"
    notebook.cells[0].source = "\n".join(lines)
    assert stamp_notebooks.stamp(notebook, "09_example.ipynb") == [
        "links under the title"
    ]
    assert notebook.cells[0].source.split("\n")[2:] == [
        stamp_notebooks.links_line("09_example.ipynb"),
        "Its first paragraph.",
    ]
    notebook.cells[2].metadata["tags"] = ["snippet:no_such_snippet"]
    with pytest.raises(SystemExit, match="no_such_snippet"):
        stamp_notebooks.stamp(notebook, "09_example.ipynb")


def test_links_come_from_the_config():
    url = book_layout.repository_url()
    assert url.startswith("https://github.com/") and not url.endswith("/")
    name = "01_x.ipynb"
    branch = book_layout.branch()
    assert book_layout.github_url(name) == f"{url}/blob/{branch}/notebooks/{name}"
    slug = book_layout.repository_slug()
    assert book_layout.colab_url(name) == (
        f"https://colab.research.google.com/github/{slug}/blob/{branch}/"
        f"notebooks/{name}"
    )
    assert book_layout.kaggle_url(name) == (
        f"https://www.kaggle.com/kernels/welcome?src={url}/blob/{branch}/notebooks/{name}"
    )
    # The website is GitHub Pages of that repository, where the Pages workflow
    # deploys it; _config.yml's html.baseurl says so, and the links use it.
    owner, repository = slug.split("/")
    assert book_layout.pages_url() == f"https://{owner.lower()}.github.io/{repository}/"
    assert book_layout.website_url() == book_layout.pages_url()
    assert book_layout.page_url(name) == f"{book_layout.pages_url()}notebooks/01_x.html"
    assert stamp_notebooks.links_line(name) == (
        f"[Read on the website]({book_layout.page_url(name)}) · "
        f"[Open in Colab]({book_layout.colab_url(name)}) · "
        f"[Open in Kaggle]({book_layout.kaggle_url(name)}) · "
        f"[View on GitHub]({book_layout.github_url(name)})"
    )


def test_the_stored_form_drops_volatile_metadata_and_keeps_tags():
    notebook = small_notebook(
        kernelspec={
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        },
        language_info={
            "name": "python",
            "version": "3.11.7",
            "pygments_lexer": "ipython3",
        },
        widgets={"state": {}},
        book={"outputs": {"settings": "full"}},
    )
    notebook.cells[2].metadata["execution"] = {
        "iopub.execute_input": "2026-12-01T00:00Z"
    }
    notebook.cells[2].metadata["collapsed"] = False
    notebook.cells[0].metadata["tags"] = []
    found = differences(notebook)
    assert found == [
        "notebook metadata ['widgets']",
        "language_info ['version']",
        "cell 0 metadata ['tags']",
        "cell 2 metadata ['collapsed', 'execution']",
    ]
    stored = canonical(notebook)
    assert differences(stored) == []
    assert stored.metadata.language_info == {
        "name": "python",
        "pygments_lexer": "ipython3",
    }
    assert stored.metadata.book == {"outputs": {"settings": "full"}}
    assert stored.cells[1].metadata == {"tags": ["snippet:install"]}
    assert "widgets" in notebook.metadata, "canonical() must not change its argument"
    changes = stamp_notebooks.stamp(notebook, "09_example.ipynb")
    assert any(change.startswith("stored form") for change in changes)
    assert differences(notebook) == []


RECORD = {
    "settings": "quick",
    "from_results": False,
    "backend": "jax",
    "backend_version": "0.10.2",
    "keras": "3.15.1",
    "hardware": "CPU, 2 cores",
    "data": None,
    "wall_seconds": 128.4,
    "date": "2026-12-01",
}


def test_the_provenance_row_says_quick_runs_mean_nothing(monkeypatch, tmp_path):
    assert set(RECORD) == set(PROVENANCE_KEYS)
    notebook = small_notebook(book={"outputs": RECORD})
    nbformat.write(notebook, tmp_path / "01_example.ipynb")
    monkeypatch.setattr(
        provenance, "notebook_paths", lambda: sorted(tmp_path.glob("*.ipynb"))
    )
    row = provenance.table().splitlines()[-1]
    assert row == (
        "| A chapter | **quick run** (`QUICK_RUN=1`: its numbers mean "
        "nothing) | jax 0.10.2, Keras 3.15.1 | CPU, 2 cores | none (no CIFAR-10) "
        "| 2 min | 2026-12-01 |"
    )
    page = f"before\n{provenance.BEGIN}\nold table\n{provenance.END}\nafter\n"
    assert provenance.updated(page, "new", "page") == (
        f"before\n{provenance.BEGIN}\nnew\n{provenance.END}\nafter\n"
    )
    with pytest.raises(SystemExit, match="markers"):
        provenance.updated("no markers", "new", "page")
    nbformat.write(small_notebook(), tmp_path / "01_example.ipynb")
    with pytest.raises(SystemExit, match="run_notebook"):
        provenance.table()


def test_every_page_agrees_with_the_notebooks():
    generated = provenance.table()
    for page in provenance.PAGES:
        text = (book_layout.ROOT / page).read_text()
        assert provenance.updated(text, generated, page) == text, (
            f"{page}: run tools/provenance.py"
        )
    chapters = provenance.chapter_table()
    for page in provenance.CHAPTER_PAGES:
        text = (book_layout.ROOT / page).read_text()
        assert (
            provenance.between_markers(
                text, chapters, page, provenance.CHAPTERS_BEGIN, provenance.CHAPTERS_END
            )
            == text
        ), f"{page}: run tools/provenance.py"


def test_the_readme_lists_every_chapter_with_its_links():
    rows = provenance.chapter_table().splitlines()[2:]
    paths = book_layout.notebook_paths()
    assert len(rows) == len(paths)
    for row, path in zip(rows, paths):
        for url in (
            book_layout.page_url(path.name),
            book_layout.colab_url(path.name),
            book_layout.kaggle_url(path.name),
            book_layout.github_url(path.name),
        ):
            assert f"]({url})" in row, (row, url)
    assert rows[0].startswith("| 1 | [Sequential vs functional API](")
    assert rows[-1].startswith("| A | [Train on several GPUs")
    assert "| GPU |" in rows[5] and "| CPU |" in rows[0]


def test_the_toc_walk_finds_every_part():
    files = book_layout.toc_files()
    assert files[0] == "book/intro" and "book/references" in files
    for path in book_layout.notebook_paths():
        assert f"notebooks/{path.stem}" in files


def code_cell(source):
    cell = nodes.container(nb_element="cell_code")
    cell += nodes.literal_block(source, source)
    return cell


def test_alt_text_names_every_titled_panel_or_the_suptitle():
    panels = (
        'axes[0].set_title("(a) Paths of each length")\n'
        'axes[1].set_title("original")\n'  # a label, too short to be a title
        'axes[2].set_title("(b) Gradient along one path")\n'
        'figure.suptitle(f"Effective depth of {name}")\n'  # formatted: unknown
    )
    assert reader.figure_title(code_cell(panels)) == (
        "(a) Paths of each length; (b) Gradient along one path"
    )
    titled = panels + 'figure.suptitle("Loss surfaces of both networks")\n'
    assert reader.figure_title(code_cell(titled)) == "Loss surfaces of both networks"
    assert reader.figure_title(code_cell('plt.title("short")')) is None


def requirement_versions(path, operator):
    """{package: version} of every `name<operator>version` line of a requirements
    file."""
    found = {}
    for line in path.read_text().splitlines():
        requirement = line.split("#")[0].strip()
        for clause in requirement.split(","):
            name, separator, version = clause.partition(operator)
            if separator and version and not version.startswith("="):
                found[name.strip()] = version.strip()
    return found


NOTEBOOK_PACKAGES = {"tensorflow", "keras", "matplotlib", "pydot", "scipy"}


def test_the_colab_environment_pins_requirements_lower_bounds():
    """requirements-colab.txt (the second environment of `make test`) pins Colab's
    version of every package the notebooks import, and each is exactly the lower bound
    in requirements.txt (the install cell's minimum Keras is checked against the same
    bound in test_snippets.py); the file names the commit and date it was read at, and
    is what tools/colab_pins.py writes from its own versions."""
    from packaging.version import Version

    bounds = requirement_versions(book_layout.ROOT / "requirements.txt", ">=")
    pins = requirement_versions(colab_pins.PINS, "==")
    assert NOTEBOOK_PACKAGES <= set(bounds) and NOTEBOOK_PACKAGES <= set(pins)
    for package in NOTEBOOK_PACKAGES:
        assert Version(pins[package]) == Version(bounds[package]), package
    text = colab_pins.PINS.read_text()
    read_at = re.search(
        r"pip-freeze\.gpu\.txt at commit (\w+)\n# \((\d{4}-\d\d-\d\d)\), where Colab "
        r"runs Python (\d+\.\d+)",
        text,
    )
    assert read_at, "requirements-colab.txt does not say where it was read"
    recorded = dict(re.findall(r"([a-z]+)==([\w.]+)", text.split("for the record")[1]))
    freeze = "\n".join(f"{name}=={version}" for name, version in pins.items())
    freeze += "\n" + "\n".join(f"{n}=={v}" for n, v in recorded.items())
    assert (
        colab_pins.pins_text(colab_pins.frozen_versions(freeze), *read_at.groups())
        == text
    )


# A stand-in for backend-info's pip-freeze.gpu.txt: its header, Colab's packages in
# its spelling (a local label on torch), and others the book does not pin.
SAMPLE_FREEZE = """\
# Do not modify this file directly; it is generated via
#  $ python3 -m pip freeze
absl-py==2.3.1
jax==0.8.1
jaxlib==0.8.1
Keras==3.14.0
matplotlib==3.10.3
numpy==2.2.6
pandas==2.2.3
pydot==4.0.1
scipy==1.17.0
tensorflow==2.21.0
torch==2.12.0+cu128
"""


@pytest.fixture
def pinned_files(tmp_path, monkeypatch):
    """Copies of the three files tools/colab_pins.py rewrites, in tmp_path."""
    for name, source in (
        ("PINS", colab_pins.PINS),
        ("REQUIREMENTS", colab_pins.REQUIREMENTS),
        ("INSTALL_CELL", colab_pins.INSTALL_CELL),
    ):
        copy = tmp_path / source.name
        copy.write_text(source.read_text())
        monkeypatch.setattr(colab_pins, name, copy)
    monkeypatch.setattr(colab_pins, "ROOT", tmp_path)
    return tmp_path


def test_colab_pins_are_refreshed_from_a_copy_of_colabs_list(pinned_files):
    changed = colab_pins.refresh(SAMPLE_FREEZE, "b2c3d4e", "2026-11-02", "3.13")
    assert changed == ["requirements-colab.txt", "requirements.txt", "install.py"]
    pins = colab_pins.PINS.read_text()
    assert "at commit b2c3d4e\n# (2026-11-02), where Colab runs Python 3.13" in pins
    assert requirement_versions(colab_pins.PINS, "==") == {
        "tensorflow": "2.21.0",
        "keras": "3.14.0",
        "numpy": "2.2.6",
        "scipy": "1.17.0",
        "matplotlib": "3.10.3",
        "pydot": "4.0.1",
    }
    assert "#   jax==0.8.1, jaxlib==0.8.1, torch==2.12.0\n" in pins
    bounds = requirement_versions(colab_pins.REQUIREMENTS, ">=")
    assert bounds["tensorflow"] == "2.21.0" and bounds["keras"] == "3.14.0"
    assert bounds["pydot"] == "4.0.1" and bounds["jupyterlab"] == "4.2"
    requirements = colab_pins.REQUIREMENTS.read_text()
    assert "keras>=3.14.0,<3.16" in requirements and "tensorflow>=2.21.0,<2.22" in (
        requirements
    )
    install = colab_pins.INSTALL_CELL.read_text()
    assert "\nKERAS_MINIMUM = (3, 14, 0)  # the oldest" in install
    assert colab_pins.refresh(SAMPLE_FREEZE, "b2c3d4e", "2026-11-02", "3.13") == []


def test_colab_pins_refuse_a_version_the_upper_bounds_exclude(pinned_files):
    before = {path: path.read_text() for path in pinned_files.iterdir()}
    newer = SAMPLE_FREEZE.replace("Keras==3.14.0", "keras==3.16.0")
    with pytest.raises(SystemExit, match=r"keras 3\.16\.0, which requirements\.txt"):
        colab_pins.refresh(newer, "c3d4e5f", "2026-12-01", "3.13")
    assert {path: path.read_text() for path in pinned_files.iterdir()} == before
    with pytest.raises(SystemExit, match="lists no torch"):
        colab_pins.refresh(SAMPLE_FREEZE.replace("torch", "torch-x"), "c", "d", "3.13")


def test_colab_pins_read_commit_date_and_python_from_a_clone(tmp_path):
    clone = tmp_path / "backend-info"
    clone.mkdir()
    (clone / "pip-freeze.gpu.txt").write_text(SAMPLE_FREEZE)
    (clone / "os-info-gpu.txt").write_text("Ubuntu 22.04.5 LTS\nPython 3.13.15\n")
    environment = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": "2026-11-02T12:00:00Z",
        "GIT_COMMITTER_DATE": "2026-11-02T12:00:00Z",
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
    }
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "list"]):
        subprocess.run(["git", "-C", str(clone), *command], check=True, env=environment)
    freeze, commit, date, python = colab_pins.from_checkout(clone)
    assert freeze == SAMPLE_FREEZE and date == "2026-11-02" and python == "3.13"
    assert re.fullmatch(r"[0-9a-f]{7,}", commit)


def test_make_install_stops_in_one_line_on_an_older_python(tmp_path):
    """`make install` (and `make book`) refuse a Python older than 3.11 with one line
    that says what to do, before making anything; a new enough one is let through
    (dry runs, -n: nothing is installed)."""
    old = tmp_path / "python3.10"
    old.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "Python 3.10.13"; exit 0; fi\n'
        "exit 1\n"  # as 3.10 answers `sys.exit(sys.version_info < (3, 11))`
    )
    old.chmod(0o755)
    # A make of its own, not a sub-make of the one that may be running these tests.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    }
    make = ["make", "--no-print-directory", "-n"]
    for goal in ("install", "book"):
        result = subprocess.run(
            [*make, goal, f"PYTHON={old}", f"VENV={tmp_path / 'venv'}"],
            cwd=book_layout.ROOT,
            capture_output=True,
            text=True,
            env=environment,
        )
        assert result.returncode != 0 and result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
        assert (
            f"Python 3.11 or newer is needed, and {old} is Python 3.10.13: install one"
            f" and run make {goal} PYTHON=python3.11." in result.stderr
        )
        assert not (tmp_path / "venv").exists()
    result = subprocess.run(
        [*make, "install", f"PYTHON={sys.executable}", f"VENV={tmp_path / 'v'}"],
        cwd=book_layout.ROOT,
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0 and "-m venv" in result.stdout, result.stderr


def test_the_prose_checker_finds_a_number_no_cell_printed(tmp_path):
    """A number that matches a printed value at the prose's precision (or as a
    percentage of a printed fraction) passes; one that matches nothing is listed, unless
    the exemptions name it; numbers in math, code spans and names are not read."""
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print(accuracy)")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="0.7125 3.78e-01")
    ]
    notebook.cells = [
        code,
        nbformat.v4.new_markdown_cell(
            "Accuracy 71.3 % (or 71.2 %), gradient 0.378, ResNet-56 and $2 + 40$; "
            "`77` apart, 12.5 % were stale and 0.379 too; He et al. saw 6.97 %."
        ),
    ]
    path = tmp_path / "09_example.ipynb"
    nbformat.write(notebook, path)
    found = check_prose_numbers.findings(path, {})
    assert [number for _, number in found] == ["12.5", "0.379", "6.97"]
    exempt = {path.name: {"6.97": "He et al.'s ResNet-56 (cited)"}}
    assert [n for _, n in check_prose_numbers.findings(path, exempt)] == [
        "12.5",
        "0.379",
    ]


def test_make_book_installs_only_what_renders_the_book(tmp_path):
    """`make book` on a fresh clone installs requirements-book.txt alone, which holds
    no Keras backend, nothing that runs notebooks and no test tool; the Pages workflow
    runs the same command and caches on that file."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    }
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "book", f"VENV={tmp_path / 'v'}"],
        cwd=book_layout.ROOT,
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert installs[-1].endswith("pip install --quiet -r requirements-book.txt")
    assert "jupyter-book build" in result.stdout
    names = {
        re.split(r"[<>=~!\[ ]", line.split("#")[0].strip())[0].lower()
        for line in (book_layout.ROOT / "requirements-book.txt")
        .read_text()
        .splitlines()
        if line.split("#")[0].strip()
    }
    assert "jupyter-book" in names
    heavy = {"tensorflow", "keras", "jax", "jaxlib", "torch", "playwright", "pytest"}
    assert not names & heavy, names & heavy
    workflow = (book_layout.ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert "cache-dependency-path: requirements-book.txt" in workflow


def test_the_set_up_page_names_the_versions_tested():
    """book/setup.md says which versions the Colab pass tests (each pin of
    requirements-colab.txt and the commit it was read at) and that Colab runs Python
    3.13, as the pins' file says."""
    page = (book_layout.ROOT / "book" / "setup.md").read_text()
    page = " ".join(page.split())
    pins = requirement_versions(colab_pins.PINS, "==")
    for package in NOTEBOOK_PACKAGES | {"numpy"}:
        assert pins[package] in page, package
    text = colab_pins.PINS.read_text()
    commit, date, python = re.search(
        r"at commit (\w+)\n# \(([\d-]+)\), where Colab runs Python (\d+\.\d+)", text
    ).groups()
    assert f"commit {commit}, {date}" in page
    assert f"Colab runs Python {python}" in page
    assert "Python 3.11 or newer" in page


def test_xdist_groups_keep_their_tests_on_one_worker(tmp_path):
    """`make test` runs `pytest -n 2 --dist loadgroup`, and the Kaggle and site tests
    share folders and environments within their xdist_group. With pytest 9.2 and
    pytest-xdist 3.8 every group was ignored and its tests ran on both workers; this
    runs a small suite the same way and checks that a group stays on one."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    grouped = (
        "import os, time, pytest\n"
        'pytestmark = pytest.mark.xdist_group("together")\n'
        "def record():\n"
        '    with open("workers.log", "a") as log:\n'
        '        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")\n'
        "    time.sleep(0.05)\n"
    )
    for name in ("a", "b"):
        tests = "".join(f"def test_{name}{i}():\n    record()\n" for i in range(4))
        (tmp_path / f"test_{name}.py").write_text(grouped + tests)
    (tmp_path / "test_free.py").write_text(
        "import time\n"
        + "".join(f"def test_free{i}():\n    time.sleep(0.05)\n" for i in range(8))
    )
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
        + ["--dist", "loadgroup", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    workers = (tmp_path / "workers.log").read_text().split()
    assert len(workers) == 8 and len(set(workers)) == 1, workers
