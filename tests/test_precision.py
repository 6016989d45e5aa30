"""Mixed precision in the one engine: ``fit(precision=...)``, its choice and its records.

bf16 runs here on the CPU (oneDNN emulates it, slower, where the CPU lacks AVX512-BF16
or AMX), so every test below runs on any machine.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_train import Photos, _one_thread, quiet, sample_rgb, train_set, val_set  # noqa: F401, I001

from colorlib import devices
from colorlib.devices import cpu_has_bf16, resolve_precision
from colorlib.tasks import RegressionTask, build_network
from colorlib.train import fit

CPU = torch.device("cpu")
# _one_thread (imported, autouse): one torch thread, so the same kernels (and bits) run
# whatever else the machine does


def _seed_cnn_task(lr: float = 3e-4) -> RegressionTask:
    torch.manual_seed(0)
    return RegressionTask(build_network("SeedCNN", image_size=32), loss="l2", lr=lr)


def _weights(task: RegressionTask) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in task.nets["net"].state_dict().items()}


# ------------------------------------------------------------------ choosing a precision


@pytest.mark.parametrize(
    "flags,native",
    [("fpu sse2 avx512f avx512_bf16 avx512_vnni", True),  # AMD Zen 4, Intel Cooper Lake
     ("fpu sse2 avx512f amx_bf16 amx_tile amx_int8", True),  # Intel Sapphire Rapids
     ("fpu sse2 avx2 fma avx512f avx512_vnni", False),  # AVX-512 without bf16
     ("fpu neon asimd", False)],
)  # fmt: skip
def test_cpu_bf16_is_read_from_the_cpu_flags(tmp_path, flags, native):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: X\nflags\t\t: {flags}\n\n")
    assert cpu_has_bf16(cpuinfo) is native


def test_cpu_without_a_cpuinfo_file_has_no_bf16(tmp_path):
    """macOS and Windows have no /proc/cpuinfo: auto must not guess bf16 there."""
    assert cpu_has_bf16(tmp_path / "missing") is False


@pytest.mark.parametrize("native,expected", [(True, "bf16"), (False, "fp32")])
def test_auto_picks_bf16_only_on_a_cpu_that_runs_it_natively(monkeypatch, native, expected):
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: native)
    assert resolve_precision("auto", CPU) == expected
    assert resolve_precision("fp32", CPU) == "fp32"
    assert resolve_precision("bf16", CPU) == "bf16"  # asked for explicitly: emulated if need be


def test_auto_on_a_cpu_without_bf16_trains_in_float32(monkeypatch):
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: False)
    task = _seed_cnn_task()
    fit(task, train_set(8), epochs=1, batch_size=4, **quiet())
    assert task.precision == "fp32" and not task.channels_last


@pytest.mark.parametrize(
    "precision,device,message",
    [("fp16", CPU, "precision fp16 runs on CUDA only"),
     ("half", CPU, "precision must be one of auto, fp32, bf16, fp16"),
     ("bf16", torch.device("mps"), "precision bf16 is not supported on mps")],
)  # fmt: skip
def test_bad_precisions_are_refused_in_one_line(precision, device, message):
    with pytest.raises(ValueError, match=message) as info:
        resolve_precision(precision, device)
    assert "\n" not in str(info.value)


def test_fit_refuses_fp16_on_the_cpu_before_training(tmp_path):
    with pytest.raises(ValueError, match="fp16 runs on CUDA only"):
        fit(_seed_cnn_task(), train_set(8), epochs=1, batch_size=4, precision="fp16",
            checkpoint_dir=tmp_path, **quiet())  # fmt: skip
    assert not (tmp_path / "last.pt").exists()


# ------------------------------------------------------------------ what bf16 computes


def test_bf16_trains_in_bf16_with_float32_weights_and_optimizer_state():
    task = _seed_cnn_task()
    fit(task, train_set(8), epochs=1, batch_size=4, precision="bf16", **quiet())
    assert task.precision == "bf16" and task.channels_last
    net = task.nets["net"]
    assert all(p.dtype == torch.float32 for p in net.parameters())
    state = task.optimizers["net"].state_dict()["state"]
    assert all(s["exp_avg"].dtype == torch.float32 for s in state.values())
    L = torch.zeros(2, 1, 32, 32)
    with task.autocast():
        assert net(L).dtype == torch.bfloat16  # the convolutions and the matmul ran in bf16


def test_bf16_and_fp32_loss_curves_agree():
    """Same seed, same data, same steps, in fp32 and in bf16.

    bf16 keeps 8 significant bits (relative rounding 2**-9 = 0.2% per operation); the
    weights, Adam's state and the loss stay float32. The two runs drift apart step by
    step, as any two float orders do, but train the same way: measured on this data (AMD
    EPYC, 1 thread), the per-epoch mean train loss differs by at most 0.8%. The
    tolerances (10% on the curve, 5% on the final val ab L2) leave room for other CPUs'
    kernels while failing a bf16 path that learns differently (the loss here falls to a
    fifth over the 5 epochs).
    """
    data = Photos(sample_rgb("train", 32))
    val = val_set(16)
    runs = {
        precision: fit(_seed_cnn_task(), data, val, epochs=5, batch_size=8,
                       precision=precision, **quiet())  # fmt: skip
        for precision in ("fp32", "bf16")
    }
    fp32, bf16 = ([h["train_loss"] for h in runs[p]] for p in ("fp32", "bf16"))
    print("train loss fp32:", np.round(fp32, 5), "bf16:", np.round(bf16, 5),
          "val ab L2:", runs["fp32"][-1]["val_ab_l2"], runs["bf16"][-1]["val_ab_l2"])
    assert fp32[-1] < 0.6 * fp32[0] and bf16[-1] < 0.6 * bf16[0]  # both learn
    np.testing.assert_allclose(bf16, fp32, rtol=0.10)
    val_fp32, val_bf16 = (runs[p][-1]["val_ab_l2"] for p in ("fp32", "bf16"))
    assert val_bf16 == pytest.approx(val_fp32, rel=0.05)


def test_two_bf16_runs_are_bit_identical():
    runs = []
    for _ in range(2):
        task = _seed_cnn_task()
        history = fit(task, train_set(16, flip=True), val_set(4), epochs=2, batch_size=4,
                      precision="bf16", seed=3, **quiet())  # fmt: skip
        runs.append((history, _weights(task)))
    (h1, w1), (h2, w2) = runs
    assert [{k: v for k, v in h.items() if k != "seconds"} for h in h1] == [
        {k: v for k, v in h.items() if k != "seconds"} for h in h2
    ]
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


def test_bf16_resume_is_exact(tmp_path):
    """Stopped after epoch 2 and resumed: the same weights, bit for bit, as one run."""
    args = dict(batch_size=4, precision="bf16", seed=5, lr_schedule="cosine", **quiet())
    data, val = train_set(16, flip=True), val_set(4)
    whole = _seed_cnn_task()
    fit(whole, data, val, epochs=3, checkpoint_dir=tmp_path / "whole", **args)

    def stop_after_epoch_2(record):
        if record["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(_seed_cnn_task(), data, val, epochs=3, checkpoint_dir=tmp_path / "cut",
            callbacks=[stop_after_epoch_2], **args)  # fmt: skip
    resumed = _seed_cnn_task()
    history = fit(resumed, data, val, epochs=3, checkpoint_dir=tmp_path / "cut", **args)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert all(torch.equal(a, b) for a, b in zip(
        _weights(whole).values(), _weights(resumed).values(), strict=True))  # fmt: skip


def test_resume_in_another_precision_is_refused(tmp_path):
    fit(_seed_cnn_task(), train_set(8), epochs=1, batch_size=4, precision="fp32",
        checkpoint_dir=tmp_path, **quiet())  # fmt: skip
    assert torch.load(tmp_path / "last.pt", weights_only=True)["run"]["precision"] == "fp32"
    with pytest.raises(ValueError, match="precision 'fp32' \\(checkpoint\\) vs 'bf16' \\(now\\)"):
        fit(_seed_cnn_task(), train_set(8), epochs=2, batch_size=4, precision="bf16",
            checkpoint_dir=tmp_path, **quiet())  # fmt: skip


def test_checkpoints_from_before_precision_was_saved_still_resume(tmp_path):
    fit(_seed_cnn_task(), train_set(8), epochs=1, batch_size=4, precision="fp32",
        checkpoint_dir=tmp_path, **quiet())  # fmt: skip
    old = torch.load(tmp_path / "last.pt", weights_only=True)
    del old["run"]["precision"]
    torch.save(old, tmp_path / "last.pt")
    history = fit(_seed_cnn_task(), train_set(8), epochs=2, batch_size=4, precision="fp32",
                  checkpoint_dir=tmp_path, **quiet())  # fmt: skip
    assert [h["epoch"] for h in history] == [1, 2]


# ------------------------------------------------------------------ the cosine schedule


def test_cosine_schedule_falls_to_one_percent_and_pins_the_epoch_count(tmp_path):
    args = dict(batch_size=4, lr_schedule="cosine", checkpoint_dir=tmp_path, **quiet())
    history = fit(_seed_cnn_task(lr=1e-3), train_set(8), epochs=4, **args)
    lrs = [h["lr"] for h in history]  # the lr after each epoch (the next epoch's)
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] == pytest.approx(1e-5)
    assert lrs[1] == pytest.approx(1e-5 + (1e-3 - 1e-5) * 0.5)  # half way: the mean
    with pytest.raises(ValueError, match="epochs 4 \\(checkpoint\\) vs 6 \\(now\\)"):
        fit(_seed_cnn_task(lr=1e-3), train_set(8), epochs=6, **args)


def test_unknown_lr_schedule_is_refused():
    with pytest.raises(ValueError, match="lr_schedule must be None, 'plateau' or 'cosine'"):
        fit(_seed_cnn_task(), train_set(8), epochs=1, batch_size=4, lr_schedule="step",
            **quiet())  # fmt: skip
