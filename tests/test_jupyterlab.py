"""JupyterLab, the third way into the book: the README's command gives a working lab.

The test starts JupyterLab from the project's environment (the `jupyter` next to this
Python, as `.venv/bin/jupyter lab DIR` in the README) on 127.0.0.1, on a free port and
with a token, over a temporary folder that holds one chapter alone. Debian's Chromium
(driven by Playwright through `executable_path`, no browser download) opens the
chapter, which starts a fresh kernel; the test runs the chapter's first cells through
the page with Shift+Enter, up to and including the device cell, sees the device cell
print this environment's Keras version and backend, saves the notebook and reads from
the saved file that the code cells ran as [1] to [n], and shuts the server down.

Chapter 2 is the cheapest chapter that imports Keras. A failure keeps a screenshot in
_build/site-test-screenshots/, like the site test.
"""

import concurrent.futures
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import keras
import nbformat
import pytest

from book_layout import ROOT
from conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

CHAPTER = ROOT / "notebooks" / "02_merge_layers.ipynb"
START_TIMEOUT = 60  # seconds for the server to answer
RUN_TIMEOUT = 60_000  # milliseconds for the cells to run (the kernel imports Keras)
# Whether the notebook's selected cell is the one at index `arg`.
KERNEL_IDLE = """() => Array.from(
    document.querySelectorAll(".jp-StatusBar-TextItem")
).some(item => /\\| Idle$/.test(item.textContent.trim()))"""
ACTIVE_IS = """index => Array.from(
    document.querySelectorAll('.jp-NotebookPanel .jp-Cell'))
    .findIndex(cell => cell.classList.contains('jp-mod-active')) === index"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_cells(path):
    """The cells to run: every cell up to and including the device cell."""
    cells = nbformat.read(path, as_version=4).cells
    last = next(
        index
        for index, cell in enumerate(cells)
        if "snippet:device" in cell.metadata.get("tags", [])
    )
    code = sum(cell.cell_type == "code" for cell in cells[: last + 1])
    return last + 1, code


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over a folder holding chapter 2 alone; yields its URL, its
    token and the chapter's copy there, then shuts it down."""
    root = tmp_path / "book"
    root.mkdir()
    shutil.copy(CHAPTER, root / CHAPTER.name)
    port, token = free_port(), secrets.token_hex(16)
    env = os.environ | {  # settings, workspaces and runtime files of its own
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            str(root),
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            # CI and the test machine run as root, which Jupyter refuses by default.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}") as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()
                )
            time.sleep(0.25)
        yield url, token, root / CHAPTER.name
    finally:
        shutdown = urllib.request.Request(
            f"{url}/api/shutdown?token={token}", method="POST"
        )
        try:
            urllib.request.urlopen(shutdown, timeout=10).close()
            server.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)  # the server and its kernel
                server.wait()
        log.close()


def test_jupyterlab_runs_the_first_cells_of_a_chapter(lab, request):
    # Playwright's sync API refuses a thread that already runs one (the site test's
    # browser, when both files run in one process): this browser gets its own thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run_first_cells, *lab, request.node.name).result()


def run_first_cells(url, token, copy, test_name):
    from playwright.sync_api import sync_playwright

    cells, code_cells = first_cells(CHAPTER)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # Nothing off-site: the lab must work offline.
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(url)
                else route.abort("blockedbyclient")
            ),
        )
        page = context.new_page()
        try:
            page.goto(f"{url}/lab/tree/{CHAPTER.name}?token={token}")
            notebook = page.locator(
                ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
            )
            notebook.locator(".jp-Cell").first.wait_for(timeout=RUN_TIMEOUT)
            idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
            page.wait_for_selector(idle, timeout=RUN_TIMEOUT)
            # That indicator reads idle while the kernel is still initializing; a
            # Shift+Enter sent then was lost on a loaded machine (its cell kept no
            # count while the later ones ran). Wait for the status bar's "Idle".
            page.wait_for_function(KERNEL_IDLE, timeout=RUN_TIMEOUT)
            # Select the first cell by its prompt (its text holds links), then run
            # the cells one by one as a reader does, each Shift+Enter once the
            # previous one has moved the selection on.
            notebook.locator(".jp-Cell").first.locator(".jp-InputPrompt").click()
            page.keyboard.press("Escape")  # command mode
            for index in range(cells):
                page.wait_for_function(ACTIVE_IS, arg=index, timeout=RUN_TIMEOUT)
                page.keyboard.press("Shift+Enter")
            page.wait_for_function(ACTIVE_IS, arg=cells, timeout=RUN_TIMEOUT)
            device = notebook.locator(".jp-Cell").nth(cells - 1)
            output = device.locator(".jp-OutputArea-output")
            output.first.wait_for(timeout=RUN_TIMEOUT)
            page.wait_for_selector(idle, timeout=RUN_TIMEOUT)
            text = output.first.inner_text()
            assert f"Keras:    {keras.__version__}" in text, text
            assert f"backend:  {keras.backend.backend()}" in text, text
            errors = notebook.locator(".jp-OutputArea-output[data-mime-type*=error]")
            assert errors.count() == 0, errors.first.inner_text()
            # A fresh kernel: the code cells ran as [1] ... [n], in order. The counts
            # are read from the notebook as JupyterLab saves it (Ctrl+S): the page
            # renders only the cells near the view (JupyterLab 4's windowing), so the
            # prompt of a cell scrolled far above reads empty.
            page.keyboard.press("Control+s")
            page.wait_for_selector(
                ".jp-mod-current.jp-mod-dirty", state="detached", timeout=RUN_TIMEOUT
            )
            saved = nbformat.read(copy, as_version=4).cells[:cells]
            code = [cell for cell in saved if cell.cell_type == "code"]
            counts = [cell.execution_count for cell in code]
            assert counts == list(range(1, code_cells + 1)), counts
        except BaseException:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            path = SCREENSHOTS / f"{test_name}.png"
            page.screenshot(path=str(path))
            print(f"screenshot of the failing page: {path}")
            raise
        finally:
            context.close()
            browser.close()
