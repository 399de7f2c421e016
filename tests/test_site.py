"""The website: built with warnings as errors, then opened in headless Chromium.

The build is the one `make book` runs. The built pages are served on 127.0.0.1 and
visited with Debian's Chromium, driven by Playwright's Python package through
`executable_path` (no browser download), with every off-site request blocked, as a
reader without internet (or behind a firewall) meets the book. Every page in _toc.yml
must load without a console error and with every image decoded; every notebook page
must offer a Colab launch link to its own notebook; the search page must find
"residual". Then what readers need of every page, at 1280 px (a laptop) and 390 px (a
phone): sidebars that open, formulas typeset from the site's own MathJax, tables in
outputs rendered as tables, one box per cell for what it printed, outputs readable where
they stand, no sideways scrolling, images with alt text, a favicon and a home-page title
that names the book once. The Binder configuration and the GitHub Pages workflow are
checked here too, since both serve the website's readers.

A test that fails leaves a screenshot of the page it had open in
_build/site-test-screenshots/ (README, "Build and test").
"""

import contextlib
import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml

from book_layout import (
    ROOT,
    colab_url,
    github_url,
    kaggle_url,
    notebook_paths,
    toc_files,
)
from book_layout import page_url as page_url_on_the_web
from conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from stamp_notebooks import TAGS

# One worker builds the site and serves it for every test of this file (make test
# runs with pytest-xdist's --dist loadgroup).
pytestmark = pytest.mark.xdist_group("site")

BUILD = ROOT / "_build"
HTML = BUILD / "html"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]


@pytest.fixture(scope="session")
def built_site():
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--warningiserror",
            "--keep-going",
            "--all",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(
            f"jupyter-book build failed:\n{result.stdout[-15000:]}"
            f"\n{result.stderr[-5000:]}",
            pytrace=False,
        )
    return HTML


