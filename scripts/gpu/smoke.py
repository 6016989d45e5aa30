"""A GPU smoke test before the long call: every task kind trains one short epoch on
random photos through fit() (mixed precision), and the two widest 64 px networks
report images per second. Prints one line per check; exits 1 if any fails.

    python3 scripts/gpu/smoke.py [--device cuda] [--images 512]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from colorlib import methods, train  # noqa: E402
from colorlib.lab import rgb_to_lab, split_lab  # noqa: E402


class RandomPhotos(torch.utils.data.Dataset):
    def __init__(self, count: int, size: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.rgb = torch.rand(count, 3, size, size, generator=g)
        self.L, self.ab = split_lab(rgb_to_lab(self.rgb))
        self.labels = torch.randint(0, 202, (count,), generator=g)

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> dict:
        return {"L": self.L[i], "ab": self.ab[i], "rgb": self.rgb[i], "label": int(self.labels[i])}


CHECKS = [
    ("SeedCNN 64 px, L2", "regression", 64, {"network": "SeedCNN"}),
    ("ZhangNet half, CE", "bins", 64, {"width": 0.5}),
    ("pix2pix 64 px", "pix2pix", 64, {"base_width": 32}),
    ("CycleGAN 64 px", "cyclegan", 64, {"base_width": 32}),
    ("ResNet-18 judge", "judge", 64,
     {"network": "TinyImageNetClassifier", "classes": 202, "augment": True}),
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--images", type=int, default=512)
    args = parser.parse_args()
    failed = 0
    for label, kind, size, kwargs in CHECKS:
        photos = RandomPhotos(args.images, size)
        try:
            task = methods.build(kind, size, **kwargs)
            if methods.get(kind).training_data is not None:
                photos = methods.get(kind).training_data(photos, 0)
            train.fit(task, photos, None, epochs=1, batch_size=64, device=args.device,
                      progress=False)  # warm-up  # fmt: skip
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            began = time.perf_counter()
            train.fit(task, photos, None, epochs=1, batch_size=64, device=args.device,
                      progress=False)  # fmt: skip
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            rate = len(photos) / (time.perf_counter() - began)
            print(f"[smoke] ok   {label}: {rate:,.0f} images/s (one epoch, batch 64)", flush=True)
        except Exception as err:  # report every kind, not only the first failure
            failed += 1
            print(f"[smoke] FAIL {label}: {type(err).__name__}: {err}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
