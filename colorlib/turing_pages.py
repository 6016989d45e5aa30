"""The two pages of ``python -m colorlib turing-server``, as they run in Voilà's kernels.

Voilà starts one kernel per page view and runs a two-line notebook in it
(:mod:`colorlib.turing_server` writes them): the game calls :func:`game_page`, the
teacher's page :func:`results_page`. Participants see the widgets only, never code,
and their kernels accept widget messages only (Voilà's default).

Neither page imports torch: before Voilà starts, the server draws every photo once
into a **photo bank** (:class:`PhotoBank`), uint8 RGB arrays that each kernel maps
from disk. A participant's kernel costs about 70 MB and starts in a second or two,
so a laptop holds a class.

- :class:`ServedTuringTest` is :class:`colorlib.turing.TuringTest` (same schedule,
  same buttons, same CSV row per answer, appended as it is given) drawing its pairs
  from the bank; its session id has a random part, so two participants of the same
  name who start in the same microsecond still get two files.
- :func:`results_page` pools every CSV in the log folder (:func:`colorlib.turing.read_logs`)
  every few seconds: fooling rate per method with its 95% Wilson interval, as a table
  and as bars coloured by model family.

The server passes its settings in a JSON file named by the environment variable
:data:`CONFIG_ENV` (see :class:`ServerConfig`).
"""

from __future__ import annotations

import html
import io
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ipywidgets
import numpy as np
from PIL import Image

from colorlib.turing import FoolingRate, TuringTest, _safe_name, fooling_rates, read_logs

__all__ = [
    "CONFIG_ENV",
    "MAX_NAME_CHARS",
    "PhotoBank",
    "ServedTuringTest",
    "ServerConfig",
    "game_page",
    "load_config",
    "results_page",
    "summary_line",
]

CONFIG_ENV = "COLORLIB_TURING_SERVER"
"""Environment variable holding the path of the server's settings (JSON)."""

MAX_NAME_CHARS = 40
"""The longest participant id the game accepts (after sanitising), in characters."""

GAP_PIXELS = 16
"""White space between the two photos of a pair, in screen pixels."""


@dataclass(frozen=True)
class ServerConfig:
    """What the server tells its pages (the JSON file of :data:`CONFIG_ENV`).

    Attributes:
        logs: folder of the per-session CSV logs.
        rounds: rounds of one game.
        methods: the colorizers tested, in the order of the bank and of the results.
        bank: folder of the photo bank (:class:`PhotoBank`).
        scale: whole upscaling factor of each photo on screen (64 px x 4 = 256 px).
        colours: method -> its family's colour (hex sRGB), for the bars.
        families: method -> its family's name in the legend.
        photos: one line saying which photos the game shows.
        refresh_seconds: how often the results page reads the logs.
    """

    logs: Path
    rounds: int
    methods: tuple[str, ...]
    bank: Path
    scale: int
    colours: Mapping[str, str]
    families: Mapping[str, str]
    photos: str
    refresh_seconds: float = 3.0

    def to_json(self) -> str:
        fields = {**self.__dict__, "logs": str(self.logs), "bank": str(self.bank)}
        fields["methods"] = list(self.methods)
        fields["colours"], fields["families"] = dict(self.colours), dict(self.families)
        return json.dumps(fields, indent=1)


def load_config(path: str | os.PathLike | None = None) -> ServerConfig:
    """The settings at ``path`` (default: the file named by :data:`CONFIG_ENV`).

    Raises:
        RuntimeError: no path given and :data:`CONFIG_ENV` unset (the page was opened
            outside ``python -m colorlib turing-server``).
    """
    if path is None:
        path = os.environ.get(CONFIG_ENV)
        if not path:
            raise RuntimeError(
                f"{CONFIG_ENV} is not set: this page is served by python -m colorlib turing-server"
            )
    fields = json.loads(Path(path).read_text(encoding="utf-8"))
    fields["logs"], fields["bank"] = Path(fields["logs"]), Path(fields["bank"])
    fields["methods"] = tuple(fields["methods"])
    return ServerConfig(**fields)


