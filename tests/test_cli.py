"""The command line: help, the self-check on the bundled sample, and clean errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from colorlib.__main__ import main


def run_cli(*args: str, env_data: str | None = None) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    if env_data is not None:
        env["COLORLIB_DATA"] = env_data
    return subprocess.run(
        [sys.executable, "-m", "colorlib", *args], capture_output=True, text=True, env=env
    )


def test_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "selfcheck" in result.stdout


def test_selfcheck_help_explains_the_data_source(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["selfcheck", "--help"])
    assert exit_info.value.code == 0
    assert "COLORLIB_DATA" in capsys.readouterr().out


def test_bad_parameter_is_one_line_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["selfcheck", "--steps", "-3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "must be a positive integer" in err


@pytest.mark.slow
def test_selfcheck_runs_on_the_bundled_sample(tmp_path):
    result = run_cli(
        "selfcheck", "--steps", "12", "--images", "32", "--no-progress", env_data=str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundled sample" in result.stdout
    assert "[FAIL]" not in result.stdout
    assert "Q = 261" in result.stdout
