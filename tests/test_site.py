"""The website: built with warnings as errors, then opened in headless Chromium.

The build is the one `make book` runs. The built pages are served on 127.0.0.1 and
visited with Debian's Chromium, driven by Playwright's Python package through
`executable_path` (no browser download). Every page in _toc.yml must load without a
console error and with every image decoded; every notebook page must offer a Colab
launch link to its own notebook; the search page must find "residual".
"""

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from book_layout import ROOT, colab_url, notebook_paths, toc_files

# One worker builds the site and serves it for every test of this file (make test
# runs with pytest-xdist's --dist loadgroup).
pytestmark = pytest.mark.xdist_group("site")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BUILD = ROOT / "_build"
HTML = BUILD / "html"
# Chromium flags for a root user on a machine with no display and no internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Off-site resources the theme may ask for; the test machine cannot reach them, so
# requests to them are answered "blocked" and their failures are not the page's fault.
# Any other off-site request fails the test.
KNOWN_REMOTE_HOSTS = {"cdn.jsdelivr.net", "unpkg.com"}


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
    """A page opened in a fresh browser context, with what went wrong recorded."""

    def __init__(self, browser, url):
        self.context = browser.new_context()
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


def page_url(server, entry):
    return f"{server}/{entry}.html"


PAGES = toc_files()
NOTEBOOKS = [f"notebooks/{path.stem}" for path in notebook_paths()]


@pytest.mark.parametrize("entry", PAGES)
def test_page_loads_cleanly(browser, server, entry):
    visit = Visit(browser, page_url(server, entry))
    try:
        assert visit.response.status == 200
        visit.page.wait_for_load_state("networkidle")
        assert not visit.errors, "\n".join(visit.errors)
        hosts = {urlparse(url).hostname for url in visit.remote}
        assert hosts <= KNOWN_REMOTE_HOSTS, (
            f"unexpected off-site requests: {visit.remote}"
        )
        images = visit.page.evaluate("""async () => {
            const images = Array.from(document.images);
            for (const image of images) { image.loading = "eager"; }
            await Promise.all(images.map(image => image.decode().catch(() => null)));
            return images.map(
                image => [image.currentSrc || image.src, image.naturalWidth]);
        }""")
        broken = [src for src, width in images if width == 0]
        assert not broken, f"images that did not load: {broken}"
    finally:
        visit.close()


def test_notebook_pages_have_images(browser, server):
    """The chapters draw diagrams and plots: their pages must actually show some."""
    for entry in NOTEBOOKS:
        visit = Visit(browser, page_url(server, entry))
        try:
            count = visit.page.evaluate("document.querySelectorAll('main img').length")
            assert count > 0, f"{entry} shows no images"
        finally:
            visit.close()


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_notebook_page_launches_itself_in_colab(browser, server, entry):
    expected = colab_url(entry.removeprefix("notebooks/") + ".ipynb")
    visit = Visit(browser, page_url(server, entry))
    try:
        hrefs = visit.page.eval_on_selector_all(
            ".header-article a, .article-header-buttons a, main a",
            "links => links.map(link => link.href)",
        )
        colab = [href for href in hrefs if "colab.research.google.com" in href]
        assert colab, "no Colab link on the page"
        assert all(href == expected for href in colab), colab
        launch = visit.page.eval_on_selector_all(
            ".article-header-buttons a", "links => links.map(link => link.href)"
        )
        assert expected in launch, f"no Colab launch button; header links: {launch}"
    finally:
        visit.close()


def test_search_finds_residual(browser, server):
    visit = Visit(browser, f"{server}/search.html?q=residual")
    try:
        visit.page.wait_for_selector("ul.search li", timeout=20_000)
        hits = visit.page.eval_on_selector_all(
            "ul.search li a", "links => links.map(link => link.textContent)"
        )
        assert hits, "search for 'residual' returned nothing"
        assert not visit.errors, "\n".join(visit.errors)
    finally:
        visit.close()
