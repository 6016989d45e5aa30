"""Every training route an exercise names still exists and trains.

Exercises that train a variant give their command as one inline code span,
``python -m colorlib train --method NAME ...``, in the notebook's "## Exercises" cell.
Each is run here at a tiny size on the bundled sample (the dataset swapped for it, a
few steps), so that a renamed or removed setting fails a test instead of a student.
The judge learns class labels, which the sample lacks: its commands run on their own
dataset, so only where COLORLIB_DATA holds it.
"""

from __future__ import annotations

import re
import shlex

import nbformat
import pytest

from colorlib import data, reproduce
from colorlib.__main__ import main

COMMAND = re.compile(r"`python -m colorlib (train --method [^`]+)`")
TINY = ["--size", "32", "--limit", "16", "--batch-size", "8", "--epochs", "1", "--no-progress"]
"""Appended to each command (argparse keeps the last value): two steps on 16 photos."""


def exercise_commands() -> list[tuple[str, str]]:
    """``(notebook stem, command after "python -m colorlib ")`` for every span."""
    found = []
    for path in reproduce.find_notebooks():
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Exercises"):
                found += [(path.stem, command) for command in COMMAND.findall(cell.source)]
    return found


def exercise_routes() -> list[tuple[str, str]]:
    """:func:`exercise_commands`, one per route: commands that name the same method and
    the same options (e.g. ``--cycle-weight 1`` and ``--cycle-weight 100``) train
    through the same code, so the first of them stands for all."""
    routes = {}
    for stem, command in exercise_commands():
        argv = shlex.split(command)
        options = tuple(sorted(arg for arg in argv if arg.startswith("--")))
        routes.setdefault((argv[argv.index("--method") + 1], options), (stem, command))
    return list(routes.values())


def test_the_exercises_name_their_training_routes():
    notebooks = {stem[:2] for stem, _ in exercise_commands()}
    assert {"04", "05"} <= notebooks  # the cycle weights (04) and the gray-input judge (05)


def _tiny(command: str, out) -> list[str]:
    argv = shlex.split(command)
    if "--dataset" not in argv:
        argv += ["--dataset", "sample"]
    where = argv.index("--dataset") + 1
    if argv[argv.index("--method") + 1] == "judge":  # labelled photos: the real dataset
        try:
            data.load(argv[where], "train")
        except data.DatasetNotFoundError:
            pytest.skip(f"the judge needs labelled photos: COLORLIB_DATA with {argv[where]}")
    else:
        argv[where] = "sample"
    for flag in ("--export", "--out"):  # never write where the exercise would
        while flag in argv:
            del argv[argv.index(flag) : argv.index(flag) + 2]
    return [*argv, *TINY, "--out", str(out)]


@pytest.mark.parametrize("stem, command", exercise_routes())
def test_each_exercise_command_trains_at_a_tiny_size(stem, command, tmp_path, capsys):
    argv = _tiny(command, tmp_path / "run")
    assert main(argv) == 0, f"{stem}: {command}"
    assert "[train]" in capsys.readouterr().out
    assert (tmp_path / "run" / "history.json").is_file()
