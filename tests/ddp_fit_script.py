"""Entry script for the DDP test: ``torchrun --nproc_per_node=K ddp_fit_script.py OUT``.

Trains a small BatchNorm-free convolutional regressor on random-but-seeded photos
(so every rank's gradient is an exact mean over the global batch), and rank 0 writes
``OUT/history.json`` through :func:`colorlib.train.fit`. Also imported by
``tests/test_train.py`` to run the same job in one process.
"""

from __future__ import annotations

import sys

import torch
from torch import nn
from torch.utils.data import Dataset

from colorlib.lab import rgb_to_lab, split_lab
from colorlib.tasks import RegressionTask
from colorlib.train import fit

GLOBAL_BATCH = 8
EPOCHS = 2


class SmoothPhotos(Dataset):
    """32 seeded smooth colour images, 16 px: dicts of L, ab, rgb, label."""

    def __init__(self, n: int = 32, size: int = 16) -> None:
        g = torch.Generator().manual_seed(123)
        coarse = torch.rand(n, 3, 4, 4, generator=g)
        self.rgb = nn.functional.interpolate(coarse, size=size, mode="bilinear")
        self.L, self.ab = split_lab(rgb_to_lab(self.rgb))

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> dict:
        return {"L": self.L[i], "ab": self.ab[i], "rgb": self.rgb[i], "label": 0}


def make_task() -> RegressionTask:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 2, 3, padding=1))
    return RegressionTask(net, loss="l2", lr=1e-2)


def run(out_dir: str) -> list[dict]:
    data = SmoothPhotos()
    return fit(
        make_task(),
        data,
        data,
        epochs=EPOCHS,
        batch_size=GLOBAL_BATCH,
        checkpoint_dir=out_dir,
        resume=False,
        device="cpu",
        precision="fp32",  # float32: the two runs may differ only by summation order
        progress=False,
    )


if __name__ == "__main__":
    run(sys.argv[1])
