"""benchmarks/train_speed.py: its smoke run completes with a ratio per family, and its
bare loop does the same maths as each task's own training step (no timing asserted)."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "train_speed.py"


def _load_train_speed():
    """The benchmark script as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("train_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


train_speed = _load_train_speed()


def parse_ratios(output: str) -> dict[str, float]:
    """``{family: fit/bare}`` (bf16) from the table the benchmark prints."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if "fit/bare" in line.split())
    column = lines[header].split().index("fit/bare")
    ratios = {}
    for line in lines[header + 1 :]:
        fields = line.split()
        if fields and fields[0] in train_speed.FAMILIES:
            ratios[fields[0]] = float(fields[column])
    return ratios


@pytest.mark.slow
def test_smoke_run_prints_a_positive_ratio_for_every_family():
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    ratios = parse_ratios(completed.stdout)
    assert set(ratios) == set(train_speed.FAMILIES), completed.stdout
    for family, ratio in ratios.items():
        assert math.isfinite(ratio) and ratio > 0, (family, ratio)
        summary = next(line for line in completed.stdout.splitlines()
                       if line.startswith(f"{family}: bf16/fp32 "))  # fmt: skip
        assert float(summary.split()[2].rstrip("x")) > 0, summary


def test_families_train_at_their_experiments_sizes():
    for family in train_speed.FAMILIES.values():
        assert family.image_size == family.settings.size, family.name


@pytest.mark.parametrize("name", list(train_speed.FAMILIES))
def test_bare_step_does_what_the_task_step_does(name):
    """Two steps of the task and of the bare loop, from the same weights and seeds, give
    the same losses and the same weights (at 32 px and batch 2, to stay quick)."""
    family = dataclasses.replace(train_speed.FAMILIES[name], image_size=32)
    batch = train_speed.synthetic_pool(family, 2)
    task, twin = train_speed.build_task(family), train_speed.build_task(family)
    task.train(True)
    twin.train(True)
    context = train_speed.BareContext.for_task(twin)
    for step in range(2):
        random.seed(step)
        torch.manual_seed(step)
        expected = task.train_step(batch)
        random.seed(step)
        torch.manual_seed(step)
        got = family.bare_step(twin.nets, batch, context)
        assert got.keys() == expected.keys()
        for key in expected:
            torch.testing.assert_close(got[key], expected[key], msg=f"{name} {key} step {step}")
    for net_name, net in task.nets.items():
        twin_state = twin.nets[net_name].state_dict()
        for key, value in net.state_dict().items():
            torch.testing.assert_close(twin_state[key], value, msg=f"{name} {net_name}.{key}")


def test_help_names_every_family(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_speed.parse_args(["--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    for family in train_speed.FAMILIES.values():
        assert family.name in shown and family.experiment in shown


def test_every_contender_trains_and_is_timed():
    """fp32 and bf16, bare and fit, with and without channels_last (here on the CPU)."""
    family = dataclasses.replace(train_speed.FAMILIES["seedcnn"], image_size=32)
    args = train_speed.parse_args(["--steps", "1", "--warmup", "1", "--repeats", "1",
                                   "--batch", "2"])  # fmt: skip
    result = train_speed.measure_family(family, args, torch.device("cpu"))
    assert set(result.speeds) == {c.name for c in train_speed.CONTENDERS}
    assert all(math.isfinite(speed) and speed > 0 for speed in result.speeds.values())


def test_summary_line_gives_the_bf16_ratio_through_fit():
    speeds = {"bare fp32": 10.0, "fit fp32": 9.0, "bare bf16": 20.0, "bare bf16+cl": 25.0,
              "fit bf16": 22.5}  # fmt: skip
    result = train_speed.Result(
        train_speed.FAMILIES["zhang"], batch=8, parameters=1, forward_flops=1,
        training_flops=3.0, speeds=speeds,
    )  # fmt: skip
    line = train_speed.describe_summary(result)
    assert line.startswith("zhang: bf16/fp32 2.50x through fit")
    assert "fit/bare 0.90 in bf16 (0.90 in fp32)" in line and "channels_last 1.25x" in line
