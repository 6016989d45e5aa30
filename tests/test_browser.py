"""End to end in a real browser: JupyterLab + headless Chromium (Debian's), driven by
playwright. Notebook 02 is opened and run whole; then its loss-comparison slider is
moved and the picture must change. Then a Colorization Turing Test (notebook 05's
game) is played for three rounds by clicking its buttons, and its log is checked.

Needs /usr/bin/chromium (``scripts/install_browser.sh``, run by ``scripts/test.sh``,
installs it with apt where it can).
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

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_imagenet_cnn_losses.ipynb"
GAME_CELL = """\
import torch, colorlib
from colorlib.turing import TuringTest
photos = colorlib.data.load("sample", "test", size=32)
L = torch.stack([photos[i]["L"] for i in range(4)])
ab = torch.stack([photos[i]["ab"] for i in range(4)])
TuringTest(L, ab, {"gray": torch.zeros_like(ab), "half": ab / 2}, participant="browser",
           rounds=3, out_dir="turing-logs", seed=0)
"""
# JupyterLab renders only the cells in view unless told otherwise; the test looks for
# widgets far down the notebook, so every cell is rendered
LAB_SETTINGS = {"@jupyterlab/notebook-extension": {"tracker": '{"windowingMode": "none"}'}}


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
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    game = nbformat.v4.new_notebook()
    game.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    game.cells = [nbformat.v4.new_code_cell(GAME_CELL)]
    nbformat.write(game, root / "game.ipynb")
    settings = root / "lab-settings"
    for package, files in LAB_SETTINGS.items():
        for name, text in files.items():
            (settings / package).mkdir(parents=True, exist_ok=True)
            (settings / package / f"{name}.jupyterlab-settings").write_text(text)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings)}
    port, token = _free_port(), secrets.token_hex(16)
    log = open(root / "lab.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
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


def open_and_run_all(page, lab_server, name: str, timeout_ms: int = 180_000) -> None:
    """Open notebook ``name``, wait for an idle kernel, run all its cells from the menu.

    The menu is tried again (at most 3 times) until a cell shows that it ran: a
    freshly opened JupyterLab sometimes ignores the first click while it settles.
    """
    # a workspace of its own, reset: only this notebook is open (and active), whatever
    # an earlier test left open in the same server
    workspace = Path(name).stem
    page.goto(
        f"{lab_server['base']}/lab/workspaces/{workspace}/tree/{name}"
        f"?reset&token={lab_server['token']}"
    )
    page.wait_for_selector(".jp-Notebook", timeout=timeout_ms)
    page.wait_for_selector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout_ms
    )
    # a notebook with many stored outputs shows a spinner over itself while it renders
    page.wait_for_selector(".jp-NotebookPanel .jp-Spinner", state="detached", timeout=timeout_ms)
    started = ".jp-Cell .jp-InputPrompt:text-matches('\\[\\*\\]')"
    for _ in range(3):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:
            page.wait_for_selector(started, timeout=20_000)
            return
        except Exception:  # playwright's TimeoutError: try again
            page.keyboard.press("Escape")
    page.screenshot(path=str(lab_server["root"] / "not-started.png"))
    pytest.fail(f"{name} never started running")


def test_notebook_02_runs_and_its_loss_slider_changes_the_picture(page, lab_server):
    open_and_run_all(page, lab_server, NOTEBOOK.name)
    # the loss comparison is the first widget of notebook 02 with a slider and a picture
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.wait_for(timeout=600_000)
    picture = page.locator("img.widget-image").first
    picture.wait_for(timeout=60_000)
    caption = page.locator(".widget-html").first
    before_src, before_caption = picture.get_attribute("src"), caption.inner_text()
    assert "image 1 of 24" in before_caption
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")  # next test image
    page.wait_for_function(
        "(old) => document.querySelector('img.widget-image').src !== old",
        arg=before_src, timeout=60_000,
    )  # fmt: skip
    page.wait_for_function(  # the caption follows the picture: ab L2 of the next image
        "() => document.querySelector('.widget-html').innerText.includes('image 2 of 24')",
        timeout=60_000,
    )
    assert caption.inner_text() != before_caption
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "loss_comparison.png"))


def test_turing_game_plays_three_rounds_by_clicking(page, lab_server):
    open_and_run_all(page, lab_server, "game.ipynb")
    left = page.locator("button:text-is('left is real')")
    left.wait_for(timeout=180_000)
    status = page.locator(".widget-html").first
    assert "Round 1 of 3" in status.inner_text()
    for round_ in (2, 3):
        left.click()
        page.wait_for_function(
            "(text) => document.querySelector('.widget-html').innerText.includes(text)",
            arg=f"Round {round_} of 3", timeout=60_000,
        )  # fmt: skip
    left.click()
    page.wait_for_function(
        "() => document.querySelector('.widget-html').innerText.includes('Done.')", timeout=60_000
    )
    assert left.is_disabled()
    logs = list((lab_server["root"] / "turing-logs").glob("browser-*.csv"))
    assert len(logs) == 1 and len(logs[0].read_text().splitlines()) == 4  # header + 3 rounds
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "turing_test.png"))
