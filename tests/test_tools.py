"""The tools that keep notebooks in step, tested on notebooks made here.

The hygiene tests check the committed chapters; these check that the tools
themselves do what they say, on small notebooks written for the purpose: the stamp
script (links, shared cells, their tags, the stored form), the stored form itself,
the provenance table, the repository layout they all read, and the alt text the
site gives figures. None starts a kernel (tests/test_runner.py runs the notebook
runner).
"""

import check_prose_numbers
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


def test_the_lower_environment_pins_requirements_lower_bounds():
    """requirements-lower.txt (the second environment of `make test`) pins exactly the
    lower bound of every package the notebooks import (the install cell's minimum
    Keras is checked against the same bound in test_snippets.py)."""
    from packaging.version import Version

    bounds = requirement_versions(book_layout.ROOT / "requirements.txt", ">=")
    pins = requirement_versions(book_layout.ROOT / "requirements-lower.txt", "==")
    notebook_packages = {"tensorflow", "keras", "matplotlib", "pydot", "scipy"}
    assert notebook_packages <= set(bounds) and notebook_packages <= set(pins)
    for package in notebook_packages:
        assert Version(pins[package]) == Version(bounds[package]), package


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
