"""End to end in a real browser: JupyterLab + headless Chromium (Debian's), driven by
playwright, moving a colorlib widget's slider and checking that the picture changes.

Needs /usr/bin/chromium (``scripts/install.sh`` installs it with apt where it can).
Without it the test is skipped, except under CI (``CI=true``), where it fails.
A screenshot goes to ``runs/browser/``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "runs" / "browser"

pytestmark = pytest.mark.slow

WIDGET_CELL = """\
import torch, colorlib
from colorlib.widgets import loss_comparison
photos = colorlib.data.load("sample", "test", size=32)
items = [photos[i] for i in range(4)]
L = torch.stack([it["L"] for it in items]); ab = torch.stack([it["ab"] for it in items])
loss_comparison(L, ab, {"gray guess": torch.zeros_like(ab), "half colour": ab / 2})
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a random port and token, in a temp folder."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("lab")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(WIDGET_CELL)]
    nbformat.write(notebook, root / "widget.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    log = open(root / "lab.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start: " + (root / "lab.log").read_text()[-500:])
        yield {"base": base, "token": token, "root": root}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def page(lab_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield page
        browser.close()


def open_and_run(page, lab_server, name: str, timeout_ms: int = 180_000) -> None:
    """Open notebook ``name``, wait for an idle kernel, run its first cell.

    The keystroke is repeated (at most 3 times) until the cell shows that it ran: a
    freshly opened JupyterLab sometimes swallows the first one while it settles.
    """
    page.goto(f"{lab_server['base']}/lab/tree/{name}?token={lab_server['token']}")
    page.wait_for_selector(".jp-Notebook", timeout=timeout_ms)
    page.wait_for_selector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout_ms
    )
    started = ".jp-Cell .jp-InputPrompt:text-matches('\\[(\\*|\\d+)\\]')"
    for _ in range(3):
        page.click(".jp-Cell .jp-InputArea-editor")
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_selector(started, timeout=20_000)
            return
        except Exception:  # playwright's TimeoutError: press again
            continue
    page.screenshot(path=str(lab_server["root"] / "not-started.png"))
    pytest.fail(f"the first cell of {name} never started running")


def test_loss_comparison_slider_changes_the_picture(page, lab_server):
    open_and_run(page, lab_server, "widget.ipynb")
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.wait_for(timeout=180_000)
    picture = page.locator(".jp-OutputArea img").first
    picture.wait_for(timeout=60_000)
    before_src, before_caption = picture.get_attribute("src"), page.inner_text(".widget-html")
    handle.focus()
    page.keyboard.press("ArrowRight")  # next test image
    page.wait_for_function(
        "(old) => document.querySelector('.jp-OutputArea img').src !== old",
        arg=before_src, timeout=60_000,
    )  # fmt: skip
    assert "image 1 of 4" in before_caption
    page.wait_for_function(  # the caption follows the picture: ab L2 of the next image
        "() => document.querySelector('.widget-html').innerText.includes('image 2 of 4')",
        timeout=60_000,
    )
    assert page.inner_text(".widget-html") != before_caption
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "loss_comparison.png"))
