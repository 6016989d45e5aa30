"""The command line: help, the self-check on the bundled sample, and clean errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

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


# ------------------------------------------------------------------ train: tiny runs on the sample

TINY_TRAIN = ["train", "--dataset", "sample", "--size", "32", "--limit", "16", "--batch-size", "8",
              "--epochs", "1", "--no-progress"]  # fmt: skip
"""Two steps of the poster's CNN (32 px) on 16 bundled sample photos: about a second."""


def train_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``main(TINY_TRAIN + args)``: (exit status, stdout, stderr)."""
    try:
        status = main([*TINY_TRAIN, *args])
    except KeyboardInterrupt:  # would otherwise stop the whole test session
        pytest.fail("Ctrl-C escaped main() instead of ending as a one-line message")
    out, err = capsys.readouterr()
    return status, out, err


def checkpoint_folder(stdout: str) -> Path:
    """The folder a train run says it wrote ("[train] checkpoint and history in X")."""
    return Path(stdout.split("checkpoint and history in ")[1].split()[0])


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return torch.load(folder / "last.pt", weights_only=True)["state"]["nets"]["net"]


def assert_one_line_error(status: int, err: str, expected: int = 2) -> str:
    """The CLI's error contract: ``colorlib train: error: ...`` on one line, non-zero exit."""
    assert status == expected, err
    assert err.startswith("colorlib ") and ": error: " in err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def train_error(capsys, *args: str, expected: int = 2) -> str:
    """Run ``train_cli`` expecting a one-line error; return the error line."""
    status, _, err = train_cli(capsys, *args)
    return assert_one_line_error(status, err, expected)


