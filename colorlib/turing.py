"""A Colorization Turing Test people can take in Jupyter, its log, and its statistics.

Zhang et al. (2016) asked people to pick the real photo out of a pair: the real one
and a colorization of it. A method's **fooling rate** is the share of pairs where
people picked its colorization; a perfect method reaches 50% (chance), an obvious
fake 0%.

- :class:`TuringTest` (an ipywidgets game): shows both versions of one photo side by
  side in random order; the participant clicks the one they think is real. Methods,
  photos and the real photo's side are drawn at random and balanced
  (:func:`schedule`). Every choice is appended, with its response time, to a CSV
  file of its own in the runs folder (``runs/turing/<participant>-<session>.csv``):
  earlier sessions are never overwritten.
- :func:`read_logs` and :func:`fooling_rates`: fooling rate per method with a 95%
  Wilson interval, from one CSV or many (a class teacher can pool the files of
  every student).

The interval is Wilson's score interval, written out here (five lines) because it is
the teaching point; scipy's ``binomtest(...).proportion_ci(method="wilson")`` gives
the same numbers (tests check that).

Importing this module loads no torch (only :class:`TuringTest` needs it, when one is
built): the browser game of ``python -m colorlib turing-server``
(:mod:`colorlib.turing_pages`) runs one light kernel per participant on top of it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets

if TYPE_CHECKING:  # torch and colorlib.widgets are imported where a game draws photos
    import torch

__all__ = [
    "CSV_FIELDS",
    "FoolingRate",
    "Trial",
    "TuringTest",
    "fooling_rates",
    "read_logs",
    "rates_table",
    "schedule",
    "wilson_interval",
]

CSV_FIELDS = (
    "participant",
    "session",
    "round",
    "method",
    "image",
    "real_side",
    "chosen_side",
    "fooled",
    "seconds",
    "time",
)
"""Columns of a game's CSV log, one row per answered round."""

SIDES = ("left", "right")


@dataclass(frozen=True)
class Trial:
    """One round: photo ``image`` colorized by ``method``, the real photo on ``real_side``."""

    method: str
    image: int
    real_side: str


