"""Batch re-run of the numbered notebooks with papermill, and a summary report.

``python -m colorlib reproduce [--profile quick|full] [--only 00 02] [-p NAME VALUE]``
executes ``notebooks/NN_*.ipynb`` in order with papermill (kernel cwd = the
notebooks folder, so relative paths behave as in JupyterLab), writes each executed
notebook to ``runs/<profile>/``, carries on past a failing notebook, and ends with
``runs/<profile>/summary.md`` and ``summary.html``: the data the run used, a status
table, then every output of the cells tagged ``summary`` (results tables,
comparisons with the poster, key figures), notebook by notebook.

Every notebook names its data: it prints a line ``DATA: <what it loaded>`` (the
description :func:`colorlib.data.load_or_sample` returns) for each dataset it uses.
The summary opens with those lines, and a notebook that ran but printed none counts
as failed (:data:`DATA_PREFIX`). The figures are also written as PNG files to
``runs/<profile>/figures/<notebook>-<k>.png`` (the README's results figure is one).

Parameters are checked before anything runs (:func:`check_parameters`): papermill
writes ``-p`` names into the notebook as code and only warns about unknown ones, so a
name must be a Python identifier defined in a notebook's ``parameters`` cell. A full
retrain (``--profile full -p retrain true``) replaces the shipped, git-tracked
``data/checkpoints/*.pt`` and ``data/results/*.json`` (the notebooks pass ``profile``
and ``retrain`` to :func:`colorlib.experiments.train_or_load`); it is refused unless
``overwrite_shipped`` (``--overwrite-shipped``) is given.

Each notebook is executed into a hidden ``.NN_name.partial.ipynb`` and moved over
``NN_name.ipynb`` once papermill is done with it (ok or failed), so Ctrl-C never
replaces a complete executed notebook with half of one. An interrupted batch stops
there: the notebook it was running is marked ``interrupted`` in the summary, which is
still written (:func:`write_summary`). Errors and data lines are cut to
:data:`MAX_SHOWN` characters in the report.

papermill does the executing (a well-kept library); this module only chooses what
to run, collects the results and writes the report.
"""

from __future__ import annotations

import base64
import html
import json
import keyword
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from colorlib.data.sources import SAMPLE_DESCRIPTION
from colorlib.profiles import PROFILES

__all__ = [
    "NOTEBOOKS",
    "NotebookRun",
    "check_parameters",
    "data_lines",
    "describe_data",
    "error_line",
    "find_notebooks",
    "notebook_parameters",
    "parse_value",
    "record_times",
    "run_all",
    "run_time",
    "write_summary",
]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
"""The project's numbered notebooks."""

SUMMARY_TAG = "summary"  # cells whose outputs go into the report
DATA_PREFIX = "DATA: "
"""How a notebook names its data: a printed line starting with this."""

RUN_TIMES = Path(__file__).resolve().parent.parent / "data" / "results" / "notebook_times.json"
"""The main job's measured wall time per notebook, as each notebook prints it at its
top (:func:`run_time`); written by ``python -m colorlib reproduce --record-times``
(:func:`record_times`), one entry per profile and data (bundled sample or real)."""

MAX_SHOWN = 300
"""The most characters of one error or data line the report shows (a huge ``-p``
value may be echoed in either)."""


@dataclass
class NotebookRun:
    """What happened to one notebook: its output path, status, wall time, report items."""

    name: str
    output: Path
    ok: bool = False
    seconds: float = 0.0
    error: str = ""
    summary: list[dict] = field(default_factory=list)  # nbformat outputs of summary cells
    data: list[str] = field(default_factory=list)  # its DATA lines, prefix removed
    interrupted: bool = False  # Ctrl-C (or SIGTERM) while it ran; the batch stopped there

    @property
    def status(self) -> str:
        """``"ok"``, ``"FAILED"`` or ``"interrupted"``, as the summary shows it."""
        return "interrupted" if self.interrupted else "ok" if self.ok else "FAILED"


