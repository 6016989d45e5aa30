"""The class Turing test server (``python -m colorlib turing-server``).

Fast tests: the command's help imports neither torch nor Voilà; bad inputs are
refused in one line before anything starts; the served game (photos from a bank)
logs exactly as the notebook's game does; the results page pools the logs.

The slow test runs the real server on 127.0.0.1 with a temporary log folder and
plays it with headless Chromium (Debian's, as in ``tests/test_browser.py``): three
participants play 5 rounds each at the same time, the results page shows their 15
answers and agrees with :func:`colorlib.turing.read_logs`, a fourth participant
reloads in mid-game and no file is damaged; 30 more participants, simulated at the
protocol level by ``benchmarks/turing_load.py``, play at once and lose no answer;
then Ctrl-C (SIGINT) stops the server and no process of it is left. Every request
outside 127.0.0.1 is refused (the page names a few CDN stylesheets), and every wait
is bounded.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from colorlib import turing
from colorlib.__main__ import main
from colorlib.turing_pages import (
    PhotoBank,
    ResultsPage,
    ServedTuringTest,
    ServerConfig,
    game_page,
    summary_line,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROJECT = Path(__file__).resolve().parent.parent
MODELS = ("imagenet64-zhang-ce", "imagenet64-pix2pix")  # two: a quicker start
ROUNDS = 5
BENCHMARK = PROJECT / "benchmarks" / "turing_load.py"


def load_benchmark():
    """benchmarks/turing_load.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("turing_load", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line_error(status: int, err: str) -> str:
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("colorlib turing-server: error: "), err
    return lines[0]


# ------------------------------------------------------------------ the command line


HELP_PROBE = """
import sys
from colorlib.__main__ import main
try:
    main(["turing-server", "--help"])
except SystemExit:
    pass
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"torch", "torchvision", "voila"})
print("HEAVY:", heavy, "colorlib.turing_server" in sys.modules)
import colorlib.turing_pages  # what each participant's kernel imports
print("KERNEL TORCH:", "torch" in sys.modules)
"""


def test_help_explains_both_pages_and_imports_no_torch_nor_voila():
    result = subprocess.run(
        [sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, timeout=120,
        cwd=PROJECT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HEAVY: [] True" in result.stdout  # and the probe saw the module load
    assert "KERNEL TORCH: False" in result.stdout  # a participant's kernel stays light
    text = " ".join(result.stdout.split())
    assert "/voila/render/play.ipynb" in text and "/voila/render/results.ipynb" in text
    assert "Wilson" in text and "--logs" in text and "127.0.0.1" in text


def test_only_loopback_addresses_go_without_a_warning():
    from colorlib.turing_server import _loopback, page_urls

    assert all(map(_loopback, ("127.0.0.1", "127.0.0.2", "::1", "localhost")))
    assert not any(map(_loopback, ("0.0.0.0", "::", "192.168.1.20", "example.org")))
    assert page_urls("::1", 8866)[0] == "http://[::1]:8866/voila/render/play.ipynb"


def test_bad_inputs_are_refused_in_one_line_before_anything_starts(tmp_path, capsys):
    logs = tmp_path / "logs"
    err = one_line_error(main(["turing-server", "--port", "70000", "--logs", str(logs)]),
                         capsys.readouterr().err)  # fmt: skip
    assert "--port must be from 1 to 65535" in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        err = one_line_error(main(["turing-server", "--port", str(port), "--logs", str(logs)]),
                             capsys.readouterr().err)  # fmt: skip
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert not logs.exists()  # refused before the log folder is made
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for bad in (a_file, a_file / "below"):
        err = one_line_error(main(["turing-server", "--port", str(_free_port()),
                                   "--logs", str(bad)]), capsys.readouterr().err)  # fmt: skip
        assert "--logs" in err and str(a_file) in err
    err = one_line_error(
        main(["turing-server", "--port", str(_free_port()), "--logs", str(logs),
              "--models", "imagenet64-zhang-ce", "no-such-model"]),
        capsys.readouterr().err,
    )  # fmt: skip
    assert "unknown model 'no-such-model'" in err and "imagenet64-pix2pix" in err


# -------------------------------------------------- the served game and the results page


def a_bank(tmp_path, n=6, size=8) -> tuple[PhotoBank, ServerConfig]:
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    fakes = [np.zeros_like(real), 255 - real]
    PhotoBank.save(tmp_path / "bank", real, fakes)
    methods = ("imagenet64-zhang-ce", "cifar10-pix2pix")
    config = ServerConfig(
        logs=tmp_path / "logs", rounds=4, methods=methods, bank=tmp_path / "bank", scale=4,
        colours={methods[0]: "#e69f00", methods[1]: "#cc79a7"},
        families={methods[0]: "bins", methods[1]: "cgan"}, photos="6 test photos",
    )  # fmt: skip
    return PhotoBank(config.bank, methods), config


def test_the_served_game_logs_as_the_notebook_game_does(tmp_path):
    bank, config = a_bank(tmp_path)
    png = bank.pair_png("cifar10-pix2pix", 2, "left", scale=4)
    assert png[:4] == b"\x89PNG"
    games = [ServedTuringTest(bank, "Ada L.", 4, config.logs, scale=4) for _ in range(2)]
    for game in games:  # the same name at the same moment: two sessions, two files
        assert game.status.value.startswith("Round 1 of 4")
        while not game.finished:
            trial = game.trials[game.answered]
            game.choose("right" if trial.real_side == "left" else "left")  # always fooled
        assert "Done" in game.status.value and str(config.logs) not in game.status.value
    assert games[0].log_path != games[1].log_path
    assert all(g.log_path.name.startswith("Ada-L-") for g in games)
    rows = turing.read_logs(config.logs)
    assert len(rows) == 8 and all(r["fooled"] == "1" for r in rows)
    assert {r["method"] for r in rows} == set(config.methods)  # balanced: 2 + 2 each
    assert summary_line(rows) == "8 answers from 1 participant (2 sessions)"

    page = ResultsPage(config)
    assert "8 answers from 1 participant" in page.header.value
    assert page.table.value.count("<tr data-method=") == 2 and page.chart.value[:4] == b"\x89PNG"
    (config.logs / "half-written.csv").write_text(",".join(turing.CSV_FIELDS) + "\nada,1")
    page.refresh()  # a file being written is skipped (and read again next time)
    assert "8 answers" in page.header.value and "skipped" in page.checked.value


def test_the_game_page_asks_for_a_name_and_refuses_a_bad_one(tmp_path):
    _, config = a_bank(tmp_path)
    page = game_page(config)
    name, start = page.children[1].children
    for bad, says in (("  !! ", "no letters or digits"), ("x" * 41, "at most 40")):
        name.value = bad
        start.click()
        assert says in page.children[2].value
    name.value = "Grace"
    start.click()
    assert isinstance(page.children[-1], ServedTuringTest)
    assert "Grace" in page.children[1].value
    assert not config.logs.exists() or not any(config.logs.iterdir())  # nothing answered yet


# -------------------------------------------- the real server, played in real browsers


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``python -m colorlib turing-server`` on 127.0.0.1 and a free port, with a
    temporary log folder; stopped by the test (SIGINT), killed here if it is not."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("turing-server")
    port, logs = _free_port(), root / "logs"
    out = open(root / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "colorlib", "turing-server", "--port", str(port),
         "--logs", str(logs), "--rounds", str(ROUNDS), "--photos", "12", "--models", *MODELS],
        stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # photos and models first: a minute on 2 cores
        while time.monotonic() < deadline and process.poll() is None:
            try:
                urllib.request.urlopen(f"{base}/", timeout=5)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("the server did not start: " + (root / "server.log").read_text()[-1500:])
        yield {"base": base, "logs": logs, "process": process, "log": root / "server.log"}
    finally:
        if process.poll() is None:  # the test failed before stopping it: stop it cleanly
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        out.close()


LOOPBACK = re.compile(r"^(https?|wss?)://127\.0\.0\.1[:/]")


async def new_context(browser):
    """A browser context (a participant of its own) that may reach 127.0.0.1 only."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})

    async def only_loopback(route):
        if LOOPBACK.match(route.request.url):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", only_loopback)
    return context


async def wait_text(page, text: str, timeout_ms: int = 120_000) -> None:
    await page.wait_for_function(
        "(t) => document.body.innerText.includes(t)", arg=text, timeout=timeout_ms
    )


async def start_game(page, base: str, name: str) -> None:
    await page.goto(f"{base}/voila/render/play.ipynb", timeout=240_000)
    field = page.locator(".widget-text input")
    await field.wait_for(timeout=240_000)
    await field.fill(name)
    await page.locator("button:text-is('Start')").click()
    await wait_text(page, f"Round 1 of {ROUNDS}")


async def answer(page, round_: int, side: str) -> None:
    """Answer round ``round_`` (1-based) and wait for the next one (or the end)."""
    await page.locator(f"button:text-is('{side} is real')").click()
    await wait_text(page, f"Round {round_ + 1} of {ROUNDS}" if round_ < ROUNDS else "Done")


async def play(browser, base: str, name: str, sides: str) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await start_game(page, base, name)
    for round_, side in enumerate(sides, 1):  # "l" or "r" a round
        await answer(page, round_, {"l": "left", "r": "right"}[side])
    async with page.expect_event("close"):  # as a tab closed: the page ends its kernel
        await page.close(run_before_unload=True)


ROWS_JS = """t => Array.from(t.querySelectorAll("tr[data-method]"))
    .map(r => [r.dataset.method, ...Array.from(r.cells).map(c => c.innerText.trim())])"""


async def shown_rates(page) -> dict[str, tuple[int, int]]:
    """method -> (fooled, answers) as the results page's table shows them."""
    rows = await page.locator("table.fooling-rates").evaluate(ROWS_JS)
    return {method: (int(fooled), int(answers)) for method, _, fooled, answers, *_ in rows}


def logged_rates(logs: Path) -> dict[str, tuple[int, int]]:
    rates = turing.fooling_rates(turing.read_logs(logs))
    return {method: (r.fooled, r.rounds) for method, r in rates.items()}


async def refuses_a_legacy_websocket(base: str, page_html: str) -> None:
    """A kernel websocket without Voilà's v1 protocol is refused (Voilà 0.5.13 froze on
    one: :mod:`colorlib.turing_voila`), and the server answers on."""
    from tornado.httpclient import HTTPClientError
    from tornado.websocket import websocket_connect

    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', page_html).group(1)
    url = f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels?session_id=legacy"
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(url)
    assert refused.value.code == 400
    assert urllib.request.urlopen(f"{base}/", timeout=30).status == 200


async def class_plays(base: str, logs: Path, server_pid: int) -> list:
    """Play; return the server's child processes (its kernels) while pages are open."""
    import psutil
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )  # fmt: skip
        # three participants at the same time
        await asyncio.gather(
            play(browser, base, "ada", "lllll"),
            play(browser, base, "Bob S.", "rrrrr"),
            play(browser, base, "7", "lrlrl"),
        )
        for _ in range(120):  # their closed pages shut their kernels down
            if not psutil.Process(server_pid).children(recursive=True):
                break
            await asyncio.sleep(0.5)
        else:
            left = psutil.Process(server_pid).children(recursive=True)
            pytest.fail(f"the kernels of closed pages are still running: "
                        f"{[(k.status(), k.cmdline()[-3:]) for k in left]}")  # fmt: skip
        teacher = await (await new_context(browser)).new_page()
        await teacher.goto(f"{base}/voila/render/results.ipynb", timeout=240_000)
        await wait_text(teacher, "15 answers from 3 participants (3 sessions)")
        shown = await shown_rates(teacher)
        assert shown == logged_rates(logs)
        assert sum(answers for _, answers in shown.values()) == 15
        assert await teacher.locator("img.widget-image").count() == 1  # the bars
        await refuses_a_legacy_websocket(base, await teacher.content())

        # a fourth participant reloads in mid-game, then plays on in a new session
        context = await new_context(browser)
        page = await context.new_page()
        await start_game(page, base, "dora")
        for round_ in (1, 2):
            await answer(page, round_, "left")
        await page.reload(timeout=240_000)
        await page.locator(".widget-text input").wait_for(timeout=240_000)
        assert "Round" not in await page.inner_text("body")  # a new game, not the old one
        await page.locator(".widget-text input").fill("dora")
        await page.locator("button:text-is('Start')").click()
        await wait_text(page, f"Round 1 of {ROUNDS}")
        await answer(page, 1, "right")
        await wait_text(teacher, "18 answers from 4 participants (5 sessions)", 60_000)
        assert await shown_rates(teacher) == logged_rates(logs)
        family = psutil.Process(server_pid).children(recursive=True)
        await browser.close()
    return family


@pytest.mark.slow
def test_a_class_plays_in_chromium_and_nothing_is_lost_or_left_running(server):
    import psutil

    logs, process = server["logs"], server["process"]
    playing = class_plays(server["base"], logs, process.pid)
    family = asyncio.run(asyncio.wait_for(playing, timeout=900))
    assert len(family) >= 2  # the kernels of the pages open at the end (teacher's, dora's)

    files = sorted(logs.glob("*.csv"))
    per_file = {path.name: len(turing.read_logs(path)) for path in files}  # each one parses
    assert sorted(per_file.values()) == [1, 2, 5, 5, 5], per_file
    assert {name.split("-")[0] for name in per_file} == {"ada", "Bob", "7", "dora"}
    assert [len(p.read_text().splitlines()) for p in files] == [n + 1 for n in per_file.values()]
    rows = turing.read_logs(logs)
    assert all(float(r["seconds"]) > 0 for r in rows)
    assert {r["method"] for r in rows} == set(MODELS)

    # 30 more participants at once, simulated at the protocol level (the load
    # benchmark's participants): no answer lost
    load = load_benchmark()
    people = asyncio.run(asyncio.wait_for(load.run_class(server["base"], 30, ROUNDS), 600))
    assert [len(p.round_trips) for p in people] == [ROUNDS] * 30
    assert all(p.closed for p in people)  # each kernel shut down, as a closed tab does
    rows = turing.read_logs(logs)
    assert len(rows) == 18 + 30 * ROUNDS and len(list(logs.glob("sim-*.csv"))) == 30

    # Ctrl-C: the server stops, with its kernels, and says what the folder holds
    family += psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 0
    gone, alive = psutil.wait_procs(family, timeout=30)
    assert not alive, [p.pid for p in alive]
    output = server["log"].read_text()
    assert "168 answers from 34 participants (35 sessions)" in output.splitlines()[-1]
    assert "Traceback" not in output
    assert turing.read_logs(logs) == rows  # nothing lost, nothing changed