@pytest.fixture(scope="session")
def server(built_site):
    handler = functools.partial(QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Visit:
    """A page opened in a fresh browser context, with what went wrong recorded.

    Every off-site request is answered "blocked" and recorded: the book must read
    offline, so a page that asks for anything off-site fails test_page_loads_cleanly.
    """

    def __init__(self, browser, url, viewport=LAPTOP, phone=False, scheme="light"):
        self.context = browser.new_context(
            viewport=viewport, has_touch=phone, is_mobile=phone, color_scheme=scheme
        )
        self.page = self.context.new_page()
        self.errors, self.remote = [], []
        self.page.on("console", self.on_console)
        self.page.on(
            "pageerror", lambda error: self.errors.append(f"pageerror: {error}")
        )
        self.page.route("**/*", self.route)
        self.response = self.page.goto(url, wait_until="load")

    def route(self, route):
        host = urlparse(route.request.url).hostname
        if host in (None, "127.0.0.1"):
            route.continue_()
        else:
            self.remote.append(route.request.url)
            route.abort("blockedbyclient")

    def on_console(self, message):
        if message.type != "error":
            return
        text = message.text
        if "ERR_BLOCKED_BY_CLIENT" in text:  # an off-site request answered by route()
            return
        self.errors.append(f"console: {text} ({message.location.get('url')})")

    def close(self):
        self.context.close()


def screenshot(request, page):
    """Keep a screenshot of a failing test's page in _build/site-test-screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    path = SCREENSHOTS / f"{name}.png"
    with contextlib.suppress(Exception):
        page.screenshot(path=str(path))
        print(f"screenshot of the failing page: {path}")


@contextlib.contextmanager
def visiting(request, browser, url, **options):
    """Open a page; if the test fails while it is open, keep a screenshot of it."""
    visit = Visit(browser, url, **options)
    try:
        yield visit
    except BaseException:
        screenshot(request, visit.page)
        raise
    finally:
        visit.close()


def page_url(server, entry):
    return f"{server}/{entry}.html"


PAGES = toc_files()
NOTEBOOKS = [f"notebooks/{path.stem}" for path in notebook_paths()]

# What one visit measures on a page, so that each page is opened once per screen size
# however many tests judge it (a visit takes seconds on the 2-core test machine).
MEASURE = r"""async () => {
    const images = Array.from(document.images);
    for (const image of images) { image.loading = "eager"; }
    await Promise.all(images.map(image => image.decode().catch(() => null)));
    const maths = document.querySelectorAll('.math');
    if (maths.length) {
        for (let i = 0; i < 150 && !(window.MathJax && MathJax.startup
                && MathJax.startup.promise); i++) {
            await new Promise(resolve => setTimeout(resolve, 100));
        }
        if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
    }
    const main = document.querySelector('main');
    const seen = main.cloneNode(true);
    seen.querySelectorAll('pre, code, mjx-assistive-mml, script')
        .forEach(element => element.remove());
    const column = document.querySelector('.bd-article').clientWidth;
    const outputs = Array.from(document.querySelectorAll('.cell_output'));
    const icon = document.querySelector('link[rel~=icon]');
    return {
        images: images.map(image => [image.currentSrc || image.src,
                                     image.naturalWidth]),
        articleImages: Array.from(document.querySelectorAll('.bd-article img'))
            .map(image => [image.src, image.alt]),
        links: Array.from(document.querySelectorAll(
            '.header-article a, .article-header-buttons a, main a'))
            .map(link => link.href),
        launch: Array.from(document.querySelectorAll('.article-header-buttons a'))
            .map(link => link.href),
        titleLinks: (() => {
            const line = document.querySelector('main h1 ~ p');
            return line ? Array.from(line.querySelectorAll('a'))
                .map(link => [link.textContent, link.href]) : [];
        })(),
        codeCells: Array.from(document.querySelectorAll('main .cell'))
            .filter(cell => cell.querySelector('.cell_input'))
            .map(cell => {
                const input = cell.querySelector('.cell_input');
                return {
                    classes: cell.className,
                    // A folded cell's code sits in a closed <details>, which
                    // Chromium lays out but does not show.
                    shown: !input.closest('details:not([open])')
                        && input.checkVisibility()
                        && input.innerText.trim() !== '',
                    start: input.innerText.slice(0, 300),
                };
            }),
        maths: maths.length,
        typeset: Array.from(maths).filter(m => m.querySelector('mjx-container')).length,
        text: seen.textContent,
        icon: icon ? icon.href : null,
        title: document.title,
        tables: document.querySelectorAll('.cell_output table').length,
        wideTables: Array.from(document.querySelectorAll('.cell_output table'))
            .filter(table => table.getBoundingClientRect().width > column + 1).length,
        outputTexts: outputs.map(output => output.innerText),
        streamBoxes: outputs.map(output =>
            output.querySelectorAll(':scope > .output.stream').length),
        boxes: Array.from(document.querySelectorAll('.cell_output pre')).map(pre => {
            const style = getComputedStyle(pre);
            return {
                start: pre.textContent.slice(0, 60),
                chars: Math.max(...pre.textContent.split('\n').map(l => l.length)),
                fits: pre.scrollWidth <= pre.clientWidth + 1,
                scrolls: ['auto', 'scroll'].includes(style.overflowX),
                height: pre.getBoundingClientRect().height,
                font: parseFloat(style.fontSize),
            };
        }),
        width: Math.max(document.documentElement.scrollWidth,
                        document.body.scrollWidth),
    };
}"""
REPORTS = {}


def report(browser, server, entry, screen="laptop"):
    """The measurements of one page at 1280 px in the light theme ("laptop") or at
    390 px on a touch screen in the dark theme ("phone"), from one visit."""
    key = (entry, screen)
    if key not in REPORTS:
        options = SCREENS[screen]
        visit = Visit(browser, page_url(server, entry), **options)
        try:
            visit.page.wait_for_load_state("networkidle")
            REPORTS[key] = visit.page.evaluate(MEASURE) | {
                "status": visit.response.status,
                "errors": list(visit.errors),
                "remote": list(visit.remote),
                "icon_status": None,
            }
            if REPORTS[key]["icon"]:
                response = visit.page.request.get(REPORTS[key]["icon"])
                REPORTS[key]["icon_status"] = response.status
        finally:
            visit.close()
    return REPORTS[key]


SCREENS = {
    "laptop": {"viewport": LAPTOP},
    "phone": {"viewport": PHONE, "phone": True, "scheme": "dark"},
}


@pytest.fixture
def judge(request, browser, server):
    """judge(entry, screen) -> the page's report. If the test then fails, the page is
    opened again as the report saw it and a screenshot kept (its call phase has been
    reported, and counted in the session, before this fixture's teardown runs)."""
    judged, failed_before = [], request.session.testsfailed

    def open_report(entry, screen="laptop"):
        judged.append((entry, screen))
        return report(browser, server, entry, screen)

    yield open_report
    if judged and request.session.testsfailed > failed_before:
        entry, screen = judged[-1]
        visit = Visit(browser, page_url(server, entry), **SCREENS[screen])
        try:
            visit.page.wait_for_load_state("networkidle")
            screenshot(request, visit.page)
        finally:
            visit.close()


@pytest.mark.parametrize("entry", PAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_page_loads_cleanly(judge, entry, screen):
    page = judge(entry, screen)
    assert page["status"] == 200
    assert not page["errors"], "\n".join(page["errors"])
    # Nothing off-site: the page reads offline (MathJax comes from _static).
    assert not page["remote"], f"off-site requests: {page['remote']}"
    broken = [src for src, width in page["images"] if width == 0]
    assert not broken, f"images that did not load: {broken}"


def image_outputs(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    return sum(
        any(key.startswith("image/") for key in output.get("data", {}))
        for cell in cells
        for output in cell.get("outputs", [])
    )


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_notebook_page_shows_its_figures(judge, entry):
    """The chapters draw diagrams and plots: their pages must show every one."""
    expected = image_outputs(ROOT / f"{entry}.ipynb")
    shown = len(judge(entry)["articleImages"])
    assert shown >= expected, f"{entry} shows {shown} of its {expected} figures"


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_notebook_page_launches_itself_in_colab(judge, entry):
    expected = colab_url(entry.removeprefix("notebooks/") + ".ipynb")
    page = judge(entry)
    colab = [href for href in page["links"] if "colab.research.google.com" in href]
    assert colab, "no Colab link on the page"
    assert all(href == expected for href in colab), colab
    launch = page["launch"]
    assert expected in launch, f"no Colab launch button; header links: {launch}"


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_notebook_page_links_under_its_title(judge, entry):
    """The stamped line under the title renders as four links: this page on the
    published website, Colab, Kaggle and GitHub, each for this notebook."""
    name = entry.removeprefix("notebooks/") + ".ipynb"
    assert judge(entry)["titleLinks"] == [
        ["Read on the website", page_url_on_the_web(name)],
        ["Open in Colab", colab_url(name)],
        ["Open in Kaggle", kaggle_url(name)],
        ["View on GitHub", github_url(name)],
    ]


# Shared cells folded on the website (tools/stamp_notebooks.py tags them hide-input):
# plumbing, the install cell and the drawing code among them.
PLUMBING = sorted(name for name, tags in TAGS.items() if "hide-input" in tags)


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_the_first_code_a_reader_sees_is_the_lessons(judge, entry):
    """In Chromium, at 1280 px: the install cell and every other piece of shared
    plumbing show no code until the reader opens it, so the first code on the page is
    the chapter's own (or a form of settings for the reader to choose)."""
    cells = judge(entry)["codeCells"]
    install = [cell for cell in cells if "tag_snippet:install" in cell["classes"]]
    assert install and not any(cell["shown"] for cell in install), install
    for cell in cells:
        name = re.search(r"tag_snippet:(\w+)", cell["classes"])
        if name and name.group(1) in PLUMBING:
            assert not cell["shown"], f"{name.group(1)} cell shows its code"
    first = next(cell for cell in cells if cell["shown"])
    name = re.search(r"tag_snippet:(\w+)", first["classes"])
    assert not (name and name.group(1) in PLUMBING), first["start"]
    # A Colab form with fields (chapters 6 and 7's run settings) is the reader's to
    # set; one without is folded plumbing.
    form = first["start"].startswith("# @title")
    assert not form or "# @param" in first["start"], first["start"]


def test_search_finds_residual(request, browser, server):
    with visiting(request, browser, f"{server}/search.html?q=residual") as visit:
        visit.page.wait_for_selector("ul.search li", timeout=20_000)
        hits = visit.page.eval_on_selector_all(
            "ul.search li a", "links => links.map(link => link.textContent)"
        )
        assert hits, "search for 'residual' returned nothing"
        assert not visit.errors, "\n".join(visit.errors)


# 1. Navigation on phones and laptops --------------------------------------------------

# Whether a reader can see an element: on screen, and of a size to be read.
ON_SCREEN = """element => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 100 && box.height > 100 && box.left >= -1
        && box.right <= window.innerWidth + 1 && style.visibility !== "hidden"
        && style.display !== "none";
}"""
NAVIGATED = "notebooks/03_residual_block"


def shows(page, selector, shown=True, timeout=5_000):
    """Whether the element comes to be on screen (or off it) within the timeout; the
    theme slides sidebars in and out, and a loaded machine is slow."""
    check = f"""() => ({ON_SCREEN})(document.querySelector({json.dumps(selector)}))"""
    if not shown:
        check = f"() => !({check})()"
    try:
        page.wait_for_function(check, timeout=timeout)
    except Exception:  # playwright's TimeoutError
        return False
    return True


def visible_toggle(page, selector):
    toggles = page.locator(selector)
    for index in range(toggles.count()):
        if toggles.nth(index).is_visible():
            return toggles.nth(index)
    raise AssertionError(f"no visible {selector} button")


def test_phone_menu_opens_the_table_of_contents_and_navigates(request, browser, server):
    options = SCREENS["phone"]
    with visiting(request, browser, page_url(server, NAVIGATED), **options) as visit:
        page = visit.page
        sidebar = page.locator(".bd-sidebar-primary")
        assert not sidebar.evaluate(ON_SCREEN), "the book's contents show before a tap"
        visible_toggle(page, ".primary-toggle").tap()
        assert shows(page, ".bd-sidebar-primary"), "a tap on the menu opened nothing"
        sidebar.locator("a[href$='02_merge_layers.html']").first.tap()
        page.wait_for_url("**/02_merge_layers.html", timeout=10_000)
        assert not visit.errors, "\n".join(visit.errors)


def test_phone_outline_button_opens_the_page_outline_and_navigates(
    request, browser, server
):
    options = SCREENS["phone"]
    with visiting(request, browser, page_url(server, NAVIGATED), **options) as visit:
        page = visit.page
        outline = page.locator(".bd-sidebar-secondary")
        assert not outline.evaluate(ON_SCREEN), "the outline shows before a tap"
        visible_toggle(page, ".secondary-toggle").tap()
        assert shows(page, ".bd-sidebar-secondary"), "a tap on it opened nothing"
        link = outline.locator("nav a[href^='#']").nth(1)
        target = link.get_attribute("href")
        link.tap()
        page.wait_for_function(
            f"location.hash === {json.dumps(target)}", timeout=10_000
        )
        assert not visit.errors, "\n".join(visit.errors)


def test_laptop_menu_button_collapses_and_restores_the_sidebar(
    request, browser, server
):
    with visiting(request, browser, page_url(server, NAVIGATED)) as visit:
        page = visit.page
        assert shows(page, ".bd-sidebar-primary"), "no sidebar at 1280 px"
        visible_toggle(page, ".primary-toggle").click()
        assert shows(page, ".bd-sidebar-primary", False), "the menu did not hide it"
        visible_toggle(page, ".primary-toggle").click()
        assert shows(page, ".bd-sidebar-primary"), "the menu did not bring it back"


# 2. Formulas, typeset from the site's own MathJax, offline ---------------------------

RAW_TEX = re.compile(r"\\\(|\\\[|\\begin\{")


@pytest.mark.parametrize("entry", PAGES)
def test_formulas_are_typeset_offline(judge, entry):
    """Off-site requests are blocked (Visit): formulas must be typeset by the MathJax
    the site serves itself, and no raw TeX may be left in what the reader sees."""
    page = judge(entry)
    assert page["typeset"] == page["maths"], (
        f"{page['maths'] - page['typeset']} of {page['maths']} formulas not typeset"
    )
    raw = [match.group(0) for match in RAW_TEX.finditer(page["text"])]
    assert not raw, f"raw TeX left on the page: {raw[:5]}"


# 3. Tables in outputs, 4. one box per cell for what it printed -----------------------

GFM_TABLE = re.compile(r"^\|.*\|\s*\n\|(\s*:?-{3,}:?\s*\|)+\s*$", re.MULTILINE)
# A Markdown table's rule line shown as text (CommonMark turns --- into an em dash).
RAW_TABLE_RULE = re.compile(r"\|\s*:?(-{3,}|[—–])")


def markdown_tables(notebook):
    """How many Markdown outputs of a notebook hold a table."""
    count = 0
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/markdown", "")
            count += bool(GFM_TABLE.search(text))
    return count


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_markdown_tables_in_outputs_render_as_tables(judge, entry):
    expected = markdown_tables(ROOT / f"{entry}.ipynb")
    page = judge(entry)
    raw = [text[:80] for text in page["outputTexts"] if RAW_TABLE_RULE.search(text)]
    assert page["tables"] >= expected and not raw, (
        f"{expected} Markdown tables in the outputs, {page['tables']} rendered as "
        f"tables; outputs that show Markdown table syntax as text: {raw}"
    )


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_each_cell_prints_into_one_box(judge, entry):
    """A training log is one box per cell, not one per line it printed."""
    boxes = judge(entry)["streamBoxes"]
    split = [count for count in boxes if count > 1]
    assert not split, f"cells whose printed lines fill several boxes: {split}"


# 5. Wide outputs, 6. no sideways scrolling on a phone ---------------------------------

# Every line of a text output of at most FIT_CHARS characters fits the column at
# 1280 px (reader.js shrinks its font, to no less than MIN_FONT_PX); a wider output
# scrolls, in a box of at most SCROLL_BOX of the window's height, so that its
# horizontal scrollbar is on screen beside the lines it scrolls.
FIT_CHARS = 120
SCROLL_BOX = 0.8
MIN_FONT_PX = 9


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_outputs_are_readable_where_they_stand(judge, entry):
    page = judge(entry)
    limit = SCROLL_BOX * LAPTOP["height"]
    problems = []
    for box in page["boxes"]:
        where = f"{box['start']!r} ({box['chars']} characters)"
        if box["chars"] <= FIT_CHARS and not box["fits"]:
            problems.append(f"cut off at 1280 px: {where}")
        if box["height"] > limit + 1:
            problems.append(f"{box['height']:.0f} px tall: {where}")
        if not box["fits"] and not box["scrolls"]:
            problems.append(f"cannot be scrolled: {where}")
        if box["font"] < MIN_FONT_PX:
            problems.append(f"font of {box['font']} px: {where}")
    if page["wideTables"]:
        problems.append(f"{page['wideTables']} tables in outputs wider than the column")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entry", PAGES)
def test_phone_page_is_no_wider_than_the_screen(judge, entry):
    width = judge(entry, "phone")["width"]
    assert width <= PHONE["width"], (
        f"the page is {width} px wide on a {PHONE['width']} px screen"
    )


# 7. Alt text, favicon, the home page's title -----------------------------------------

PATH_LIKE = re.compile(r"(^|/)_images/|\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


@pytest.mark.parametrize("entry", PAGES)
def test_images_have_alt_text(judge, entry):
    bad = [
        (src.rsplit("/", 1)[-1], alt)
        for src, alt in judge(entry)["articleImages"]
        if not alt.strip() or PATH_LIKE.search(alt) or len(alt.split()) < 3
    ]
    assert not bad, f"images without a meaningful alt text: {bad}"


@pytest.mark.parametrize("entry", PAGES)
def test_favicon_loads(judge, entry):
    page = judge(entry)
    assert page["icon"], "no favicon link: browsers ask for /favicon.ico, a 404"
    assert page["icon_status"] == 200, f"favicon {page['icon']} does not load"


@pytest.mark.parametrize("entry", PAGES)
def test_title_names_the_book_once(judge, entry):
    title = judge(entry)["title"]
    assert title.count(BOOK_TITLE) == 1, f"the page's title: {title!r}"


# 8. Binder ---------------------------------------------------------------------------


def test_binder_installs_graphviz_and_the_requirements():
    """mybinder.org builds the repository with repo2docker, which reads its
    configuration from binder/ (or .binder/) if either exists, else the top level:
    apt.txt must install Graphviz (plot_model draws with `dot`), and the requirements
    file there must be the readers' one."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"].get("binderhub_url"), "no Binder launch button"
    folder = next(
        (ROOT / name for name in ("binder", ".binder") if (ROOT / name).is_dir()), ROOT
    )
    apt = folder / "apt.txt"
    assert apt.is_file(), f"no {apt.relative_to(ROOT)}: Binder installs no Graphviz"
    packages = [line.split("#")[0].strip() for line in apt.read_text().splitlines()]
    assert "graphviz" in packages, packages
    requirements = (folder / "requirements.txt").read_text()
    for package in ("keras", "pydot", "matplotlib", "jupyterlab"):
        assert re.search(rf"^{package}\b", requirements, re.MULTILINE), package


# The GitHub Pages workflow -----------------------------------------------------------

WORKFLOWS = ROOT / ".github" / "workflows"


def test_workflows_pass_actionlint():
    actionlint = Path(sys.executable).parent / "actionlint"
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert files, "no workflows"
    result = subprocess.run(
        [str(actionlint), "-no-color", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_workflow_builds_and_deploys_the_book_on_push_to_main():
    workflow = yaml.safe_load((WORKFLOWS / "pages.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "main" in triggers["push"]["branches"], triggers
    assert workflow["permissions"] == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "make book" in runs, runs
    uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    upload = uses["actions/upload-pages-artifact"]
    assert upload["with"]["path"] == "_build/html", upload
    assert "actions/deploy-pages" in uses, sorted(uses)
    deploy = next(
        job
        for job in workflow["jobs"].values()
        if any("actions/deploy-pages" in step.get("uses", "") for step in job["steps"])
    )
    assert deploy["environment"]["name"] == "github-pages", deploy