def find_notebooks(folder: Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` in order, optionally only those whose
    number (``"02"``) or full stem is listed in ``only``.

    Raises:
        ValueError: ``only`` names a notebook that does not exist.
    """
    notebooks = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return notebooks
    chosen = [p for p in notebooks if p.stem[:2] in only or p.stem in only]
    known = {p.stem[:2] for p in notebooks} | {p.stem for p in notebooks}
    missing = [name for name in only if name not in known]
    if missing:
        names = ", ".join(p.stem for p in notebooks) or "none"
        raise ValueError(f"no notebook {', '.join(missing)} in {folder}; available: {names}")
    return chosen


def parse_value(text: str):
    """A ``-p NAME VALUE`` value as papermill's ``-p`` would type it: JSON numbers,
    true/false/null (any case), lists; anything else stays a string."""
    lowered = {"true": True, "false": False, "none": None, "null": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


SHIPPED_FILES = "data/checkpoints/*.pt and data/results/*.json"
"""The git-tracked files a full retrain (profile full, retrain true) writes over."""


def notebook_parameters(notebooks: list[Path]) -> set[str]:
    """The names in the ``parameters`` cells of ``notebooks`` (papermill reads them)."""
    import papermill

    names: set[str] = set()
    with warnings.catch_warnings():  # nbformat's notes on cell ids are no news to a user
        warnings.simplefilter("ignore")
        for path in notebooks:
            names |= set(papermill.inspect_notebook(str(path)))
    return names


def check_parameters(
    parameters: dict, notebooks: list[Path], profile: str, overwrite_shipped: bool = False
) -> None:
    """Refuse parameters papermill would paste into the notebooks unchecked.

    Raises:
        ValueError: a name that is not a Python identifier (papermill writes names as
            code), ``profile`` (use the ``profile`` argument, ``--profile``), a name no
            notebook's ``parameters`` cell defines (the message lists the valid ones),
            or a full retrain (``profile="full"``, ``retrain`` true), which replaces
            the shipped :data:`SHIPPED_FILES`, without ``overwrite_shipped``.
    """
    bad = [name for name in parameters if not name.isidentifier() or keyword.iskeyword(name)]
    if bad:
        raise ValueError(f"parameter names must be Python identifiers, got {bad[0]!r}")
    if "profile" in parameters:
        raise ValueError("set the profile with --profile, not -p profile")
    known = notebook_parameters(notebooks) - {"profile"}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ValueError(
            f"unknown parameter {', '.join(unknown)}; the notebooks' parameters are "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    if profile == "full" and parameters.get("retrain") and not overwrite_shipped:
        raise ValueError(
            f"a full retrain writes over the shipped, git-tracked {SHIPPED_FILES}; pass "
            "--overwrite-shipped if that is what you want, or use --profile quick "
            "(which trains under runs/ only)"
        )


def _output_folder(out_root: Path, profile: str) -> Path:
    """``out_root/<profile>``, created; a ValueError saying so if it cannot be."""
    out_dir = Path(out_root) / profile
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".colorlib-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ValueError(
            f"cannot write to the output folder {out_dir} ({err.strerror or err}); "
            "choose a writable --out"
        ) from None
    return out_dir


def _summary_outputs(notebook_path: Path) -> list[dict]:
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    outputs = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and SUMMARY_TAG in cell.metadata.get("tags", []):
            outputs += [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    return outputs


def data_lines(notebook_path: Path) -> list[str]:
    """The distinct ``DATA: ...`` lines an executed notebook printed, prefix removed."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    lines = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                text = "".join(output.get("text", ""))
                lines += [line[len(DATA_PREFIX) :] for line in text.splitlines()
                          if line.startswith(DATA_PREFIX)]  # fmt: skip
    return list(dict.fromkeys(lines))


def describe_data(runs: list[NotebookRun]) -> str:
    """One line for the top of the summary: real data, the bundled sample, or both."""
    lines = [line for run in runs for line in run.data]
    sample = [line for line in lines if line.startswith(SAMPLE_DESCRIPTION)]
    if not lines:
        return "Data: no notebook named its data"
    if len(sample) == len(lines):
        return "Data: **the bundled sample** only (no real dataset found; set COLORLIB_DATA)"
    if sample:
        return "Data: real datasets, and **the bundled sample** where noted below"
    return "Data: real datasets"


def run_all(
    profile: str = "quick",
    only: list[str] | None = None,
    parameters: dict | None = None,
    out_root: Path = Path("runs"),
    folder: Path = NOTEBOOKS,
    kernel: str | None = None,
    progress: bool = True,
    overwrite_shipped: bool = False,
) -> list[NotebookRun]:
    """Execute the notebooks with papermill; never stop at a failing one.

    Args:
        profile: ``"quick"`` (CI-sized) or ``"full"`` (the real experiment); passed to
            every notebook as the ``profile`` parameter.
        only: notebook numbers or stems to run (default: all).
        parameters: more parameters for every notebook (e.g. ``{"retrain": True}``).
        out_root: executed notebooks go to ``out_root/<profile>/``.
        folder: where the numbered notebooks are.
        kernel: Jupyter kernel name (default: the one each notebook names).
        progress: show a tqdm bar over notebooks (either way, a line is printed as
            each notebook ends).
        overwrite_shipped: allow ``profile="full"`` with ``retrain`` true, which
            replaces the shipped :data:`SHIPPED_FILES`.

    Returns:
        One :class:`NotebookRun` per notebook run, in order; after Ctrl-C the last one
        is ``interrupted`` and the notebooks after it are not run (nor listed).

    Raises:
        ValueError: before anything runs: a bad profile, notebook or parameter
            (:func:`check_parameters`), or an output folder that cannot be written.
    """
    import papermill

    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    notebooks = find_notebooks(folder, only)
    check_parameters(parameters or {}, notebooks, profile, overwrite_shipped)
    out_dir = _output_folder(Path(out_root), profile)
    runs = []
    bar = tqdm(notebooks, desc=f"notebooks ({profile})", unit="nb", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.stem)
        run = NotebookRun(name=path.stem, output=out_dir / path.name)
        partial = out_dir / f".{path.stem}.partial.ipynb"
        start = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(path),
                str(partial),
                parameters={"profile": profile, **(parameters or {})},
                cwd=str(folder),
                kernel_name=kernel,
                progress_bar=False,
            )
            run.ok = True
        except KeyboardInterrupt:
            run.interrupted = True
        except Exception as err:  # papermill raises many types; report and go on
            run.interrupted = _after_interrupt(err)  # e.g. a ZMQError as the kernel dies
            run.error = "" if run.interrupted else error_line(err)
        run.seconds = time.perf_counter() - start
        if run.interrupted:
            partial.unlink(missing_ok=True)  # half a notebook: the complete one stays
            run.error = "interrupted (Ctrl-C); the notebooks after it did not run"
            runs.append(run)
            tqdm.write(f"[reproduce] {run.name}: interrupted ({run.seconds:.0f} s)")
            break
        if partial.exists():
            os.replace(partial, run.output)
        if run.output.exists():
            run.summary = _summary_outputs(run.output)
            run.data = data_lines(run.output)
        if run.ok and not run.data:
            run.ok = False
            run.error = f"printed no '{DATA_PREFIX}...' line: every notebook names its data"
        runs.append(run)
        # one line as each notebook ends (a long batch run, e.g. in CI, shows where it is)
        status = "ok" if run.ok else f"FAILED: {_clip(run.error)}"
        tqdm.write(f"[reproduce] {run.name}: {status} ({run.seconds:.0f} s) -> {run.output}")
    return runs


def _data_kind(run: NotebookRun) -> str:
    """``"sample"`` when every data line of ``run`` is the bundled sample, else ``"real"``."""
    sample = run.data and all(line.startswith(SAMPLE_DESCRIPTION) for line in run.data)
    return "sample" if sample else "real"


def _machine() -> str:
    """The machine in words, e.g. ``"2-core CPU"`` or ``"16-core CPU, NVIDIA H100"``."""
    import torch

    cpu = f"{os.cpu_count()}-core CPU"
    return f"{cpu}, {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else cpu


def record_times(runs: list[NotebookRun], profile: str, path: Path = RUN_TIMES) -> list[str]:
    """Merge the wall times of the notebooks that ran ``ok`` into ``path`` (JSON), each
    under ``"<profile>, sample"`` or ``"<profile>, real"`` by the data it used; return
    the keys written. Failed or interrupted notebooks are left out, and the times
    recorded earlier for other notebooks are kept.

    The file maps each key to ``{notebook stem: {"seconds": s, "machine": ...,
    "date": "YYYY-MM-DD"}}`` (each notebook with the machine and day of its own
    measurement); it is written whole to a temporary file, then moved over the old
    one, so an interrupted write loses nothing.
    """
    path = Path(path)
    table = _read_times(path)
    keys = []
    for run in (run for run in runs if run.ok):
        key = f"{profile}, {_data_kind(run)}"
        table.setdefault(key, {})[run.name] = {
            "seconds": round(run.seconds, 1), "machine": _machine(),
            "date": time.strftime("%Y-%m-%d"),
        }  # fmt: skip
        keys.append(key)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    os.replace(partial, path)
    return sorted(set(keys))


def _read_times(path: Path) -> dict:
    """The recorded times (empty if there are none); a ValueError for a file that is
    not JSON of :func:`record_times`'s shape."""
    try:
        table = json.loads(path.read_text()) if path.is_file() else {}
        shaped = isinstance(table, dict) and all(
            isinstance(key, str) and key.count(", ") == 1 and isinstance(notebooks, dict)
            and all(isinstance(m, dict) and {"seconds", "machine", "date"} <= set(m)
                    for m in notebooks.values())
            for key, notebooks in table.items()
        )  # fmt: skip
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}); delete it to start again") from None
    if not shaped:
        raise ValueError(f"{path} is not a table of run times; delete it to start again")
    return table


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def run_time(notebook: str, path: Path = RUN_TIMES) -> str:
    """One line for the top of a notebook: how long the main job took to execute it.

    Args:
        notebook: its number (``"02"``) or stem (``"02_imagenet_cnn_losses"``).
        path: the times recorded by :func:`record_times`.

    Returns:
        e.g. ``"Run time, measured by the main job (python -m colorlib reproduce) on a
        2-core CPU (2026-12-07): 24 s on the bundled sample (quick profile), 2.1 min on
        the real data (quick profile)."``, or a line saying it has not been measured.
    """
    table = _read_times(Path(path))
    parts, machines = [], {}
    for key in sorted(table, key=lambda key: (key.split(", ")[0], "sample" not in key)):
        profile, kind = key.split(", ")
        for stem, measured in table[key].items():
            if stem[:2] == notebook[:2]:
                where = "the bundled sample" if kind == "sample" else "the real data"
                parts.append(f"{_minutes(measured['seconds'])} on {where} ({profile} profile)")
                machines.setdefault(measured["machine"], set()).add(measured["date"])
    if not parts:
        return (f"Run time: not measured yet (python -m colorlib reproduce --record-times "
                f"--only {notebook[:2]} measures it).")  # fmt: skip
    on = " and ".join(f"a {machine} ({', '.join(sorted(dates))})"
                      for machine, dates in machines.items())  # fmt: skip
    return (
        f"Run time, measured by the main job (python -m colorlib reproduce) on {on}: "
        f"{', '.join(parts)}."
    )


def error_line(err: BaseException) -> str:
    """A notebook's error in one line: ``"TypeError: <first line of its message>"``.

    papermill's own message is the whole traceback, whose last line may lose the
    type; a :class:`papermill.PapermillExecutionError` carries the notebook's
    exception name and value, used here.
    """
    name = getattr(err, "ename", None)
    value = getattr(err, "evalue", "") if name else str(err)
    name = name or type(err).__name__
    first = next((line.strip() for line in str(value).splitlines() if line.strip()), "")
    return _clip(f"{name}: {first}" if first else name)


def _after_interrupt(err: BaseException) -> bool:
    """Whether ``err`` was raised while a KeyboardInterrupt was being handled."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def _clip(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` on one line, cut to ``limit`` characters (``...`` and the count cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit:,} more)"