def schedule(
    methods: Sequence[str], n_images: int, rounds: int, seed: int | None = None
) -> list[Trial]:
    """A balanced random order of rounds.

    Each method gets ``rounds // len(methods)`` rounds (the remainder goes to methods
    drawn at random, at most one more each); within a method the photos are drawn
    without replacement (all of them before any repeats); the real photo is on the
    left in half of the rounds (rounded) and on the right in the others. The rounds
    are then shuffled.

    Raises:
        ValueError: no methods, duplicate names, ``n_images < 1`` or ``rounds < 1``.
    """
    if not methods or len(set(methods)) != len(methods):
        raise ValueError(f"schedule: need distinct method names, got {list(methods)}")
    if n_images < 1 or rounds < 1:
        raise ValueError(f"schedule: need n_images >= 1 and rounds >= 1, got {n_images}, {rounds}")
    rng = random.Random(seed)
    counts = dict.fromkeys(methods, rounds // len(methods))
    for method in rng.sample(list(methods), rounds % len(methods)):
        counts[method] += 1
    pairs = []
    for method, count in counts.items():
        photos: list[int] = []
        while len(photos) < count:
            photos += rng.sample(range(n_images), n_images)
        pairs += [(method, image) for image in photos[:count]]
    sides = [SIDES[i % 2] for i in range(rounds)]
    rng.shuffle(sides)
    rng.shuffle(pairs)
    return [Trial(m, i, side) for (m, i), side in zip(pairs, sides, strict=True)]


def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", text.strip()).strip("-")
    if not name:
        raise ValueError(f"participant id {text!r} has no letters or digits")
    return name


class TuringTest(ipywidgets.VBox):
    """The game: which of the two is the real photo?

    Args:
        L: ``(N, 1, S, S)`` Lab L in [0, 100] of the test photos.
        true_ab: ``(N, 2, S, S)`` their true ab (Lab units).
        predictions: method name -> ``(N, 2, S, S)`` predicted ab, Lab units.
        participant: an id for the participant (letters, digits, ``-`` and ``_``
            are kept in the file name).
        rounds: pairs to show (default 20).
        out_dir: folder of the CSV logs (default ``runs/turing``).
        seed: seeds :func:`schedule` (default: a fresh random order).
        scale: upscaling per image (default: about 256 px on screen,
            :func:`colorlib.widgets.default_scale`).
        clock: seconds since some origin (default ``time.perf_counter``; tests
            pass a fake one).

    Attributes:
    - ``left``, ``right``: the two ``ipywidgets.Button`` ("left is real", ...).
    - ``image``: ``ipywidgets.Image``, the pair as one PNG.
    - ``status``: ``ipywidgets.HTML``: round k of n, or the end with the score.
    - ``trials``: the :class:`Trial` list; ``answered``: rounds answered so far.
    - ``log_path``: this session's CSV (created on the first answer, never reused).
    - ``choose(side)``: answer the current round, as a click on that button does.
    """

    def __init__(
        self,
        L: torch.Tensor,
        true_ab: torch.Tensor,
        predictions: Mapping[str, torch.Tensor],
        participant: str,
        rounds: int = 20,
        out_dir: str | os.PathLike = "runs/turing",
        seed: int | None = None,
        *,
        scale: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        from colorlib.widgets import check_images, check_scale

        L, true_ab = check_images(L, true_ab)
        if not predictions:
            raise ValueError("TuringTest: no methods to test")
        for name, ab in predictions.items():
            if tuple(ab.shape) != tuple(true_ab.shape):
                raise ValueError(
                    f"TuringTest: {name!r} predicts {tuple(ab.shape)}, "
                    f"expected {tuple(true_ab.shape)}"
                )
        self._L, self._true, self._pred = L, true_ab, dict(predictions)
        self._scale = check_scale(scale, L.shape[-1])
        self._setup(participant, list(predictions), L.shape[0], rounds, out_dir, seed, clock)

    def _setup(
        self,
        participant: str,
        methods: list[str],
        n_images: int,
        rounds: int,
        out_dir: str | os.PathLike,
        seed: int | None,
        clock: Callable[[], float],
    ) -> None:
        """The session, its schedule and log file, the widgets, and round 1 shown:
        everything but the photos (which :meth:`_pair_png` draws)."""
        self.participant = _safe_name(participant)
        self.session = self._new_session()
        self.log_path = Path(out_dir) / f"{self.participant}-{self.session}.csv"
        self.trials = schedule(methods, n_images, rounds, seed)
        self.answered, self.fooled = 0, 0
        self._clock = clock
        self.image = ipywidgets.Image(format="png")
        self.status = ipywidgets.HTML()
        self.left = ipywidgets.Button(description="left is real")
        self.right = ipywidgets.Button(description="right is real")
        self.left.on_click(lambda _: self.choose("left"))
        self.right.on_click(lambda _: self.choose("right"))
        super().__init__([self.status, self.image, ipywidgets.HBox([self.left, self.right])])
        self._show()

    @staticmethod
    def _new_session() -> str:
        """This session's id in the log: the date and time to the microsecond."""
        return _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")

    @property
    def finished(self) -> bool:
        return self.answered == len(self.trials)

    def _show(self) -> None:
        if self.finished:
            self.left.disabled = self.right.disabled = True
            self.status.value = (
                f"<b>Done.</b> You picked the colorization as real in {self.fooled} of "
                f"{len(self.trials)} pairs. Answers saved to <code>{self.log_path}</code>."
            )
            return
        self.image.value = self._pair_png(self.trials[self.answered])
        self.status.value = (
            f"Round {self.answered + 1} of {len(self.trials)}: which photo is the real one?"
        )
        self._shown_at = self._clock()

    def _pair_png(self, trial: Trial) -> bytes:
        """PNG of the round's photo twice, real and colorized, the real one on
        ``trial.real_side``."""
        from colorlib.widgets import lab_rgb, row_png

        L = self._L[trial.image : trial.image + 1]
        real = lab_rgb(L, self._true[trial.image : trial.image + 1])[0]
        fake = lab_rgb(L, self._pred[trial.method][trial.image : trial.image + 1])[0]
        pair = [real, fake] if trial.real_side == "left" else [fake, real]
        return row_png(pair, self._scale)

    def choose(self, side: str) -> None:
        """Answer the current round with ``side`` ("left" or "right") and log it."""
        if side not in SIDES:
            raise ValueError(f"choose: side must be 'left' or 'right', got {side!r}")
        if self.finished:
            raise ValueError("choose: the game is over")
        trial = self.trials[self.answered]
        fooled = side != trial.real_side
        row = {
            "participant": self.participant,
            "session": self.session,
            "round": self.answered + 1,
            "method": trial.method,
            "image": trial.image,
            "real_side": trial.real_side,
            "chosen_side": side,
            "fooled": int(fooled),
            "seconds": f"{self._clock() - self._shown_at:.3f}",
            "time": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        self._append(row)
        self.answered += 1
        self.fooled += int(fooled)
        self._show()

    def _append(self, row: dict) -> None:
        """Append one row; the first creates the file and fails if it exists."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        first = self.answered == 0
        with open(self.log_path, "x" if first else "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            if first:
                writer.writeheader()
            writer.writerow(row)


def read_logs(sources: str | os.PathLike | Iterable[str | os.PathLike]) -> list[dict]:
    """Rows of one or more game logs: CSV files, or folders (every ``*.csv`` inside).

    Each file is read once, however many times it is named (directly, through its
    folder, or by another path to it). A UTF-8 byte-order mark (as Excel writes) is
    accepted. Every row is checked (see :func:`_check_row`); the values stay strings,
    as in the file.

    Raises:
        ValueError: a file that is not a game log (missing columns), or a row with a
            bad value, naming the file and line (one line of text).
        FileNotFoundError: a path that does not exist.
    """
    rows = []
    for path in _log_files(sources):
        rows += _read_log(path)
    return rows


def _log_files(sources: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The CSV files named by ``sources`` (files or folders), each once, in order."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    files: dict[Path, Path] = {}  # resolved path -> the path as first named
    for source in map(Path, sources):
        if source.is_dir():
            found = sorted(source.glob("*.csv"))
        elif source.is_file():
            found = [source]
        else:
            raise FileNotFoundError(f"no Turing-test log at {source}")
        for path in found:
            files.setdefault(path.resolve(), path)
    return list(files.values())


MAX_LOG_BYTES = 32 << 20
"""The largest file :func:`read_logs` reads: a game writes about 100 bytes an answer,
so this is some 300,000 answers."""

MAX_LINE_CHARS = 4096
"""The longest line of a game log :func:`read_logs` accepts (a row is ~100 characters)."""


def _bounded_lines(f, path: Path) -> Iterator[str]:
    """The lines of the open text file ``f``, each read with at most
    :data:`MAX_LINE_CHARS` + 1 characters held: a longer line is a one-line ValueError."""
    for number in itertools.count(1):
        line = f.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(
                f"{path}, line {number}: longer than {MAX_LINE_CHARS:,} characters; "
                "not a Turing-test log"
            )
        yield line


def _read_log(path: Path) -> list[dict]:
    """The checked rows of one log file (``utf-8-sig``: a byte-order mark is skipped),
    read in bounded memory: a file over :data:`MAX_LOG_BYTES` or a line over
    :data:`MAX_LINE_CHARS` is refused."""
    size = path.stat().st_size
    if size > MAX_LOG_BYTES:
        raise ValueError(
            f"{path} is {size / 2**20:,.0f} MiB, too large for a Turing-test log (at most "
            f"{MAX_LOG_BYTES >> 20} MiB, about 100 bytes an answer)"
        )
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(_bounded_lines(f, path))
        rows = []
        try:
            missing = set(CSV_FIELDS) - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path} is not a Turing-test log (missing {sorted(missing)})")
            for row in reader:
                _check_row(row, path, reader.line_num)
                rows.append(row)
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not UTF-8 text ({err.reason}); save it as UTF-8") from None
        except csv.Error as err:
            raise ValueError(f"{path}, line {reader.line_num}: not valid CSV ({err})") from None
    return rows


def _check_row(row: Mapping[str, str | None], path: Path, line: int) -> None:
    """Raise a one-line ValueError naming ``path`` and ``line`` if ``row`` holds a value
    the game never writes: a missing or extra field, an empty participant or method,
    ``fooled`` other than 0 or 1, ``round`` < 1, ``image`` < 0, a side other than
    left/right, or ``seconds`` not a finite number >= 0."""

    def bad(message: str) -> ValueError:
        return ValueError(f"{path}, line {line}: {message}")

    if None in row:
        raise bad(f"more fields than the {len(CSV_FIELDS)}-column header")
    for field in CSV_FIELDS:
        if row[field] is None:
            raise bad(f"no value for {field!r} (the row is short)")
    for field in ("participant", "method"):
        if not row[field].strip():
            raise bad(f"empty {field}")
    if not _is_zero_or_one(row["fooled"]):
        raise bad(f"fooled must be 0 or 1, got {row['fooled']!r}")
    for field, low in (("round", 1), ("image", 0)):
        if not _is_int_at_least(row[field], low):
            raise bad(f"{field} must be a whole number >= {low}, got {row[field]!r}")
    for field in ("real_side", "chosen_side"):
        if row[field].strip() not in SIDES:
            raise bad(f"{field} must be 'left' or 'right', got {row[field]!r}")
    try:
        seconds = float(row["seconds"])
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise bad(f"seconds must be a number >= 0, got {row['seconds']!r}")


def _is_zero_or_one(value: object) -> bool:
    """Whether ``value`` is 0 or 1: the number, or the text "0" or "1" (spaces ignored)."""
    if isinstance(value, str):
        return value.strip() in ("0", "1")
    return isinstance(value, (int, float)) and value in (0, 1)


def _is_int_at_least(text: str, low: int) -> bool:
    try:
        return int(text) >= low
    except ValueError:
        return False


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's score interval for a proportion (95% by default); (0, 1) for no trials.

    Raises:
        ValueError: ``successes`` outside 0..``trials``.
    """
    if not 0 <= successes <= trials:
        raise ValueError(
            f"wilson_interval: need 0 <= successes <= trials, got {successes}, {trials}"
        )
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class FoolingRate:
    """A method's fooling rate: ``fooled`` of ``rounds``, its 95% interval, participants."""

    fooled: int
    rounds: int
    low: float
    high: float
    participants: int

    @property
    def rate(self) -> float:
        return self.fooled / self.rounds if self.rounds else float("nan")


def fooling_rates(rows: Iterable[Mapping[str, str]]) -> dict[str, FoolingRate]:
    """Per method: how often its colorization was picked as the real photo.

    Pools every row given (all participants and sessions). The interval treats
    rounds as independent, which overstates the precision when few people answered
    many rounds each; the ``participants`` count is there to judge that.

    Raises:
        ValueError: a row whose ``fooled`` is not 0 or 1 (rows from :func:`read_logs`
            are checked already, with file and line).
    """
    tallies: dict[str, list] = {}
    for row in rows:
        if not _is_zero_or_one(row["fooled"]):
            raise ValueError(
                f"fooling_rates: fooled must be 0 or 1, got {row['fooled']!r} "
                f"(participant {row['participant']!r}, method {row['method']!r})"
            )
        fooled, rounds, people = tallies.setdefault(row["method"], [0, 0, set()])
        tallies[row["method"]] = [
            fooled + int(row["fooled"]),
            rounds + 1,
            people | {row["participant"]},
        ]
    return {
        method: FoolingRate(fooled, rounds, *wilson_interval(fooled, rounds), len(people))
        for method, (fooled, rounds, people) in sorted(tallies.items())
    }


def rates_table(rates: Mapping[str, FoolingRate]) -> str:
    """A text table of :func:`fooling_rates` (chance, i.e. a perfect fake, is 50%)."""
    if not rates:
        return "no answers yet"
    width = max(8, *(len(m) for m in rates)) + 2
    lines = [f"{'method':{width}}{'fooled':>8}{'rounds':>8}{'rate':>8}   95% interval  people"]
    for method, r in rates.items():
        lines.append(
            f"{method:{width}}{r.fooled:>8}{r.rounds:>8}{100 * r.rate:>7.1f}%"
            f"   {100 * r.low:5.1f}-{100 * r.high:5.1f}%{r.participants:>7}"
        )
    return "\n".join(lines)
