"""Where things are in this repository, computed once for the tools and the tests.

The stamp script, the notebook runner, the provenance pages and the test suite all
need the same few facts: the repository root and its folders, the notebooks in book
order, the files that `_toc.yml` lists, and the GitHub repository and branch that
`_config.yml` names (the one place they are kept), with the addresses made from them:
a notebook on GitHub, in Colab and on Kaggle, and its page on the website (GitHub
Pages of that repository, `html.baseurl` in `_config.yml`). They import them from
here.
"""

from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RESULTS = NOTEBOOKS / "results"
TOOLS = ROOT / "tools"
SNIPPETS = TOOLS / "snippets"
TESTS = ROOT / "tests"
GITHUB = "https://github.com/"


def notebook_paths() -> list[Path]:
    """Every chapter notebook, in file-name order (which is book order)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@cache
def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository_url() -> str:
    """The GitHub URL of the repository, from _config.yml, without a trailing slash."""
    url = config()["repository"]["url"].rstrip("/")
    if not url.startswith(GITHUB):
        raise SystemExit(f"_config.yml repository.url must start with {GITHUB}")
    return url


def repository_slug() -> str:
    """'owner/name' of the repository on GitHub."""
    return repository_url().removeprefix(GITHUB)


def branch() -> str:
    return config()["repository"].get("branch", "main")


def github_url(notebook_name: str) -> str:
    """Where GitHub shows a notebook of notebooks/ on the book's branch."""
    return f"{repository_url()}/blob/{branch()}/notebooks/{notebook_name}"


def colab_url(notebook_name: str) -> str:
    """The link that opens a notebook of notebooks/ in Google Colab."""
    return (
        f"https://colab.research.google.com/github/{repository_slug()}/blob/"
        f"{branch()}/notebooks/{notebook_name}"
    )


def kaggle_url(notebook_name: str) -> str:
    """The link that opens a notebook of notebooks/ on Kaggle: Kaggle imports a public
    notebook from its GitHub address."""
    return f"https://www.kaggle.com/kernels/welcome?src={github_url(notebook_name)}"


def pages_url() -> str:
    """Where GitHub Pages publishes the repository's site: https://OWNER.github.io/NAME/
    (the Pages workflow, .github/workflows/pages.yml, deploys `make book` there)."""
    owner, name = repository_slug().split("/")
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{name.lower()}/"
    return f"https://{owner.lower()}.github.io/{name}/"


def website_url() -> str:
    """The website's address, from _config.yml (`html.baseurl`), with a trailing slash;
    tests/test_tools.py checks that it is pages_url()."""
    url = config().get("html", {}).get("baseurl", "")
    if not url.startswith("https://"):
        raise SystemExit("_config.yml html.baseurl must be the website's https:// URL")
    return url.rstrip("/") + "/"


def page_url(notebook_name: str) -> str:
    """A notebook's page on the website (Jupyter Book writes notebooks/NAME.html)."""
    return f"{website_url()}notebooks/{notebook_name.removesuffix('.ipynb')}.html"


def toc_files() -> list[str]:
    """Every `file:` entry of _toc.yml, the root included, in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files
