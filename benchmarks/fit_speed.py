"""How much does colorlib.train.fit cost over a bare hand-written training loop?

Both train the poster's SeedCNN at 32 px with L2 loss and Adam on the same in-memory
data (the bundled sample photos, precomputed as Lab), with the same batch size and
the same DataLoader settings; fit runs without validation, checkpoints or progress
bars, so what is measured is the engine itself (per-epoch seeding, sampler, loss
bookkeeping and NaN checks). Each contender runs ``--repeats`` times, interleaved,
and the best run counts (this machine is shared and noisy).

    python benchmarks/fit_speed.py [--epochs 2] [--batch 64] [--repeats 5] [--threads 1]

Prints images/s for both and the overhead, ``bare / fit - 1`` in percent.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from colorlib.lab import normalize_ab, normalize_l, rgb_to_lab, split_lab
from colorlib.losses import regression_loss
from colorlib.models import SeedCNN
from colorlib.tasks import RegressionTask
from colorlib.train import fit, seed_everything

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "train"
SIZE = 32


class LabPhotos(Dataset):
    """The sample photos at 32 px, repeated ``copies`` times; items {"L", "ab", "rgb", "label"}."""

    def __init__(self, copies: int) -> None:
        images = []
        for path in sorted(SAMPLE.glob("*.jpg")):
            img = Image.open(path).convert("RGB").resize((SIZE, SIZE), Image.Resampling.BICUBIC)
            images.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1))
        self.rgb = (torch.stack(images).float() / 255.0).repeat(copies, 1, 1, 1)
        self.L, self.ab = split_lab(rgb_to_lab(self.rgb))

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> dict:
        return {"L": self.L[i], "ab": self.ab[i], "rgb": self.rgb[i], "label": i}


def bare_loop(data: Dataset, epochs: int, batch: int) -> int:
    """The minimal loop by hand; returns the number of images trained on."""
    torch.manual_seed(0)
    net = SeedCNN(image_size=SIZE)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    seen = 0
    for _ in range(epochs):
        for item in DataLoader(data, batch_size=batch, shuffle=True, drop_last=True):
            pred = net(normalize_l(item["L"]))
            loss = regression_loss(pred, normalize_ab(item["ab"]), "l2")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += len(pred)
    return seen


def engine(data: Dataset, epochs: int, batch: int) -> int:
    torch.manual_seed(0)
    task = RegressionTask(SeedCNN(image_size=SIZE), loss="l2", lr=1e-3)
    history = fit(task, data, epochs=epochs, batch_size=batch, device="cpu", precision="fp32",
                  progress=False)  # float32, as the bare loop it is measured against
    return history[-1]["step"] * batch


def images_per_second(run, data: Dataset, epochs: int, batch: int) -> float:
    start = time.perf_counter()
    images = run(data, epochs, batch)
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=4, help="repeats of the 191 photos")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: least noisy)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seed_everything(0)  # fit turns deterministic kernels on for the process: same for both
    data = LabPhotos(args.copies)
    images_per_second(bare_loop, data, 1, args.batch)  # warm-up: allocator, kernels
    best = {"bare": 0.0, "fit": 0.0}
    for _ in range(args.repeats):
        for name, run in (("bare", bare_loop), ("fit", engine)):
            best[name] = max(best[name], images_per_second(run, data, args.epochs, args.batch))
    overhead = 100.0 * (best["bare"] / best["fit"] - 1.0)
    print(
        f"SeedCNN {SIZE} px, {len(data)} images, batch {args.batch}, {args.epochs} epochs, "
        f"{args.threads} thread(s), best of {args.repeats}"
    )
    print(f"bare loop : {best['bare']:8.1f} images/s")
    print(f"fit()     : {best['fit']:8.1f} images/s")
    print(f"overhead  : {overhead:+.1f} % (target <= 10 %)")


if __name__ == "__main__":
    main()
