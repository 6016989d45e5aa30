"""The nbgrader course in coursework/: release, autograde, export, end to end.

One module-scoped run (a few minutes on 2 CPU cores, most of it the training in
03_your_own_loss) copies the course to a temporary folder and drives nbgrader there,
as a teacher would:

1. ``nbgrader generate_assignment`` for every assignment;
2. two submissions per assignment: "solution" (the student version with every
   solution cell filled in from the source) and "untouched" (the student version as
   released);
3. ``nbgrader autograde`` per assignment and student, then ``nbgrader export``. Each
   autograde's wall time is printed (``pytest -s`` shows it; the guide's table comes
   from such runs) but not asserted: timings on a shared machine are not a test.

The tests then read the release notebooks and the exported grades.csv. Uses the real
datasets when COLORLIB_DATA is set, the bundled sample otherwise.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    import nbformat
    import nbgrader  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("nbgrader is not installed (pip install -r requirements.txt)",
                allow_module_level=True)  # fmt: skip

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "coursework"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())
GENERATED = ("release", "submitted", "autograded", "feedback", "gradebook.db", "grades.csv")

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _nbgrader(course: Path, *args: str, timeout: float = 900) -> float:
    """Run ``python -m nbgrader ARGS`` in the course folder; return its wall time in s."""
    env = dict(os.environ)
    # nbgrader runs alembic (the gradebook migrations) by name: put the venv's bin first
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise AssertionError(
            f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}"
        )
    return seconds


def _notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ipynb"))


def _cell_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _fill_in_solutions(release: Path, source: Path) -> nbformat.NotebookNode:
    """The student version with every solution cell replaced by the teacher's."""
    student, teacher = nbformat.read(release, as_version=4), nbformat.read(source, as_version=4)
    answers = {_cell_meta(c).get("grade_id"): c.source for c in teacher.cells}
    for cell in student.cells:
        if _cell_meta(cell).get("solution"):
            cell.source = answers[_cell_meta(cell)["grade_id"]]
    return student


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release, submit and autograde the whole course in a temporary copy."""
    course = tmp_path_factory.mktemp("coursework") / "course"
    skip = shutil.ignore_patterns(*GENERATED, "__pycache__", ".ipynb_checkpoints")
    shutil.copytree(COURSE, course, ignore=skip)
    seconds: dict[tuple[str, str], float] = {}
    for assignment in ASSIGNMENTS:
        _nbgrader(course, "generate_assignment", assignment, "--force")
        for notebook in _notebooks(course / "release" / assignment):
            source = course / "source" / assignment / notebook.name
            for student, content in (
                ("solution", _fill_in_solutions(notebook, source)),
                ("untouched", nbformat.read(notebook, as_version=4)),
            ):
                folder = course / "submitted" / student / assignment
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(content, folder / notebook.name)
    for assignment in ASSIGNMENTS:
        for student in ("solution", "untouched"):
            seconds[assignment, student] = _nbgrader(
                course, "autograde", assignment, "--student", student
            )
    _nbgrader(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        grades = {(row["assignment"], row["student_id"]): row for row in csv.DictReader(f)}
    for (assignment, student), s in sorted(seconds.items()):
        print(f"autograde {assignment} / {student}: {s:.0f} s")
    return {"course": course, "grades": grades, "seconds": seconds}


def test_course_has_the_assignments():
    assert ASSIGNMENTS[:5] == [
        "01_lab", "02_soft_encoding", "03_your_own_loss", "04_cgan", "05_turing_study",
    ]  # fmt: skip
    for assignment in ASSIGNMENTS:
        notebooks = _notebooks(COURSE / "source" / assignment)
        assert len(notebooks) == 1, assignment
        nb = nbformat.read(notebooks[0], as_version=4)
        graded_cells = [c for c in nb.cells if _cell_meta(c).get("grade")]
        solution_cells = [c for c in nb.cells if _cell_meta(c).get("solution")]
        assert len(graded_cells) >= 3 and solution_cells, assignment
        assert all(c.cell_type == "code" for c in graded_cells + solution_cells)
        assert all(_cell_meta(c)["points"] > 0 for c in graded_cells)
        assert any(HIDDEN.search(c.source) for c in graded_cells), f"{assignment}: no hidden test"


def test_committed_notebooks_match_the_builder():
    spec = importlib.util.spec_from_file_location("build_course", COURSE / "build_course.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    for assignment, build in builder.BUILDERS.items():
        path = COURSE / "source" / assignment / f"{builder.NOTEBOOKS[assignment]}.ipynb"
        committed = nbformat.read(path, as_version=4)
        fresh = builder._notebook(build())
        assert json.dumps(fresh, sort_keys=True) == json.dumps(committed, sort_keys=True), (
            f"{path.name} is stale: run python coursework/build_course.py"
        )


def _region_lines(text: str, pattern: re.Pattern) -> set[str]:
    lines = set()
    for region in pattern.findall(text):
        lines |= {ln.strip() for ln in region.splitlines() if len(ln.strip()) >= 8}
    return lines


def test_release_strips_solutions_and_hidden_tests(graded):
    course = graded["course"]
    for assignment in ASSIGNMENTS:
        for release in _notebooks(course / "release" / assignment):
            source = nbformat.read(course / "source" / assignment / release.name, as_version=4)
            student = nbformat.read(release, as_version=4)
            text = "\n".join(c.source for c in student.cells)
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS",
                           "END HIDDEN TESTS"):  # fmt: skip
                assert marker not in text, f"{assignment}: {marker} left in the release"
            outside = "\n".join(
                HIDDEN.sub("", SOLUTION.sub("", c.source)) for c in source.cells
            )  # fmt: skip
            secret = set()
            for cell in source.cells:
                secret |= _region_lines(cell.source, SOLUTION) | _region_lines(cell.source, HIDDEN)
            secret = {ln for ln in secret if ln not in outside}
            assert secret, assignment
            student_lines = {ln.strip() for ln in text.splitlines()}
            leaked = sorted(secret & student_lines)
            assert not leaked, f"{assignment}: release keeps {leaked[:3]}"
            stubs = [c for c in student.cells if _cell_meta(c).get("solution")]
            assert all("raise NotImplementedError()" in c.source for c in stubs), assignment


def test_solutions_get_full_marks(graded):
    for assignment in ASSIGNMENTS:
        row = graded["grades"][assignment, "solution"]
        assert float(row["max_score"]) > 0
        assert float(row["score"]) == float(row["max_score"]), (
            f"{assignment}: the solution scores {row['score']} of {row['max_score']}"
        )


def test_untouched_student_versions_get_less_than_half(graded):
    for assignment in ASSIGNMENTS:
        row = graded["grades"][assignment, "untouched"]
        assert float(row["score"]) < 0.5 * float(row["max_score"]), (
            f"{assignment}: the untouched version scores {row['score']} of {row['max_score']}"
        )
        autograded = graded["course"] / "autograded" / "untouched" / assignment
        assert _notebooks(autograded), f"{assignment}: the grader wrote no notebook"
