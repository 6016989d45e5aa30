"""``python -m colorlib turing-server``: the Colorization Turing Test for a whole class.

One command starts a Voilà server (Voilà renders a notebook's widgets as a web page,
without its code) with two pages:

- **the game** (``http://HOST:PORT/voila/render/play.ipynb``): a participant types a
  name or number, then plays ``rounds`` rounds of :class:`colorlib.turing.TuringTest`
  (:class:`colorlib.turing_pages.ServedTuringTest`): the real photo and one
  colorization side by side, a click on the one they believe is real. Each answer
  and its response time are appended, as given, to a CSV of its own per session in
  the log folder, in the format :func:`colorlib.turing.read_logs` reads. A reload
  starts a new session (a new file); no session can touch another's file.
- **the results** (``.../voila/render/results.ipynb``): every log in the folder pooled,
  refreshed every few seconds: fooling rate per method with its 95% Wilson interval,
  participants and answers, as a table and as bars coloured by model family.

What :func:`run` does, in order:

1. checks the inputs, each refused in one line: the address and port (free, and
   an address of this machine), the log folder (created, and written to), the
   models (shipped names or ``.pt`` files);
2. draws the photos once: ``photos`` photos (Tiny ImageNet val when present, else the
   bundled sample's test photos; 64 px, shown at 256 px), each colorized by every
   model, into a **photo bank** of uint8 arrays in a temporary folder, so that the
   participants' kernels need no torch (about 70 MB each, not 700);
3. serves the two pages with Voilà in this process until Ctrl-C or SIGTERM; Voilà
   then shuts every kernel down, and the temporary folder is removed. Every answer
   was written when it was given, so none is lost.

Safety: the server binds to 127.0.0.1 unless told otherwise (and then says so in one
line). Voilà shows no code (``strip_sources``) and no tracebacks, and its kernels
accept widget messages only (``comm_*``, ``kernel_info_request``,
``shutdown_request``: no ``execute_request``), so a participant can click and type a
name, not run code. These defaults are passed explicitly, so a Jupyter config file
cannot turn them off; static files are not served at all. There is no password
(a class types none): a page is open to whoever reaches the address.

Importing this module loads neither torch nor Voilà (the CLI's ``--help`` stays fast).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.util
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MODELS",
    "DEFAULT_PHOTOS",
    "DEFAULT_PORT",
    "DEFAULT_ROUNDS",
    "GAME_PAGE",
    "LOG_DIR",
    "RESULTS_PAGE",
    "build_bank",
    "check_address",
    "check_logs",
    "check_models",
    "page_urls",
    "run",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866  # Voilà's own default
DEFAULT_ROUNDS = 20  # as notebook 05's game
DEFAULT_PHOTOS = 100
DEFAULT_MODELS = (
    "imagenet64-zhang-ce",
    "imagenet64-zhang-ce-rebalanced",
    "imagenet64-pix2pix",
    "imagenet32-seedcnn-l2",
)
"""The four colorizers of notebook 05's game (section 7)."""

LOG_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "runs" / "turing"
"""The default log folder: the one notebook 05 reads in section 7 (its ``turing_logs``,
``runs/turing``, relative to the notebooks folder where it runs)."""

PHOTO_SIZE = 64
"""Side of the game's photos in pixels (shown 4x: 256 px)."""

GAME_PAGE, RESULTS_PAGE = "play.ipynb", "results.ipynb"
KERNEL_NAME = "colorlib-turing"
CULL_IDLE_SECONDS = 600
"""A kernel whose page was closed without saying so is shut down after this long idle."""


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


_PAGES = {
    GAME_PAGE: "from colorlib.turing_pages import game_page\n\ngame_page()",
    RESULTS_PAGE: "from colorlib.turing_pages import results_page\n\nresults_page()",
}


def check_address(host: str, port: int) -> None:
    """Refuse, in one line, a port outside 1-65535, a host that is not an address of
    this machine, or a port something else listens on.

    Raises:
        ValueError: one line saying which.
    """
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be from 1 to 65535, got {port}")
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as err:
        raise ValueError(f"--host {host!r} is not a known address ({err.strerror})") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado binds
            try:
                probe.bind(address)
            except OSError as err:
                raise ValueError(
                    f"cannot listen on {host}:{port} ({err.strerror}); choose another --port"
                    if err.errno == errno.EADDRINUSE
                    else f"cannot listen on {host}:{port} ({err.strerror})"
                ) from None