def test_train_with_a_seed_gives_the_same_weights_every_time(tmp_path, monkeypatch, capsys):
    """Defect: the default --out ignored --seed, so a --seed 3 run silently resumed
    whatever run was there (here seed 0's) and "trained" nothing."""
    monkeypatch.chdir(tmp_path)
    assert train_cli(capsys)[0] == 0  # seed 0 into the default --out
    status, out, err = train_cli(capsys, "--seed", "3")  # default --out again
    assert status == 0, err
    first = checkpoint_folder(out)
    status, out, err = train_cli(capsys, "--seed", "3", "--out", "again")
    assert status == 0, err
    second = checkpoint_folder(out)
    assert first != second
    a, b = weights(first), weights(second)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_resume_with_another_loss_is_refused_and_the_run_extends(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert train_cli(capsys, "--out", out)[0] == 0
    err = train_error(capsys, "--out", out, "--loss", "l1", "--epochs", "2")
    assert "loss 'l2' (checkpoint) vs 'l1' (now)" in err and "fresh output folder" in err
    assert torch.load(Path(out) / "last.pt", weights_only=True)["epoch"] == 1  # untouched
    status, _, err = train_cli(capsys, "--out", out, "--epochs", "2")  # extending is fine
    assert status == 0, err


def test_a_diverging_run_is_one_line(tmp_path, capsys):
    err = train_error(capsys, "--out", str(tmp_path / "run"), "--lr", "1e10", expected=1)
    assert "training diverged" in err and "smaller --lr" in err


def test_ctrl_c_keeps_the_last_checkpoint_and_says_how_to_resume(tmp_path, capsys, monkeypatch):
    from colorlib import tasks

    steps = []
    real_step = tasks.RegressionTask.train_step

    def interrupted_in_epoch_2(self, batch):  # 2 steps an epoch: the 3rd is in epoch 2
        steps.append(1)
        if len(steps) == 3:
            raise KeyboardInterrupt
        return real_step(self, batch)

    monkeypatch.setattr(tasks.RegressionTask, "train_step", interrupted_in_epoch_2)
    out = tmp_path / "run"
    err = train_error(capsys, "--out", str(out), "--epochs", "3", expected=130)
    assert "interrupted" in err and f"{out / 'last.pt'} is kept" in err
    assert "run the same command again to resume" in err
    assert torch.load(out / "last.pt", weights_only=True)["epoch"] == 1


@pytest.mark.parametrize(
    "device,message",
    [("cuda", "no CUDA GPU is available here; use cpu or auto"),
     ("banana", "'banana' is not a device name")],
)  # fmt: skip
def test_unusable_device_is_one_line(tmp_path, capsys, monkeypatch, device, message):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a CPU-only machine
    assert message in train_error(capsys, "--out", str(tmp_path / "run"), "--device", device)
    assert not (tmp_path / "run").exists()  # refused before anything ran


def test_corrupt_checkpoint_is_one_line_and_kept(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    last = tmp_path / "run" / "last.pt"
    last.write_bytes(b"not a checkpoint")
    err = train_error(capsys, "--out", str(tmp_path / "run"))
    assert "is unreadable" in err and "remove it" in err and "another output folder" in err
    assert last.read_bytes() == b"not a checkpoint"  # never deleted


@pytest.mark.parametrize("crafted", ["no state", "no 0.weight"])
def test_crafted_checkpoint_is_one_line(tmp_path, capsys, crafted):
    out = tmp_path / "run"
    assert train_cli(capsys, "--out", str(out))[0] == 0
    checkpoint = torch.load(out / "last.pt", weights_only=True)
    if crafted == "no state":
        del checkpoint["state"]
    else:
        del checkpoint["state"]["nets"]["net"]["0.weight"]
    torch.save(checkpoint, out / "last.pt")
    err = train_error(capsys, "--out", str(out), "--epochs", "2")
    expected = "is incomplete (no state)" if crafted == "no state" else "does not fit this task"
    assert expected in err and "remove it" in err


def test_export_into_a_missing_folder_is_refused_before_training(tmp_path, capsys, monkeypatch):
    from colorlib import train

    monkeypatch.setattr(train, "fit", lambda *a, **k: pytest.fail("trained before refusing"))
    export = tmp_path / "missing" / "w.pt"
    err = train_error(capsys, "--out", str(tmp_path / "run"), "--export", str(export))
    assert "export folder" in err and "does not exist" in err


def test_experiment_export_writes_only_the_export(tmp_path, capsys, monkeypatch):
    """Defect: ``train --experiment X --export F`` ignored --export and wrote X's
    shipped weights and record instead."""
    from colorlib import experiments

    seen = {}

    def fake_run(experiment, profile, **kwargs):
        seen.update(kwargs, name=experiment.name, profile=profile)
        return None, [{"epoch": 1, "train_loss": 1.0, "seconds": 0.1}], 32

    monkeypatch.setattr(experiments, "run", fake_run)
    monkeypatch.chdir(tmp_path)
    export = tmp_path / "w.pt"
    status = main(["train", "--experiment", "cifar10-seedcnn-l2", "--profile", "full",
                   "--export", str(export), "--no-progress"])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 0, err
    assert seen["export"] == str(export) and seen["name"] == "cifar10-seedcnn-l2"
    assert f"weights exported to {export}" in out and "shipped weights" not in out
    export.write_bytes(b"mine")  # an existing export is kept unless --force
    monkeypatch.setattr(experiments, "run", lambda *a, **k: pytest.fail("ran before refusing"))
    status = main(["train", "--experiment", "cifar10-seedcnn-l2", "--export", str(export)])
    assert_one_line_error(status, capsys.readouterr().err)
    assert export.read_bytes() == b"mine"


def test_out_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    err = train_error(capsys, "--out", str(tmp_path / "notes.txt"))
    assert "is not a folder" in err and "--out" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ------------------------------------------------------------------ reproduce: refused up front


@pytest.fixture
def no_notebook_runs(monkeypatch):
    """Fail instead of executing a notebook: a refusal that regressed would otherwise run
    them (a full retrain would write over the shipped weights and records)."""
    import papermill

    def refuse(*args, **kwargs):
        pytest.fail("a notebook was executed; the command should have refused first")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


def test_reproduce_into_an_unwritable_out_is_one_line(tmp_path, capsys, no_notebook_runs):
    (tmp_path / "afile").write_text("")
    status = main(["reproduce", "--only", "00", "--out", str(tmp_path / "afile" / "runs")])
    err = assert_one_line_error(status, capsys.readouterr().err)
    assert "cannot write to the output folder" in err and "writable --out" in err


@pytest.mark.parametrize(
    "name,message",
    [("retrian", "unknown parameter retrian; the notebooks' parameters are"),
     ("__import__('os').system('echo pwned');x", "must be Python identifiers")],
)  # fmt: skip
def test_reproduce_refuses_unknown_or_code_parameter_names(
    tmp_path, capsys, no_notebook_runs, name, message
):
    status = main(["reproduce", "--only", "00", "--out", str(tmp_path), "-p", name, "1"])
    err = assert_one_line_error(status, capsys.readouterr().err)
    assert message in err
    if name == "retrian":
        assert "retrain" in err and "seed" in err  # the valid names are listed
    assert not any(tmp_path.iterdir())  # nothing ran


def test_reproduce_full_retrain_needs_overwrite_shipped(tmp_path, capsys, no_notebook_runs):
    status = main(
        ["reproduce", "--profile", "full", "-p", "retrain", "true", "--out", str(tmp_path)]
    )
    err = assert_one_line_error(status, capsys.readouterr().err)
    assert "data/checkpoints/*.pt" in err and "--overwrite-shipped" in err
    assert not any(tmp_path.iterdir())
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "WRITES OVER the shipped, git-tracked weights" in help_text
    assert "--overwrite-shipped" in help_text and "data/checkpoints/*.pt" in help_text


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"],
                                  ["train", "--method", "cyclegan", "--help"],
                                  ["reproduce", "--help"], ["colorize", "--help"],
                                  ["turing-server", "--help"]])  # fmt: skip
def test_help_starts_without_importing_torch(args):
    # the settings and options are declared torch-free (colorlib.methods builds its tasks
    # lazily, colorlib.profiles names the losses): --help answers in a fraction of a second
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "colorlib", *args],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "usage:" in result.stdout
    assert not {name for name in imported if name.split(".")[0] in ("torch", "torchvision")}
    assert "colorlib.profiles" in imported  # the measurement itself works


@pytest.mark.parametrize("module", ["colorlib.checkpoint", "colorlib.pretrained"])
def test_loading_weights_imports_no_dataset_reader_and_no_torchvision(module):
    # colorlib.data imports its names lazily, and build_network lives in colorlib.models,
    # so reading a weight file needs neither torchvision nor the dataset readers
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(result.stdout.split())
    assert module in loaded and "torch" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "torchvision"}
    readers = {"colorlib.data.cifar10", "colorlib.data.tinyimagenet", "colorlib.data.datasets",
               "colorlib.data.sources", "colorlib.data.photos", "colorlib.data.cache"}  # fmt: skip
    assert not loaded & readers
