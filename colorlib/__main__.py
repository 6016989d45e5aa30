"""Command line: ``python -m colorlib COMMAND ...`` (or ``colorlib COMMAND ...``).

Commands:
  reproduce   re-run the numbered notebooks with papermill and write a summary
  selfcheck   run the library end to end on real photos and report what it measured
  train       train a colorizer (regression, bins, pix2pix or CycleGAN) with fit()
  colorize    colorize image files with a trained colorizer
  turing-server  serve the Colorization Turing Test to a class in their browsers (Voila)
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import warnings
from pathlib import Path

from colorlib.profiles import PRECISIONS, PROFILES


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


MAX_SEED = 2**32 - 1
"""The largest ``--seed`` (numpy's global generator takes 32-bit seeds)."""


def _seed(text: str) -> int:
    """``--seed``: an integer from 0 to :data:`MAX_SEED`."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to {MAX_SEED:,}, got {text[:40]}"
        )
    return value


def _shown(path: Path | str) -> str:
    """A file name for one line of output: as it is, or quoted with escapes when it
    holds a newline or another unprintable character."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _selfcheck(args: argparse.Namespace) -> int:
    from colorlib import selfcheck

    source, train_rgb, test_rgb = selfcheck.load_photos(size=args.size, limit=args.images)
    print(f"[selfcheck] {len(train_rgb)} training and {len(test_rgb)} test photos from {source}")
    checks = selfcheck.run(
        train_rgb, test_rgb, steps=args.steps, seed=args.seed, progress=not args.no_progress
    )
    print(selfcheck.format_report(source, checks))
    return 0 if all(c.passed for c in checks) else 1


def _reproduce(args: argparse.Namespace) -> int:
    from colorlib import reproduce

    parameters = {name: reproduce.parse_value(value) for name, value in args.parameter}
    runs = reproduce.run_all(
        profile=args.profile, only=args.only, parameters=parameters, out_root=Path(args.out),
        kernel=args.kernel, progress=not args.no_progress,
        overwrite_shipped=args.overwrite_shipped,
    )  # fmt: skip
    if not runs:
        raise ValueError(f"no numbered notebooks (NN_*.ipynb) in {reproduce.NOTEBOOKS}")
    md_path, html_path = reproduce.write_summary(runs, args.profile, Path(args.out) / args.profile)
    print(f"[reproduce] summary: {md_path} and {html_path}")
    if args.record_times:
        keys = reproduce.record_times(runs, args.profile)
        print(f"[reproduce] run times ({'; '.join(keys)}) recorded in {reproduce.RUN_TIMES}")
    stopped = [run.name for run in runs if run.interrupted]
    if stopped:
        raise Interrupted(
            f"interrupted during {stopped[0]}; the summary {md_path} says so, and the executed "
            "notebooks of earlier runs are kept"
        )
    failed = [run.name for run in runs if not run.ok]
    if failed:
        print(f"[reproduce] failed notebooks: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is (as Ctrl-C is), so that a write in progress
    removes its temporary file and the command ends with one line."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a command; the message says what was kept and how to go on."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _stop_word(exc: BaseException) -> str:
    """``"terminated (SIGTERM)"`` or ``"interrupted"``."""
    return "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"


def _interrupted(out: Path, exc: KeyboardInterrupt) -> Interrupted:
    """What a Ctrl-C (or SIGTERM) during training into ``out`` leaves behind, in one line."""
    from colorlib.resume import LAST_CHECKPOINT

    last = out / LAST_CHECKPOINT
    if last.is_file():
        kept = f"the last checkpoint {last} is kept: run the same command again to resume from it"
    else:
        kept = f"no checkpoint was written to {out} yet: run the same command again to start over"
    status = EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    return Interrupted(f"{_stop_word(exc)}; {kept}", status)


def _print_history(history: list[dict], out: Path) -> None:
    last = ", ".join(f"{k} {v:.4g}" for k, v in history[-1].items() if isinstance(v, float))
    epochs = f"{len(history)} epoch" + ("" if len(history) == 1 else "s")
    print(f"[train] {epochs}; last: {last}")
    print(f"[train] checkpoint and history in {out}")


def _train_experiment(args: argparse.Namespace) -> int:
    from colorlib import experiments, records, resume, train

    experiment = experiments.get(args.experiment)
    train.resolve_device(args.device)  # a bad or missing device: refused before any data loads
    _check_export_target(args)
    run_dir = experiments.run_folder(experiment, args.profile, args.seed)
    try:
        with resume.training_lock(run_dir), _bad_photos_warned_once():
            _, history, _ = experiments.run(
                experiment, args.profile, device=args.device, seed=args.seed,
                progress=not args.no_progress, precision=args.precision,
                time_limit=_seconds(args), export=args.export,
            )  # fmt: skip
    except KeyboardInterrupt as exc:
        raise _interrupted(run_dir, exc) from None
    _print_history(history, run_dir)
    if args.export:  # weights only: no record written, nothing shipped
        print(f"[train] weights exported to {args.export}")
    elif args.profile == "full":
        if experiment.ship and args.seed == 0:
            print(f"[train] shipped weights: {experiments.weights_path(experiment)}")
        print(f"[train] results: {records.results_path(experiment.name, args.seed)}")
    return 0


def _check_export_target(args: argparse.Namespace) -> None:
    """Refuse, before any training, an ``--export`` file that exists without ``--force``."""
    if args.export and Path(args.export).exists() and not args.force:
        raise ValueError(f"{args.export} exists; pass --force to overwrite it")


def _seconds(args: argparse.Namespace) -> float | None:
    """``--max-minutes`` in seconds (None: no limit)."""
    return None if args.max_minutes is None else 60.0 * args.max_minutes


def _default_out(name: str, seed: int) -> Path:
    """``runs/train/<name>``, ``<name>-seed<k>`` for seed k > 0: a run with another seed
    never resumes this one's checkpoint (as :func:`colorlib.experiments.run` names runs)."""
    from colorlib.resume import run_name

    return Path("runs/train") / run_name(name, seed)


@contextlib.contextmanager
def _bad_photos_warned_once():
    """Within the block, the warning about unreadable photos is shown once per text:
    a photo folder without splits is loaded twice (train and val), with one message."""
    from colorlib.data import BadImageWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("once", category=BadImageWarning)
        yield


def _unsplit_note(dataset: str) -> str | None:
    """The note for a photo folder without ``train/``, ``test/`` or ``val/``: training and
    validation both read all of its photos, so the val metrics are not held out."""
    from colorlib.data.roots import NAMES

    folder = Path(dataset).expanduser()
    if dataset in NAMES or not folder.is_dir():
        return None
    if any((folder / split).is_dir() for split in ("train", "test", "val")):
        return None
    return (
        f"[train] note: {_shown(dataset)} has no train/ and test/ subfolders, so the val "
        "metrics are measured on the training photos (centre crops), not on held-out ones"
    )


def _train(args: argparse.Namespace) -> int:
    """Train an ad-hoc experiment described by the flags, through experiments.run."""
    if args.experiment:
        return _train_experiment(args)
    import dataclasses

    from colorlib import experiments, methods, resume, train

    _check_export_target(args)
    train.resolve_device(args.device)  # a bad or missing device: refused before any data loads
    method = methods.get(args.method)
    settings = {f.name: getattr(args, f.name) for f in dataclasses.fields(method.settings)}
    what = method.name + (f"-{settings['loss']}" if "loss" in settings else "")
    name = f"{Path(args.dataset).name}-{what}"
    experiment = experiments.Experiment(
        name, notebook="", task=method.kind, dataset=args.dataset,
        description=args.description or f"{what} on {args.dataset}",
        batch_size=args.batch_size, epochs=dict.fromkeys(experiments.PROFILES, args.epochs),
        limit=dict.fromkeys(experiments.PROFILES, args.limit), size=args.size,
        lr_schedule=args.lr_schedule, ship=False, **settings,
    )  # fmt: skip
    out = Path(args.out) if args.out else _default_out(name, args.seed)
    note = _unsplit_note(args.dataset)
    if note:
        print(note)
    try:
        with resume.training_lock(out), _bad_photos_warned_once():
            _, history, _ = experiments.run(
                experiment, checkpoint_dir=out, export=args.export, device=args.device,
                seed=args.seed, progress=not args.no_progress, precision=args.precision,
                time_limit=_seconds(args),
            )  # fmt: skip
    except KeyboardInterrupt as exc:
        raise _interrupted(out, exc) from None
    _print_history(history, out)
    if args.export:
        print(f"[train] weights exported to {args.export}")
    return 0


def _colorize(args: argparse.Namespace) -> int:
    from colorlib import pretrained
    from colorlib.photo_files import colorize_file, plan_outputs, remove_stale_output_temps

    model = pretrained.load(args.model, device=args.device)
    out_dir = Path(args.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_output_temps(out_dir)  # what a killed colorize left half-written
    sources = [Path(name) for name in args.inputs]
    tile_rows = "auto" if args.tile_rows is None else (args.tile_rows or None)
    failures = 0
    plan = plan_outputs(sources, out_dir, args.force)
    for source, (target, reason) in zip(sources, plan, strict=True):
        try:
            if reason is not None:
                raise ValueError(reason)
            frames = colorize_file(model, source, target, tile_rows=tile_rows)
            first = f" (the first of its {frames} frames only)" if frames > 1 else ""
            print(f"{_shown(source)} -> {_shown(target)}{first}")
        except (ValueError, OSError) as err:  # BadImageError is a ValueError
            failures += 1
            _error("colorize", f"{_shown(source)}: {err}")
    return 1 if failures else 0


def _turing_server(args: argparse.Namespace) -> int:
    from colorlib import turing_server

    return turing_server.run(
        host=args.host, port=args.port, logs=args.logs, models=args.models,
        rounds=args.rounds, photos=args.photos, seed=args.seed,
    )  # fmt: skip


def _add_turing_server(commands) -> None:
    """The ``turing-server`` subcommand (its defaults come from the torch-free
    :mod:`colorlib.turing_server`)."""
    from colorlib import turing_server as ts

    game, results = ts.page_urls(ts.DEFAULT_HOST, ts.DEFAULT_PORT)
    serve = commands.add_parser(
        "turing-server",
        help="serve the Colorization Turing Test to a class in their browsers (Voila)",
        description="Start a Voila web server with two pages. The game "
        f"({game} by default): a participant types a name or number, then plays --rounds "
        "rounds: the real photo and one colorization side by side, a click on the one "
        "they believe is real; every answer and its response time are appended at once "
        "to a CSV of its own per session in --logs (a reload starts a new session and "
        "file). The results "
        f"({results}): the pooled fooling rate of each model with its 95% Wilson "
        "interval, the participants and answers, as a table and bars coloured by model "
        "family, refreshed every few seconds. Participants see no code and cannot run "
        "any. Photos: Tiny ImageNet val when present (COLORLIB_DATA), else the bundled "
        "sample, 64 px shown at 256 px. Ctrl-C stops the server; every answer is "
        "already on disk.",
    )
    serve.add_argument(
        "--host", default=ts.DEFAULT_HOST,
        help="address to listen on (default 127.0.0.1: this machine only); 0.0.0.0 lets "
        "the class network in (a warning is printed: there is no password)",
    )  # fmt: skip
    serve.add_argument(
        "--port", type=int, default=ts.DEFAULT_PORT, help=f"default {ts.DEFAULT_PORT}"
    )
    serve.add_argument(
        "--logs", default=str(ts.LOG_DIR),
        help="folder of the per-session CSV logs, created if missing (default: "
        "notebooks/runs/turing, the folder notebook 05 reads in section 7); the results "
        "page pools every CSV in it",
    )  # fmt: skip
    serve.add_argument(
        "--models", nargs="+", default=list(ts.DEFAULT_MODELS), metavar="NAME",
        help="colorizers to test: shipped names (colorlib.pretrained.available()) or .pt "
        f"files; default: notebook 05's four, {' '.join(ts.DEFAULT_MODELS)}",
    )  # fmt: skip
    serve.add_argument(
        "--rounds", type=_positive_int, default=ts.DEFAULT_ROUNDS,
        help=f"rounds per game, balanced over the models (default {ts.DEFAULT_ROUNDS})",
    )  # fmt: skip
    serve.add_argument(
        "--photos", type=_positive_int, default=ts.DEFAULT_PHOTOS,
        help=f"test photos drawn for the game (default {ts.DEFAULT_PHOTOS})",
    )  # fmt: skip
    serve.add_argument("--seed", type=_seed, default=0, help="seeds the photo draw (default 0)")
    serve.set_defaults(handler=_turing_server)


def _add_settings(parser: argparse.ArgumentParser, method) -> None:
    """One option per setting of ``method`` (:mod:`colorlib.methods`), with its default."""
    import dataclasses

    group = parser.add_argument_group(
        f"settings of --method {method.name}",
        f"{method.summary}. Other methods have other settings: "
        "train --method NAME --help lists them.",
    )
    for field in dataclasses.fields(method.settings):
        flag = "--" + field.name.replace("_", "-")
        shown = f"{field.default:g}" if isinstance(field.default, float) else field.default
        text = f"{field.metadata['help']} (default: {shown})"
        if isinstance(field.default, bool):
            group.add_argument(flag, action=argparse.BooleanOptionalAction,
                               default=field.default, help=text)  # fmt: skip
        else:
            group.add_argument(
                flag, type=type(field.default), default=field.default, help=text,
                choices=field.metadata.get("choices"),
            )  # fmt: skip


def _method_in(argv: list[str]) -> str | None:
    """The value of ``--method`` in ``argv``, if any (read before the parser is built,
    since the method decides which settings ``train`` offers)."""
    for i, arg in enumerate(argv):
        if arg == "--method" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--method="):
            return arg.split("=", 1)[1]
    return None


def build_parser(method: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; ``train`` offers the settings of ``method`` (default
    regression)."""
    parser = argparse.ArgumentParser(
        prog="python -m colorlib",
        description="colorlib: automatic image colorization, taught and reproduced.",
        epilog="Real data: set COLORLIB_DATA to the folder holding cifar10/, imagenet64/ ...; "
        "without it the bundled sample in data/sample is used.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    rerun = commands.add_parser(
        "reproduce",
        help="re-run the numbered notebooks with papermill and write a summary",
        description="Execute notebooks/NN_*.ipynb in order with papermill (cwd = the "
        "notebooks folder), writing executed copies and summary.md / summary.html to "
        "OUT/<profile>/. A failing notebook does not stop the others; the exit status "
        "is 1 if any failed. Data: COLORLIB_DATA when set, else the bundled sample. "
        "WARNING: --profile full -p retrain true retrains every model and WRITES OVER the "
        "shipped, git-tracked weights and records (data/checkpoints/*.pt, "
        "data/results/*.json); it is refused unless you also pass --overwrite-shipped.",
    )
    rerun.add_argument(
        "--profile", choices=PROFILES, default="quick",
        help="quick: minutes on a laptop CPU, trains under runs/ only (default); full: the "
        "real experiment (with -p retrain true it replaces the shipped files, see "
        "--overwrite-shipped)",
    )  # fmt: skip
    rerun.add_argument("--only", nargs="+", metavar="NN", help="notebook numbers, e.g. 00 02")
    rerun.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="notebook parameter for every notebook, e.g. -p retrain true (repeatable); NAME "
        "must be one of the notebooks' parameters (retrain, seed, device, dataset ...): "
        "others are refused with the list",
    )  # fmt: skip
    rerun.add_argument(
        "--overwrite-shipped", action="store_true",
        help="allow --profile full -p retrain true to replace the shipped, git-tracked "
        "data/checkpoints/*.pt and data/results/*.json with the new runs",
    )  # fmt: skip
    rerun.add_argument("--out", default="runs", help="output folder (default runs)")
    rerun.add_argument("--kernel", help="Jupyter kernel (default: the notebook's own)")
    rerun.add_argument(
        "--record-times", action="store_true",
        help="for maintainers: store each notebook's wall time in "
        "data/results/notebook_times.json, which the notebooks print at their top (run "
        "it on a quiet machine: other work inflates the times)",
    )  # fmt: skip
    rerun.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    rerun.set_defaults(handler=_reproduce)

    check = commands.add_parser(
        "selfcheck",
        help="run the library end to end on real photos and report what it measured",
        description="Convert real photos to Lab (checked against scikit-image), "
        "round-trip them through the ab bins, build every network, train the poster's "
        "CNN briefly and score it against a gray guess. Uses CIFAR-10 from "
        "COLORLIB_DATA when present, else the bundled sample. Exit status 1 if any "
        "check fails.",
    )
    check.add_argument(
        "--steps", type=_positive_int, default=60, help="training steps (default 60)"
    )
    check.add_argument(
        "--images", type=_positive_int, default=512, help="training photos to use (default 512)"
    )
    check.add_argument(
        "--size", type=int, choices=(32, 64), default=32, help="image side in pixels (default 32)"
    )
    check.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    check.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    check.set_defaults(handler=_selfcheck)

    from colorlib import methods

    chosen = methods.get(method or "regression")
    fit = commands.add_parser(
        "train",
        help="train a colorizer with the one training engine",
        description="Train a colorizer on a dataset with colorlib.train.fit: checkpoints "
        "and history.json go to --out (training resumes from there), optionally "
        "exporting compact (int8/fp16) weights for colorlib.pretrained. Each --method has "
        "its own settings, listed by `train --method NAME --help`. Example: "
        "python -m colorlib train --method regression --dataset cifar10 --epochs 10 "
        "--batch-size 200 --plateau",
    )
    fit.add_argument(
        "--experiment", metavar="NAME",
        help="train one of the study's experiments (colorlib.experiments) with its own "
        "settings; only --profile, --device, --precision, --seed, --max-minutes and "
        "--no-progress apply "
        "(full runs with --seed other than 0 write results only, under data/results/seeds/)",
    )  # fmt: skip
    fit.add_argument(
        "--profile", choices=PROFILES, default="quick",
        help="with --experiment: quick (CI-sized) or full (writes the shipped weights)",
    )  # fmt: skip
    fit.add_argument(
        "--method", choices=list(methods.METHODS), default="regression",
        help="; ".join(f"{m.name}: {m.summary}" for m in methods.METHODS.values())
        + " (default regression)",
    )  # fmt: skip
    fit.add_argument(
        "--dataset", default="sample",
        help="cifar10, tinyimagenet, imagenet32, imagenet64, sample (default) or a folder "
        "of photos",
    )  # fmt: skip
    fit.add_argument(
        "--size", type=_positive_int, help="tinyimagenet: 64 or 32; photo folders: crop size"
    )
    _add_settings(fit, chosen)
    fit.add_argument("--epochs", type=_positive_int, default=10, help="total epochs (default 10)")
    fit.add_argument("--batch-size", type=_positive_int, default=200, help="default 200 (poster)")
    schedule = fit.add_mutually_exclusive_group()
    schedule.add_argument(
        "--lr-schedule", choices=["plateau", "cosine"],
        help="plateau: lr x 0.1 when the val loss stalls, down to 1e-4 (the poster); cosine: "
        "down to 1%% of --lr over --epochs (a run sized to a budget); default constant",
    )  # fmt: skip
    schedule.add_argument(
        "--plateau", dest="lr_schedule", action="store_const", const="plateau",
        help="the same as --lr-schedule plateau",
    )  # fmt: skip
    fit.add_argument("--limit", type=_positive_int, help="use N random training images")
    fit.add_argument(
        "--out",
        help="checkpoint folder (default runs/train/<dataset>-<task>-<loss>[-seed<k>]); a "
        "run resumes there only with the same settings (--epochs may grow)",
    )
    fit.add_argument(
        "--export",
        help="write compact weights here (e.g. data/checkpoints/NAME.pt); the folder must exist",
    )
    fit.add_argument("--description", help="one-line description stored with --export")
    fit.add_argument("--force", action="store_true", help="overwrite an existing --export")
    fit.add_argument("--device", default="auto", help="auto (CUDA, MPS, CPU), cpu, cuda ...")
    fit.add_argument(
        "--seed", type=_seed, default=0, help=f"random seed, 0 to {MAX_SEED} (default 0)"
    )
    fit.add_argument("--no-progress", action="store_true", help="hide progress bars")
    fit.add_argument(
        "--precision", choices=PRECISIONS, default="auto",
        help="arithmetic of the forward passes: auto (default: bf16 on a CPU with AMX or "
        "AVX512-BF16 and on recent GPUs, fp16 on older GPUs, else fp32), fp32, bf16, or "
        "fp16 (CUDA only); weights stay float32, and a run resumes only in its own precision",
    )  # fmt: skip
    fit.add_argument(
        "--max-minutes", type=float, metavar="M",
        help="start no new epoch after M minutes of training (the run ends early, "
        "checkpointed; its record says how many epochs ran); default: no limit",
    )  # fmt: skip
    fit.set_defaults(handler=_train)

    paint = commands.add_parser(
        "colorize",
        help="colorize image files with a trained colorizer",
        description="Colorize each input image (any size; gray, RGB, RGBA, palette, CMYK "
        "or 16-bit) and write OUT_DIR/<name>.png at the input's size. Only the input's "
        "lightness is used. Existing outputs are kept unless --force.",
    )
    paint.add_argument("inputs", nargs="+", metavar="IN", help="image files")
    paint.add_argument("out_dir", metavar="OUT_DIR", help="folder for the results (created)")
    paint.add_argument(
        "--model", required=True,
        help="a name from colorlib.pretrained.available() or a .pt weights file",
    )  # fmt: skip
    paint.add_argument("--device", default="cpu", help="cpu (default), cuda ...")
    paint.add_argument("--force", action="store_true", help="overwrite existing outputs")
    paint.add_argument(  # rows per strip; 0 = whole image (the untiled reference, benchmarks)
        "--tile-rows", type=int, help=argparse.SUPPRESS
    )
    paint.set_defaults(handler=_colorize)
    _add_turing_server(commands)
    return parser


EXIT_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 1, 130, 143


def _diverged(exc: BaseException) -> bool:
    """Whether ``exc`` is a :class:`colorlib.train.TrainingDiverged` (checked without
    importing torch: only a command that trained can have raised one)."""
    train = sys.modules.get("colorlib.train")
    return train is not None and isinstance(exc, train.TrainingDiverged)


def _error(command: str, message: object) -> None:
    """``colorlib COMMAND: error: MESSAGE`` on stderr, on one line."""
    text = " ".join(str(message).split()) or "unknown error"
    print(f"colorlib {command}: error: {text}", file=sys.stderr)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_exception():
    """Within the block, SIGTERM raises :class:`Terminated` where the program is (in the
    main thread only; the previous handler comes back after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run one command; user errors end as one line on stderr and a non-zero status.

    Exit status: the command's own, 2 for a refused input (bad device, file, folder,
    checkpoint or setting), 1 for a diverged training run, 130 for Ctrl-C, 143 for
    SIGTERM (a write in progress removes its temporary file first).
    """
    with _sigterm_as_exception():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    """:func:`main` without the SIGTERM handler."""
    argv = sys.argv[1:] if argv is None else list(argv)
    method = _method_in(argv)
    from colorlib import methods

    known = method is None or method in methods.METHODS
    args = build_parser(method if known else None).parse_args(argv)
    try:
        return args.handler(args)
    except (OSError, ValueError) as exc:
        _error(args.command, exc)
        return EXIT_ERROR
    except Interrupted as exc:
        _error(args.command, exc)
        return exc.status or EXIT_INTERRUPTED
    except KeyboardInterrupt as exc:
        _error(args.command, _stop_word(exc))
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except RuntimeError as exc:
        if not _diverged(exc):
            raise
        hint = "" if getattr(args, "experiment", None) else "; try a smaller --lr"
        _error(args.command, f"{exc}{hint}")
        return EXIT_DIVERGED


if __name__ == "__main__":
    sys.exit(main())
