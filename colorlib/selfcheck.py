"""An end-to-end self-check of the library on real photos: the main job until the
notebooks land.

It runs the data flow of the whole package once, small enough for a laptop CPU:

1. real photos -> Lab, checked against scikit-image;
2. the ab bins: soft-encode the photos' ab and decode them again;
3. every network: build it at the photos' size and run a forward pass;
4. a short training of the poster's CNN (L2 loss, Adam 1e-3) on the training photos;
5. the metrics of that model against a gray guess (ab = 0) on held-out photos.

Every number it prints is computed here, and each step has a pass/fail criterion,
so a broken install or a regression shows up as a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch
from tqdm.auto import tqdm

from colorlib import gamut as gamut_mod
from colorlib import losses, metrics, models
from colorlib.lab import (
    denormalize_ab,
    lab_to_rgb,
    merge_lab,
    normalize_ab,
    normalize_l,
    rgb_to_lab,
    split_lab,
)


@dataclasses.dataclass
class Check:
    """One line of the report: what was measured, its value and whether it passed."""

    name: str
    value: str
    passed: bool


def _skimage_lab_error(rgb: torch.Tensor) -> float:
    """Max |colorlib - skimage| over a float64 RGB batch (N, 3, H, W), in Lab units."""
    from skimage.color import rgb2lab

    reference = torch.from_numpy(rgb2lab(rgb.double().permute(0, 2, 3, 1).numpy()))
    ours = rgb_to_lab(rgb.double()).permute(0, 2, 3, 1)
    return (ours - reference).abs().max().item()


def _first_rgb(dataset, limit: int) -> torch.Tensor:
    """The first ``limit`` items of a colorlib dataset as sRGB (N, 3, S, S) in [0, 1]."""
    return torch.stack([dataset[i]["rgb"] for i in range(min(limit, len(dataset)))])


def run(
    train_rgb: torch.Tensor,
    test_rgb: torch.Tensor,
    steps: int = 60,
    batch_size: int = 32,
    seed: int = 0,
    progress: bool = True,
) -> list[Check]:
    """Run the self-check on sRGB photos and return the report lines.

    Args:
        train_rgb: ``(N, 3, S, S)`` float sRGB in [0, 1], S in {32, 64}: photos the
            poster's CNN is trained on.
        test_rgb: ``(M, 3, S, S)``, held-out photos for the metrics.
        steps: Adam steps of the short training.
        batch_size: images per step.
        seed: torch seed for weights and batch order.
        progress: show a tqdm bar during training.
    """
    torch.manual_seed(seed)
    size = train_rgb.shape[-1]
    checks: list[Check] = []

    lab_error = _skimage_lab_error(test_rgb[:16])
    checks.append(
        Check("Lab vs skimage, max |error| (float64)", f"{lab_error:.2e}", lab_error <= 1e-4)
    )
    round_trip = (lab_to_rgb(rgb_to_lab(test_rgb)) - test_rgb).abs().max().item()
    checks.append(
        Check("RGB -> Lab -> RGB, max |error| (float32)", f"{round_trip:.2e}", round_trip <= 1e-4)
    )

    train_L, train_ab = split_lab(rgb_to_lab(train_rgb))
    test_L, test_ab = split_lab(rgb_to_lab(test_rgb))

    bins = gamut_mod.ABGamut()
    decoded = bins.decode(torch.log(bins.encode(test_ab[:8]) + 1e-12), T=0.01)
    decode_error = (decoded - test_ab[:8]).norm(dim=1).mean().item()
    checks.append(Check("ab bins derived from sRGB (Zhang: 313)", f"Q = {bins.Q}", bins.Q > 200))
    checks.append(
        Check(
            "encode -> decode (T=0.01), mean ab error", f"{decode_error:.2f}", decode_error <= 5.0
        )
    )

    networks = {
        "SeedCNN": models.SeedCNN(image_size=size),
        "ZhangNet (one logit per ab bin)": models.ZhangNet(bins=bins.Q),
        "UNetGenerator": models.UNetGenerator(image_size=size),
        "ResnetGenerator": models.ResnetGenerator(),
    }
    x = normalize_l(test_L[:2])
    for name, net in networks.items():
        with torch.no_grad():
            out = net.eval()(x)
        params = sum(p.numel() for p in net.parameters()) / 1e6
        ok = out.shape[0] == 2 and bool(torch.isfinite(out).all())
        checks.append(
            Check(f"{name}: params, output shape", f"{params:.2f} M, {tuple(out.shape)}", ok)
        )
    critic = models.PatchDiscriminator.for_image_size(size)
    with torch.no_grad():
        verdict = critic(merge_lab(x, normalize_ab(test_ab[:2])))
    checks.append(
        Check(
            "PatchDiscriminator: receptive field, output",
            f"{critic.receptive_field} px, {tuple(verdict.shape)}",
            verdict.dim() == 4,
        )
    )

    net = models.SeedCNN(image_size=size)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    inputs, targets = normalize_l(train_L), normalize_ab(train_ab)
    history = []
    start = time.perf_counter()
    bar = tqdm(range(steps), desc="training SeedCNN (L2)", disable=not progress, leave=False)
    for _ in bar:
        pick = torch.randint(0, len(inputs), (batch_size,))
        loss = losses.regression_loss(net.train()(inputs[pick]), targets[pick], "l2")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
        bar.set_postfix(loss=f"{loss.item():.4f}")
    seconds = time.perf_counter() - start
    window = max(1, steps // 3)  # average a third of the steps at each end: batches are noisy
    first, last = np.mean(history[:window]), np.mean(history[-window:])
    checks.append(
        Check(
            f"SeedCNN {steps} steps: train L2, first -> last {window}",
            f"{first:.4f} -> {last:.4f} ({seconds:.0f} s)",
            last < first,
        )
    )

    with torch.no_grad():
        predicted_ab = denormalize_ab(net.eval()(normalize_l(test_L)))
    gray_ab = torch.zeros_like(test_ab)
    for label, ab in (("gray guess (ab = 0)", gray_ab), ("SeedCNN", predicted_ab)):
        rgb = lab_to_rgb(merge_lab(test_L, ab))
        summary = (
            f"ab L2 {metrics.ab_l2(ab, test_ab).mean():.2f}, "
            f"AuC {metrics.ab_auc(ab, test_ab).mean():.3f}, "
            f"PSNR {metrics.psnr(rgb, test_rgb).mean():.2f} dB, "
            f"SSIM {metrics.ssim(rgb, test_rgb).mean():.3f}, "
            f"colorfulness {metrics.colorfulness(rgb).mean():.1f}"
        )
        checks.append(Check(f"test metrics, {label}", summary, bool(torch.isfinite(ab).all())))
    truth = metrics.colorfulness(test_rgb).mean()
    checks.append(Check("test colorfulness, ground truth", f"{truth:.1f}", True))
    return checks


def load_photos(size: int = 32, limit: int = 512) -> tuple[str, torch.Tensor, torch.Tensor]:
    """Training and test photos for :func:`run`: CIFAR-10 when found, else the sample.

    Returns:
        (description, train_rgb (N, 3, S, S), test_rgb (M, 3, S, S)), sRGB in [0, 1].
    """
    from colorlib import data

    train, source = data.load_or_sample("cifar10", "train", size=size)
    test, _ = data.load_or_sample("cifar10", "test", size=size)
    return source, _first_rgb(train, limit), _first_rgb(test, min(limit, 128))


def format_report(source: str, checks: list[Check]) -> str:
    """The report as aligned text lines, one check per line."""
    width = max(len(c.name) for c in checks)
    lines = [f"colorlib self-check on {source}"]
    lines += [f"  [{'ok' if c.passed else 'FAIL'}] {c.name:<{width}}  {c.value}" for c in checks]
    failed = sum(not c.passed for c in checks)
    lines.append(f"{len(checks) - failed} passed, {failed} failed")
    return "\n".join(lines)