def _output_markdown(output: dict) -> str:
    data = output.get("data", {})
    if output.get("output_type") == "stream":
        return "```\n" + "".join(output.get("text", "")).rstrip() + "\n```"
    if "image/png" in data:
        return f"![figure](data:image/png;base64,{data['image/png'].strip()})"
    if "text/markdown" in data:
        return "".join(data["text/markdown"])
    if "text/plain" in data:
        return "```\n" + "".join(data["text/plain"]).rstrip() + "\n```"
    return ""


def _output_html(output: dict) -> str:
    data = output.get("data", {})
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    if "image/png" in data:
        png = data["image/png"].strip()
        base64.b64decode(png, validate=True)  # a corrupt figure fails here, not in a browser
        return f'<img alt="figure" src="data:image/png;base64,{png}">'
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def write_summary(runs: list[NotebookRun], profile: str, out_dir: Path) -> tuple[Path, Path]:
    """Write ``summary.md`` and ``summary.html`` into ``out_dir``; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [
        f"| {r.name} | {r.status} | {r.seconds:.0f} | {_clip(r.error).replace('|', '/')} |"
        for r in runs
    ]
    data_items = [f"- {run.name}: {_clip(line)}" for run in runs for line in run.data]
    stopped = [f"**Interrupted** during {r.name}: the notebooks after it did not run"
               for r in runs if r.interrupted]  # fmt: skip
    md = [
        f"# colorlib reproduction, profile `{profile}`",
        "",
        *(line for note in stopped for line in (note, "")),
        describe_data(runs),
        "",
        *data_items,
        "",
        "| notebook | status | seconds | error |",
        "|---|---|---|---|",
        *rows,
    ]
    page = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>colorlib reproduction ({html.escape(profile)})</title>",
        f"<h1>colorlib reproduction, profile <code>{html.escape(profile)}</code></h1>",
        *(f"<p>{html.escape(note).replace('**', '')}</p>" for note in stopped),
        f"<p>{html.escape(describe_data(runs)).replace('**', '')}</p><ul>",
        *(f"<li>{html.escape(item[2:])}" for item in data_items),
        "</ul>",
        "<table border=1 cellpadding=4><tr><th>notebook<th>status<th>seconds<th>error",
        *(
            f"<tr><td>{html.escape(r.name)}<td>{r.status}"
            f"<td>{r.seconds:.0f}<td>{html.escape(_clip(r.error))}"
            for r in runs
        ),
        "</table>",
    ]
    figures = out_dir / "figures"
    for run in runs:
        if run.summary:
            md += ["", f"## {run.name}", ""]
            for k, output in enumerate(run.summary, 1):
                png = output.get("data", {}).get("image/png")
                if png:  # figures also as files (figures/<notebook>-<k>.png), for reuse
                    figures.mkdir(exist_ok=True)
                    path = figures / f"{run.name}-{k}.png"
                    path.write_bytes(base64.b64decode(png.strip(), validate=True))
                    md.append(f"![figure]({path.relative_to(out_dir).as_posix()})")
                else:
                    md.append(_output_markdown(output))
            page += [f"<h2>{html.escape(run.name)}</h2>"] + [_output_html(o) for o in run.summary]
    md_path, html_path = out_dir / "summary.md", out_dir / "summary.html"
    md_path.write_text("\n".join(md) + "\n")
    html_path.write_text("\n".join(page) + "\n")
    return md_path, html_path