class PhotoBank:
    """The game's photos, real and colorized, as uint8 RGB arrays on disk.

    Files in ``folder``: ``real.npy`` ``(N, S, S, 3)`` and ``fake-<k>.npy`` (same
    shape) for the k-th method, each mapped read-only (every kernel shares one copy in
    the page cache).

    Args:
        folder: the bank's folder (:func:`colorlib.turing_server.build_bank` writes it).
        methods: the method names, in the order of the ``fake-<k>`` files.
    """

    def __init__(self, folder: str | os.PathLike, methods: Sequence[str]) -> None:
        folder = Path(folder)
        self.methods = tuple(methods)
        self.real = np.load(folder / "real.npy", mmap_mode="r", allow_pickle=False)
        self.fakes = {
            name: np.load(folder / f"fake-{k}.npy", mmap_mode="r", allow_pickle=False)
            for k, name in enumerate(self.methods)
        }
        for name, fake in self.fakes.items():
            if fake.shape != self.real.shape or fake.dtype != np.uint8:
                raise ValueError(
                    f"photo bank {folder}: {name!r} is {fake.shape} {fake.dtype}, "
                    f"expected {self.real.shape} uint8"
                )

    @property
    def n_images(self) -> int:
        return int(self.real.shape[0])

    @property
    def size(self) -> int:
        """The photos' side S in pixels."""
        return int(self.real.shape[1])

    @staticmethod
    def save(folder: str | os.PathLike, real: np.ndarray, fakes: Sequence[np.ndarray]) -> None:
        """Write a bank: ``real`` and each of ``fakes`` ``(N, S, S, 3)`` uint8."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "real.npy", np.ascontiguousarray(real, dtype=np.uint8))
        for k, fake in enumerate(fakes):
            np.save(folder / f"fake-{k}.npy", np.ascontiguousarray(fake, dtype=np.uint8))

    def pair_png(self, method: str, image: int, real_side: str, scale: int = 1) -> bytes:
        """PNG of photo ``image``, real and colorized by ``method``, the real one on
        ``real_side``; each upscaled ``scale`` x by nearest neighbour, with
        :data:`GAP_PIXELS` of white between them."""
        real, fake = self.real[image], self.fakes[method][image]
        left, right = (real, fake) if real_side == "left" else (fake, real)
        gap = np.full((self.size, max(1, round(GAP_PIXELS / scale)), 3), 255, np.uint8)
        picture = Image.fromarray(np.concatenate([left, gap, right], axis=1))
        if scale > 1:
            size = (picture.width * scale, picture.height * scale)
            picture = picture.resize(size, Image.Resampling.NEAREST)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()


class ServedTuringTest(TuringTest):
    """:class:`colorlib.turing.TuringTest` with its photos from a :class:`PhotoBank`.

    Everything else is the notebook's game: the balanced :func:`colorlib.turing.schedule`,
    the ``left is real`` / ``right is real`` buttons (here each under its photo), one
    CSV row appended per answer to ``out_dir/<participant>-<session>.csv``.

    Args:
        bank: the photos.
        participant: the participant's id (sanitised as in the notebook's game).
        rounds: pairs to show.
        out_dir: folder of the CSV logs.
        scale: whole upscaling factor of each photo on screen.
        seed: seeds the schedule (default: a fresh random order).
        clock: seconds since some origin (tests pass a fake one).
    """

    def __init__(
        self,
        bank: PhotoBank,
        participant: str,
        rounds: int,
        out_dir: str | os.PathLike,
        scale: int = 1,
        seed: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._bank, self._scale = bank, scale
        self._setup(participant, list(bank.methods), bank.n_images, rounds, out_dir, seed, clock)
        # the pair at its own size (each photo size x scale px), narrower on a narrow
        # screen, never stretched; each button under its photo
        tile = bank.size * scale
        total = 2 * tile + max(1, round(GAP_PIXELS / scale)) * scale
        self.image.layout = ipywidgets.Layout(width=f"{total}px", max_width="100%")
        self.children[2].layout = ipywidgets.Layout(
            width=f"{total}px", max_width="100%", justify_content="space-between"
        )
        for button in (self.left, self.right):
            button.layout = ipywidgets.Layout(width=f"{100 * tile / total:.2f}%")

    @staticmethod
    def _new_session() -> str:
        """The date and time to the microsecond and 6 random hex digits."""
        return f"{TuringTest._new_session()}-{secrets.token_hex(3)}"

    def _pair_png(self, trial) -> bytes:
        return self._bank.pair_png(trial.method, trial.image, trial.real_side, self._scale)

    def _show(self) -> None:
        super()._show()
        if self.finished:  # the notebook's last line names the server's file: not here
            self.status.value = (
                f"<b>Done, thank you!</b> You picked the colorization as the real photo in "
                f"{self.fooled} of {len(self.trials)} pairs. Your answers are saved; "
                "reload the page to play again."
            )

    def choose(self, side: str) -> None:
        """Answer the current round (as the game's ``choose``); a failed write is said
        on the page, and the round can be answered again."""
        try:
            super().choose(side)
        except OSError as err:
            self.status.value = (
                f"<b>Your answer could not be saved</b> ({html.escape(err.strerror or str(err))});"
                " please tell your teacher."
            )


def _participant_id(text: str) -> str:
    """``text`` sanitised as the game does; a ValueError (one line) if it is empty
    or longer than :data:`MAX_NAME_CHARS`."""
    name = _safe_name(text)
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"please use at most {MAX_NAME_CHARS} letters and digits")
    return name


def game_page(config: ServerConfig | None = None) -> ipywidgets.VBox:
    """The participant's page: a name or number, then :class:`ServedTuringTest`.

    Args:
        config: the server's settings (default :func:`load_config`).
    """
    config = config or load_config()
    bank = PhotoBank(config.bank, config.methods)
    intro = ipywidgets.HTML(
        "<h2>Colorization Turing Test</h2>"
        f"<p>Each of the {config.rounds} rounds shows one photo twice: the real photo and a "
        "colorization made by a computer from its gray version. Click the button under the "
        "one you believe is <b>real</b>. Answer at your own pace.</p>"
    )
    name = ipywidgets.Text(placeholder="your name or number", description="Name:")
    start = ipywidgets.Button(description="Start", button_style="primary")
    message = ipywidgets.HTML()
    page = ipywidgets.VBox([intro, ipywidgets.HBox([name, start]), message])

    def begin(_: object) -> None:
        if len(page.children) != 3:  # a second click on Start: the game is on already
            return
        try:
            game = ServedTuringTest(
                bank, _participant_id(name.value), config.rounds, config.logs, config.scale
            )
        except ValueError as err:
            message.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"
            return
        who = ipywidgets.HTML(f"Playing as <b>{html.escape(game.participant)}</b>")
        page.children = [intro, who, game]

    start.on_click(begin)
    return page


def summary_line(rows: Sequence[Mapping[str, str]]) -> str:
    """``"15 answers from 3 participants (3 sessions)"`` for game-log rows."""
    people = {row["participant"] for row in rows}
    sessions = {(row["participant"], row["session"]) for row in rows}
    return (
        f"{len(rows)} answer{'s' * (len(rows) != 1)} from {len(people)} "
        f"participant{'s' * (len(people) != 1)} ({len(sessions)} "
        f"session{'s' * (len(sessions) != 1)})"
    )


def _log_signature(folder: Path) -> tuple:
    """Name, size and modification time of every CSV in ``folder``: changes with any answer."""
    signature = []
    try:
        for path in sorted(folder.glob("*.csv")):
            stat = path.stat()
            signature.append((path.name, stat.st_size, stat.st_mtime_ns))
    except OSError:  # a folder removed, a file renamed meanwhile: read again next time
        return ()
    return tuple(signature)


def _read_folder(folder: Path) -> tuple[list[dict], list[str]]:
    """Every row of the logs in ``folder``, and one line per file that could not be read
    (a file half written right now is read again at the next refresh)."""
    rows, problems = [], []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            rows += read_logs(path)
        except (OSError, ValueError) as err:
            problems.append(str(err))
    return rows, problems


def rates_html(rates: Mapping[str, FoolingRate], colours: Mapping[str, str]) -> str:
    """An HTML table of :func:`colorlib.turing.fooling_rates`, a family swatch per row."""
    if not rates:
        return "<p>No answers yet.</p>"
    head = "".join(
        f"<th style='padding:2px 10px;text-align:{'left' if i == 0 else 'right'}'>{h}</th>"
        for i, h in enumerate(
            ("method", "fooled", "answers", "fooling rate", "95% interval", "participants")
        )
    )
    body = []
    for method, r in rates.items():
        swatch = (
            f"<span style='display:inline-block;width:12px;height:12px;margin-right:6px;"
            f"background:{colours.get(method, '#c9bfa8')}'></span>"
        )
        cells = (
            f"{swatch}{html.escape(method)}",
            r.fooled,
            r.rounds,
            f"{100 * r.rate:.1f}%",
            f"{100 * r.low:.1f}-{100 * r.high:.1f}%",
            r.participants,
        )
        body.append(
            f"<tr data-method='{html.escape(method, quote=True)}'>"
            + "".join(
                f"<td style='padding:2px 10px;text-align:{'left' if i == 0 else 'right'}'>"
                f"{cell}</td>"
                for i, cell in enumerate(cells)
            )
            + "</tr>"
        )
    return f"<table class='fooling-rates'><tr>{head}</tr>{''.join(body)}</table>"


def rates_chart_png(
    rates: Mapping[str, FoolingRate],
    colours: Mapping[str, str],
    families: Mapping[str, str],
) -> bytes:
    """Horizontal bars of the fooling rates (%), the 95% Wilson interval as whiskers,
    each bar in its method's family colour, chance (50%) dashed; PNG bytes."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    methods = list(rates)
    fig = Figure(figsize=(8.5, 0.55 * len(methods) + 2.0), dpi=100, layout="constrained")
    ax = fig.subplots()
    ys = np.arange(len(methods))[::-1]
    values = [100 * rates[m].rate for m in methods]
    # whisker lengths; max(0, ...): at 0 or 100% the interval's end is the rate to rounding
    low = [max(0.0, v - 100 * rates[m].low) for v, m in zip(values, methods, strict=True)]
    high = [max(0.0, 100 * rates[m].high - v) for v, m in zip(values, methods, strict=True)]
    ax.barh(ys, values, xerr=[low, high], capsize=3, edgecolor="0.3",
            color=[colours.get(m, "#c9bfa8") for m in methods])  # fmt: skip
    ax.axvline(50, color="0.2", linestyle="--", linewidth=1)
    ax.text(50.5, ys[0] + 0.45, "chance: a perfect fake", fontsize=8, va="bottom")
    ax.set_yticks(ys, [f"{m}  (n={rates[m].rounds})" for m in methods], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(methods) - 0.1)
    ax.set_xlabel("% of pairs where the colorization was picked as the real photo (95% interval)",
                  fontsize=9)  # fmt: skip
    legend = {families.get(m, "other"): colours.get(m, "#c9bfa8") for m in methods}
    handles = [Patch(facecolor=c, edgecolor="0.3", label=f) for f, c in legend.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)),
               fontsize=8, title="model family", title_fontsize=8, frameon=False)  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


