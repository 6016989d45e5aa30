"""notebooks/conftest.py: nbval tolerates the last printed digit of decimals, nothing more."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "notebooks" / "conftest.py"
_spec = importlib.util.spec_from_file_location("notebooks_conftest", CONFTEST)
tolerance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tolerance)


@pytest.mark.parametrize(
    ("stored", "fresh", "agree"),
    [
        ("gray guess 88.5 [87.9, 89.2]", "gray guess 88.6 [87.9, 89.2]", True),  # the CI flake
        ("-0.36 [-0.43, -0.30]", "-0.37 [-0.42, -0.30]", True),
        ("0.0 [0.0, 0.0]", "-0.1 [0.0, 0.1]", True),
        ("1.000", "0.999", True),
        ("gray guess 88.5", "gray guess 88.7", False),  # two units of the last digit
        ("15.68", "15.6", False),  # other precision
        ("better: -0.14", "tie: -0.14", False),  # a verdict word changed
        ("9,902 photos", "9,903 photos", False),  # integers must match exactly
        ("3 models", "4 models", False),
        ("a 1.5", "a 1.5 b 2.5", False),  # another count of numbers
        ("v0.1.2", "v0.1.3", False),  # not a decimal: compared as text
    ],
)
def test_numbers_agree(stored, fresh, agree):
    assert tolerance.numbers_agree(stored, fresh) is agree


def test_snap_outputs_pairs_outputs_of_the_same_kind():
    stored = [
        {"output_type": "stream", "name": "stdout", "text": "mean 88.5\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.25", "image/png": "A"}},
    ]
    fresh = [
        {"output_type": "stream", "name": "stderr", "text": "warning 1.0\n"},
        {"output_type": "stream", "name": "stdout", "text": "mean 88.6\n"},
        {"output_type": "execute_result", "data": {"text/plain": "0.27", "image/png": "B"}},
    ]
    snapped = tolerance.snap_outputs(fresh, stored)
    assert snapped[0]["text"] == "warning 1.0\n"  # no stored stderr: left alone
    assert snapped[1]["text"] == "mean 88.5\n"  # within one unit: the stored text
    assert snapped[2]["data"] == {"text/plain": "0.27", "image/png": "B"}  # 2 units: kept
    assert fresh[1]["text"] == "mean 88.6\n"  # the input is not modified


def _notebook(stored_text: str, source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_text)]
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize(("printed", "passes"), [("88.6", True), ("88.7", False)])
def test_nbval_with_the_plugin(tmp_path, printed, passes):
    """A stored 88.5 against a fresh print: one unit passes nbval, two units fail it."""
    pytest.importorskip("nbval")
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(CONFTEST, folder / "conftest.py")
    nbformat.write(_notebook("mean 88.5\n", f"print('mean {printed}')"), folder / "n.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", str(folder)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (result.returncode == 0) is passes, result.stdout[-2000:]
