"""Copy what the full runs read into a folder small enough to send to a rented GPU.

The full profiles train on the ImageNet 64x64 and 32x32 subsets (copied whole) and
on a 10,000-image random subset of CIFAR-10 (the GANs). The CIFAR copy holds exactly
the training images and validation images that ``colorlib.experiments`` draws from
the whole dataset (seeded), so a run on the copy sees the same images as a run on
the whole dataset (in another order). The script checks that before it finishes.

    python scripts/gpu/pack_data.py ../shared/datasets .gpu/datasets
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from colorlib import data  # noqa: E402


def _cifar_files(root: Path, split: str) -> list[Path]:
    """The class-folder files in the order colorlib.data reads them."""
    return sorted((root / "cifar10" / split).glob("*/*.jpg"))


def _image_set(dataset) -> set[bytes]:
    return {bytes(dataset[i]["rgb"].mul(255).round().byte().numpy()) for i in range(len(dataset))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the datasets folder (../shared/datasets)")
    parser.add_argument("target", type=Path, help="the compact copy to write")
    parser.add_argument("--cifar-images", type=int, default=10_000, help="default 10000")
    args = parser.parse_args()
    for name in ("imagenet64", "imagenet32"):
        shutil.copytree(args.source / name, args.target / name, dirs_exist_ok=True)
    count = args.cifar_images
    for split, wanted in (("train", count), ("test", count // 5)):
        files = _cifar_files(args.source, split)
        full = data.load("cifar10", split, root=args.source)
        if len(files) != len(full):
            raise SystemExit(f"pack_data: {len(files)} files but {len(full)} images in {split}")
        chosen = data.random_subset(full, wanted)
        for index in chosen.indices:
            source = files[index]
            target = args.target / "cifar10" / split / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        copy = data.load("cifar10", split, root=args.target)
        if len(copy) != wanted or _image_set(copy) != _image_set(chosen):
            raise SystemExit(f"pack_data: the {split} copy differs from the seeded subset")
        print(f"cifar10/{split}: {wanted} images, the same as the seeded subset")
    size = sum(f.stat().st_size for f in args.target.rglob("*") if f.is_file())
    print(f"{args.target}: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    torch.set_num_threads(2)
    raise SystemExit(main())