def check_logs(folder: str | os.PathLike) -> Path:
    """The log folder, created if missing and checked writable; absolute.

    Raises:
        ValueError: one line: it is a file, or it cannot be created or written to.
    """
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--logs {folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ValueError(f"--logs {folder}: cannot write there ({err.strerror or err})") from None
    return folder.resolve()


def check_models(names: Sequence[str]) -> list[str]:
    """``names`` checked: each a shipped colorizer (:func:`colorlib.pretrained.available`)
    or a ``.pt`` file, no name twice. Loads torch.

    Raises:
        ValueError: one line naming the unknown model and the available ones.
    """
    from colorlib import pretrained

    known = pretrained.available()
    for name in names:
        if name not in known and not (name.endswith(".pt") and Path(name).is_file()):
            raise ValueError(f"unknown model {name!r}; available: {', '.join(known) or 'none'}")
    methods = [Path(name).stem if name.endswith(".pt") else name for name in names]
    if len(set(methods)) != len(methods):
        raise ValueError(f"--models names a model twice: {' '.join(names)}")
    return list(names)


def _uint8_hwc(rgb):
    """``(N, 3, S, S)`` sRGB in [0, 1] (a torch tensor) -> ``(N, S, S, 3)`` uint8 numpy."""
    import torch

    return rgb.clamp(0, 1).mul(255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def build_bank(
    models: Sequence[str],
    photos: int,
    folder: Path,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> tuple[list[str], str]:
    """Draw ``photos`` test photos and colorize each with every model, into ``folder``
    (:class:`colorlib.turing_pages.PhotoBank`: ``(N, 64, 64, 3)`` uint8 arrays).

    The photos: Tiny ImageNet val when a data root holds it, else the bundled
    sample's test photos (:func:`colorlib.data.load_or_sample`); a seeded random draw,
    64 x 64. A model trained at another size runs on a resized L and its ab is
    resized back onto the photo's own L (``evaluate.predict(..., resize=True)``).

    Returns:
        ``(method names, one line saying which photos)``.
    """
    from colorlib import data, evaluate, pretrained
    from colorlib.turing_pages import PhotoBank

    dataset, about = data.load_or_sample("tinyimagenet", "test", size=PHOTO_SIZE)
    subset = data.random_subset(dataset, photos, seed)
    described = f"{len(subset)} photos drawn from {about}"
    say(f"[turing-server] photos: {described}")
    real, fakes, methods = None, [], []
    for name in models:
        model = pretrained.load(name, device="cpu")
        prediction = evaluate.predict(model, subset, batch_size=64, resize=True)
        if real is None:
            real = _uint8_hwc(prediction["rgb_true"])
        fakes.append(_uint8_hwc(prediction["rgb_pred"]))
        methods.append(Path(name).stem if name.endswith(".pt") else name)
        say(f"[turing-server] colorized them with {methods[-1]}")
    PhotoBank.save(folder, real, fakes)
    return methods, described


def _family_colours(methods: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """method -> its family's colour, and method -> the family's legend name
    (:mod:`colorlib.viz.families`)."""
    from colorlib.viz.families import FAMILY_COLOURS, FAMILY_LABELS, model_family

    families = {m: model_family(m) for m in methods}
    return (
        {m: FAMILY_COLOURS[f] for m, f in families.items()},
        {m: FAMILY_LABELS[f] for m, f in families.items()},
    )


def _write_site(root: Path) -> Path:
    """The two page notebooks in ``root/site`` (the only folder Voilà serves) and a
    kernel spec for this Python in ``root/jupyter``; returns the site folder."""
    import nbformat

    site = root / "site"
    site.mkdir()
    for name, code in _PAGES.items():
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "colorlib"}
        notebook.metadata["language_info"] = {"name": "python"}
        notebook.cells = [nbformat.v4.new_code_cell(code)]
        nbformat.write(notebook, site / name)
    spec = root / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    # no history database shared by 30 kernels; their warnings (one a kernel) kept out of
    # the teacher's terminal
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]  # fmt: skip
    kernel = {"argv": argv, "display_name": "colorlib", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
    return site


def _shown_host(host: str) -> str:
    """The host as participants type it: this machine's network address for a
    wildcard host (found without sending anything), IPv6 in brackets."""
    if host in ("0.0.0.0", "::", ""):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))  # TEST-NET: UDP connect sends no packet
                host = probe.getsockname()[0]
        except OSError:
            host = socket.gethostname()
    return f"[{host}]" if ":" in host else host


def page_urls(host: str, port: int) -> tuple[str, str]:
    """The game's and the results page's URLs."""
    base = f"http://{_shown_host(host)}:{port}/voila/render"
    return f"{base}/{GAME_PAGE}", f"{base}/{RESULTS_PAGE}"


def _voila_argv(site: Path, host: str, port: int) -> list[str]:
    """Voilà's command line: this address and no other port, the safe defaults made
    explicit (no code, no tracebacks, no static files), idle closed pages culled."""
    return [
        str(site),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--Voila.log_level=WARN",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.file_denylist=.*",
        "--VoilaConfiguration.preheat_kernel=False",
        "--VoilaExecutor.startup_timeout=300",  # a class opening the page at once, 2 cores
        # Voilà's pages speak the v1 kernel protocol; a legacy client freezes Voilà 0.5.13
        "--Voila.kernel_websocket_connection_class=colorlib.turing_voila.V1KernelConnection",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]


class _SteadySignalsLoop(asyncio.SelectorEventLoop):
    """An event loop that lets nobody take SIGINT or SIGTERM.

    Voilà runs each page's notebook with nbclient, which hands both signals to the
    event loop while the notebook runs and then resets them: a Ctrl-C during a page
    load was swallowed, and after the first page SIGTERM killed the server at once,
    leaving its kernels running. On this loop they stay with the process: Ctrl-C
    raises KeyboardInterrupt and SIGTERM calls Voilà's own handler, and both stop
    Voilà cleanly.
    """

    def add_signal_handler(self, sig, callback, *args) -> None:
        if sig not in (signal.SIGINT, signal.SIGTERM):
            super().add_signal_handler(sig, callback, *args)

    def remove_signal_handler(self, sig) -> bool:
        if sig in (signal.SIGINT, signal.SIGTERM):
            return False
        return super().remove_signal_handler(sig)


@contextlib.contextmanager
def _served() -> Iterator[None]:
    """Within the block: an event loop that keeps SIGINT and SIGTERM
    (:class:`_SteadySignalsLoop`); Ctrl-C raises KeyboardInterrupt even in a process
    started with SIGINT ignored (``command &`` in a script); and two harmless warnings
    are not shown: Voilà's, once a page view, that the page's notebook is unsigned,
    and tornado's, once, about jupyter_server's websocket ping settings."""
    quiet = _Quiet()
    loggers = [logging.getLogger(name) for name in ("Voila", "tornado.general")]
    for logger in loggers:
        logger.addFilter(quiet)
    loop = _SteadySignalsLoop()
    asyncio.set_event_loop(loop)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        asyncio.set_event_loop(None)
        loop.close()
        for logger in loggers:
            logger.removeFilter(quiet)


class _Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "is not trusted" not in message and "websocket_ping_timeout" not in message


def _answers_line(logs: Path) -> str:
    """``"15 answers from 3 participants (3 sessions)"`` for the logs in ``logs``, or
    the one-line reason they cannot be read."""
    from colorlib.turing import read_logs
    from colorlib.turing_pages import summary_line

    try:
        return summary_line(read_logs(logs))
    except (OSError, ValueError) as err:
        return f"the logs cannot all be read: {err}"


def run(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    logs: str | os.PathLike = LOG_DIR,
    models: Sequence[str] = DEFAULT_MODELS,
    rounds: int = DEFAULT_ROUNDS,
    photos: int = DEFAULT_PHOTOS,
    seed: int = 0,
    refresh_seconds: float = 3.0,
    say: Callable[[str], None] = print,
) -> int:
    """Check the inputs, build the photo bank, serve the game and the results until
    Ctrl-C or SIGTERM (see the module docstring). Returns the exit status, 0.

    Raises:
        ValueError: a refused input (one line), before any photo is drawn.
    """
    if rounds < 1 or photos < 1:
        raise ValueError(f"--rounds and --photos must be >= 1, got {rounds} and {photos}")
    if importlib.util.find_spec("voila") is None:
        raise ValueError(
            "Voila is not installed here: bash scripts/install.sh (or pip install -r "
            "requirements.txt) installs it"
        )
    check_address(host, port)
    logs = check_logs(logs)
    models = check_models(models)
    if not _loopback(host):
        say(
            f"[turing-server] warning: --host {host} lets anyone who can reach this machine "
            f"on port {port} play and see the results, with no password; use it on a "
            "classroom network only"
        )
    from colorlib.turing_pages import CONFIG_ENV, ServerConfig
    from colorlib.widgets import default_scale

    root = Path(tempfile.mkdtemp(prefix="colorlib-turing-"))
    environ = {name: os.environ.get(name) for name in (CONFIG_ENV, "JUPYTER_PATH")}
    try:
        methods, described = build_bank(models, photos, root / "bank", seed, say)
        colours, families = _family_colours(methods)
        config = ServerConfig(
            logs=logs, rounds=rounds, methods=tuple(methods), bank=root / "bank",
            scale=default_scale(PHOTO_SIZE), colours=colours, families=families,
            photos=described, refresh_seconds=refresh_seconds,
        )  # fmt: skip
        (root / "config.json").write_text(config.to_json(), encoding="utf-8")
        site = _write_site(root)
        os.environ[CONFIG_ENV] = str(root / "config.json")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [str(root / "jupyter"), os.environ.get("JUPYTER_PATH")])
        )
        game, results = page_urls(host, port)
        say(f"[turing-server] the game (for the projector): {game}")
        say(f"[turing-server] the results: {results}")
        say(f"[turing-server] answers: one CSV per session in {logs} (now: {_answers_line(logs)})")
        say("[turing-server] Ctrl-C stops the server; every answer is saved as it is given")
        sys.stdout.flush()
        from traitlets.config import Config
        from voila.app import Voila

        from colorlib.turing_voila import give_xsrf_cookie

        hook = Config({"VoilaConfiguration": {"prelaunch_hook": give_xsrf_cookie}})
        with _served():
            Voila.launch_instance(argv=_voila_argv(site, host, port), config=hook)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for name, value in environ.items():  # as it was (the command may run in a process)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    say(f"[turing-server] stopped; {logs} holds {_answers_line(logs)}")
    return 0