class ResultsPage(ipywidgets.VBox):
    """The teacher's page: pooled fooling rates of every log in the folder, refreshed.

    Attributes:
        header: ``ipywidgets.HTML``, e.g. "15 answers from 3 participants (3 sessions)".
        table: ``ipywidgets.HTML``, :func:`rates_html`.
        chart: ``ipywidgets.Image``, :func:`rates_chart_png` (empty with no answers).
        checked: ``ipywidgets.HTML``, when the logs were last read, and any file skipped.
        refresh(): read the logs now (redraws only what changed).
    """

    def __init__(self, config: ServerConfig) -> None:
        self._config, self._signature = config, None
        self.header = ipywidgets.HTML()
        self.table = ipywidgets.HTML()
        self.chart = ipywidgets.Image(format="png")
        self.checked = ipywidgets.HTML()
        title = ipywidgets.HTML(
            "<h2>Colorization Turing Test: the class's results</h2>"
            f"<p>Photos: {html.escape(config.photos)}. A method's fooling rate is the share "
            "of its pairs in which people picked the colorization as the real photo; 50% "
            "means nobody could tell. Zhang et al. (2016) fooled 32% of Mechanical Turk "
            "participants.</p>"
        )
        super().__init__([title, self.header, self.table, self.chart, self.checked])
        self.refresh()

    def refresh(self) -> None:
        signature = _log_signature(self._config.logs)
        problems: list[str] = []
        if signature != self._signature:
            rows, problems = _read_folder(self._config.logs)
            if not problems:  # a file half written: keep what is shown, read it again next time
                self._signature = signature
            rates = fooling_rates(rows)
            ordered = {m: rates[m] for m in self._config.methods if m in rates}
            ordered.update({m: r for m, r in rates.items() if m not in ordered})
            self.table.value = rates_html(ordered, self._config.colours)
            self.chart.value = (
                rates_chart_png(ordered, self._config.colours, self._config.families)
                if ordered
                else b""
            )  # the header last: when it shows a count, the table and bars show it too
            self.header.value = f"<h3 class='turing-summary'>{summary_line(rows)}</h3>"
        note = "".join(f"<br>skipped: {html.escape(p)}" for p in problems)
        self.checked.value = (
            f"<small>Logs in {html.escape(str(self._config.logs))}, read at "
            f"{time.strftime('%H:%M:%S')} (every {self._config.refresh_seconds:g} s){note}"
            "</small>"
        )


def results_page(config: ServerConfig | None = None) -> ResultsPage:
    """The teacher's page, refreshed every ``config.refresh_seconds`` by a daemon thread
    (it ends with the kernel, when the page is closed).

    Args:
        config: the server's settings (default :func:`load_config`).
    """
    config = config or load_config()
    page = ResultsPage(config)

    def loop() -> None:
        while True:
            time.sleep(config.refresh_seconds)
            try:
                page.refresh()
            except Exception as err:  # keep refreshing: a bad moment must not freeze the page
                page.checked.value = f"<small>refresh failed: {html.escape(str(err))}</small>"

    threading.Thread(target=loop, name="turing-results-refresh", daemon=True).start()
    return page
