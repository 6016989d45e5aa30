"""colorlib.data: official formats built small in tmp_path, bad files, roots, cache.

Tests marked ``shared_data`` read the real datasets and run only when COLORLIB_DATA
points at a folder that holds them (e.g. ``COLORLIB_DATA=../shared/datasets``).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

import colorlib
from colorlib import data
from colorlib.data import (
    BadImageError,
    BadImageWarning,
    DatasetNotFoundError,
    cache,
    cifar10,
    photos,
    roots,
)

SHARED = os.environ.get("COLORLIB_DATA")  # read before any test changes it


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Each test gets its own cache and empty fallback roots (no real data leaks in)."""
    monkeypatch.setenv("COLORLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLORLIB_DATA", str(tmp_path / "no-env-root"))
    monkeypatch.setattr(roots, "PROJECT_DATA", tmp_path / "no-project-data")


def random_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """uint8 (n, 3, size, size) noise."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=gen, dtype=torch.uint8)


# --------------------------------------------------------------- file builders


def write_cifar_batches(folder: Path, train: torch.Tensor, test: torch.Tensor) -> None:
    """Official-format cifar-10-batches-py: 5 train batches, test_batch, batches.meta.

    Labels are index % 10. Written as Python 3 protocol-2 pickles with bytes keys.
    """
    folder.mkdir(parents=True)

    def dump(name: str, images: torch.Tensor, first: int) -> None:
        labels = [(first + i) % 10 for i in range(len(images))]
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels,
            b"data": images.reshape(len(images), -1).numpy(),
            b"filenames": [f"{first + i}.png".encode() for i in range(len(images))],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))

    chunks = train.chunk(5)
    start = 0
    for k, chunk in enumerate(chunks, 1):
        dump(f"data_batch_{k}", chunk, start)
        start += len(chunk)
    dump("test_batch", test, 0)
    meta = {b"label_names": [c.encode() for c in data.CIFAR10_CLASSES], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))


def write_npz(path: Path, images: torch.Tensor, labels: list[int]) -> None:
    """Downsampled ImageNet npz: each row is the R plane, then G, then B (row-major)."""
    rows = [np.concatenate([img[c].numpy().ravel() for c in range(3)]) for img in images]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, data=np.stack(rows), labels=np.array(labels, dtype=np.int64))


def png16(array: np.ndarray) -> bytes:
    """A 16-bit PNG (grayscale (H, W) or RGB (H, W, 3)), written byte by byte."""
    rgb = array.ndim == 3
    h, w = array.shape[:2]
    rows = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 16, 2 if rgb else 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def save_photo(path: Path, size=(48, 40), seed: int = 0, fmt: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(array).save(path, format=fmt)


def gradient(mode_size=(40, 32)) -> np.ndarray:
    w, h = mode_size
    return (np.add.outer(np.arange(h), np.arange(w)) * 3 % 256).astype(np.uint8)


GOOD_KINDS = {
    "rgb.jpg", "rgb.png", "cmyk.jpg", "cmyk.tif", "gray16.png", "rgb16.png",
    "palette.png", "palette_transparent.png", "rgba.png", "la.png", "gray.jpg", "bilevel.png",
}  # fmt: skip
BAD_KINDS = {"truncated.jpg", "corrupt.png", "text.jpg", "empty.png", "float.tif"}


def write_bad_folder(folder: Path) -> None:
    """Every kind of odd file: GOOD_KINDS convert, BAD_KINDS must be skipped."""
    folder.mkdir(parents=True)
    rgb = np.stack([gradient(), gradient()[::-1], np.full((32, 40), 90, np.uint8)], axis=-1)
    Image.fromarray(rgb).save(folder / "rgb.jpg", quality=95)
    Image.fromarray(rgb).save(folder / "rgb.png")
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.tif")
    (folder / "gray16.png").write_bytes(png16(gradient().astype(np.uint16) * 257))
    (folder / "rgb16.png").write_bytes(png16(rgb.astype(np.uint16) * 257))
    Image.fromarray(rgb).quantize(16).save(folder / "palette.png")
    palette = Image.fromarray(rgb).quantize(16)
    palette.save(folder / "palette_transparent.png", transparency=0)
    alpha = np.full((32, 40), 255, np.uint8)
    alpha[:, :20] = 0  # left half fully transparent
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(folder / "rgba.png")
    Image.fromarray(np.dstack([gradient(), alpha]), "LA").save(folder / "la.png")
    Image.fromarray(gradient()).save(folder / "gray.jpg")
    Image.fromarray(gradient() > 128).save(folder / "bilevel.png")
    whole = (folder / "rgb.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    png = (folder / "rgb.png").read_bytes()
    (folder / "corrupt.png").write_bytes(png[:40] + bytes(range(256)) * 4)
    (folder / "text.jpg").write_text("this is not a picture\n")
    (folder / "empty.png").write_bytes(b"")
    Image.fromarray(gradient().astype(np.float32) / 255.0, "F").save(folder / "float.tif")
    (folder / "notes.txt").write_text("not an image suffix: ignored, not counted")


# ------------------------------------------------------------------ item checks


def check_items(dataset, size: int, lab_atol: float, n: int = 3) -> None:
    """Keys, shapes, dtypes, ranges, and L/ab == rgb_to_lab(rgb)."""
    for i in range(min(n, len(dataset))):
        item = dataset[i]
        assert set(item) == {"L", "ab", "rgb", "label"}
        assert item["L"].shape == (1, size, size) and item["L"].dtype == torch.float32
        assert item["ab"].shape == (2, size, size) and item["ab"].dtype == torch.float32
        assert item["rgb"].shape == (3, size, size) and item["rgb"].dtype == torch.float32
        assert isinstance(item["label"], int)
        assert 0.0 <= item["rgb"].min() and item["rgb"].max() <= 1.0
        assert -0.05 <= item["L"].min() and item["L"].max() <= 100.05
        assert item["ab"].abs().max() < 128.0
        L, ab = colorlib.split_lab(colorlib.rgb_to_lab(item["rgb"]))
        torch.testing.assert_close(item["L"], L, atol=lab_atol, rtol=0)
        torch.testing.assert_close(item["ab"], ab, atol=lab_atol, rtol=0)


def rgb_uint8(item: dict) -> torch.Tensor:
    return (item["rgb"] * 255).round().to(torch.uint8)


# --------------------------------------------------------------------- CIFAR-10


def test_cifar_official_batches_round_trip(tmp_path):
    train, test = random_images(25, 32, seed=1), random_images(7, 32, seed=2)
    write_cifar_batches(tmp_path / "cifar10" / "cifar-10-batches-py", train, test)

    ds_train = data.load("cifar10", "train", root=tmp_path)
    ds_test = data.load("cifar10", "test", root=tmp_path)

    assert len(ds_train) == 25 and len(ds_test) == 7
    assert torch.equal(ds_train.images, train) and torch.equal(ds_test.images, test)
    assert ds_train.labels.tolist() == [i % 10 for i in range(25)]
    assert torch.equal(rgb_uint8(ds_test[3]), test[3])
    assert ds_test[3]["label"] == 3
    assert ds_test.classes == data.CIFAR10_CLASSES
    check_items(ds_test, 32, lab_atol=0.04)  # Lab cached as float16


def test_cifar_batches_also_found_where_torchvision_puts_them(tmp_path):
    test = random_images(4, 32)
    write_cifar_batches(tmp_path / "cifar-10-batches-py", random_images(5, 32), test)
    assert torch.equal(data.load("cifar10", "test", root=tmp_path).images, test)


def test_torchvision_rejects_small_batches_so_we_read_them_ourselves(tmp_path):
    """Why colorlib unpickles the batches itself: torchvision md5-checks every file."""
    from torchvision.datasets import CIFAR10

    write_cifar_batches(
        tmp_path / "cifar-10-batches-py", random_images(5, 32), random_images(2, 32)
    )
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        CIFAR10(str(tmp_path), train=False, download=False)


def test_cifar_batches_refuse_arbitrary_pickled_objects(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar_batches(folder, random_images(5, 32), random_images(2, 32))
    evil = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": Path("/")}
    (folder / "test_batch").write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(ValueError, match="refusing to unpickle"):
        data.load("cifar10", "test", root=tmp_path)


def test_cifar_class_folders_use_cifar_label_order(tmp_path):
    images = random_images(6, 32, seed=3)
    split = tmp_path / "cifar10" / "test"
    for i, name in enumerate(["truck", "cat", "airplane"]):
        for j in range(2):
            path = split / name / f"{j:04d}.png"  # PNG: lossless, so pixels round-trip
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(images[2 * i + j].permute(1, 2, 0).numpy()).save(path)

    ds = data.load("cifar10", "test", root=tmp_path)

    # sorted folders: airplane, cat, truck -> CIFAR labels 0, 3, 9
    assert ds.labels.tolist() == [0, 0, 3, 3, 9, 9]
    assert torch.equal(ds.images, torch.cat([images[4:6], images[2:4], images[0:2]]))
    check_items(ds, 32, lab_atol=0.04)


def test_cifar_class_folders_reject_unknown_class(tmp_path):
    save_photo(tmp_path / "cifar10" / "test" / "unicorn" / "0000.png", size=(32, 32))
    with pytest.raises(ValueError, match="unicorn"):
        data.load("cifar10", "test", root=tmp_path)


def test_cifar_batches_win_over_class_folders_in_the_same_root(tmp_path):
    test = random_images(3, 32)
    write_cifar_batches(tmp_path / "cifar10" / "cifar-10-batches-py", random_images(5, 32), test)
    save_photo(tmp_path / "cifar10" / "test" / "cat" / "0000.png", size=(32, 32))
    assert len(data.load("cifar10", "test", root=tmp_path)) == 3


def test_cifar_download_goes_through_torchvision_only_when_asked(tmp_path, monkeypatch):
    calls = []

    class FakeCIFAR10:  # stands in for torchvision's: writes the batches, like a download
        def __init__(self, root, train, download):
            calls.append((Path(root), download))
            write_cifar_batches(Path(root) / "cifar-10-batches-py", random_images(5, 32), test)

    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    test = random_images(2, 32)
    with pytest.raises(DatasetNotFoundError):
        data.load("cifar10", "test", root=tmp_path / "r")
    assert calls == []

    ds = data.load("cifar10", "test", root=tmp_path / "r", download=True)
    assert calls == [(tmp_path / "r" / "cifar10", True)]
    assert torch.equal(ds.images, test)


# ------------------------------------------------------------ Downsampled ImageNet


def test_imagenet_npz_planes_labels_and_batch_order(tmp_path):
    # One image with a distinct value per channel and position: R, G, B planes.
    marked = torch.zeros(1, 3, 64, 64, dtype=torch.uint8)
    marked[0, 0, 0, 1], marked[0, 1, 2, 0], marked[0, 2, 63, 5] = 200, 150, 100
    batches = {1: random_images(3, 64, 1), 2: random_images(2, 64, 2), 10: marked}
    folder = tmp_path / "imagenet64"
    write_npz(folder / "train_data_batch_10.npz", batches[10], [1000])
    write_npz(folder / "train_data_batch_2.npz", batches[2], [5, 0])
    write_npz(folder / "train_data_batch_1.npz", batches[1], [1, 2, 3])
    val = random_images(2, 64, 3)
    write_npz(folder / "val_data.npz", val, [0, 7])

    train = data.load("imagenet64", "train", root=tmp_path)

    assert torch.equal(train.images, torch.cat([batches[1], batches[2], batches[10]]))
    assert train.labels.tolist() == [0, 1, 2, 4, -1, 999]  # 1-based -> 0-based, 0 -> -1
    last = rgb_uint8(train[5])
    assert last[0, 0, 1] == 200 and last[1, 2, 0] == 150 and last[2, 63, 5] == 100
    assert int(last.sum()) == 450
    check_items(train, 64, lab_atol=0.04)

    for split in ("test", "val"):
        ds = data.load("imagenet64", split, root=tmp_path)
        assert torch.equal(ds.images, val) and ds.labels.tolist() == [-1, 6]


def test_imagenet_official_folder_names(tmp_path):
    train, val = random_images(2, 32, 1), random_images(1, 32, 2)
    write_npz(tmp_path / "Imagenet32_train_npz" / "train_data_batch_1.npz", train, [1, 2])
    write_npz(tmp_path / "Imagenet32_val_npz" / "val_data.npz", val, [3])
    assert torch.equal(data.load("imagenet32", "train", root=tmp_path).images, train)
    ds = data.load("imagenet32", "val", root=tmp_path)
    assert torch.equal(ds.images, val) and ds.size == 32


def test_imagenet_broken_npz_is_one_clear_error(tmp_path):
    (tmp_path / "imagenet32").mkdir()
    (tmp_path / "imagenet32" / "val_data.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="val_data.npz is not a Downsampled ImageNet npz"):
        data.load("imagenet32", "test", root=tmp_path)
    write_npz(tmp_path / "imagenet32" / "val_data.npz", random_images(1, 64), [1])
    with pytest.raises(ValueError, match="expected uint8 \\(N, 3072\\) for 32x32"):
        data.load("imagenet32", "test", root=tmp_path)


def test_lab_images_from_tensors():
    images = random_images(4, 8)
    ds = data.LabImages(images, colorlib.rgb_to_lab(images), torch.tensor([0, 1, 2, -1]))
    assert len(ds) == 4 and ds.size == 8 and ds[3]["label"] == -1
    check_items(ds, 8, lab_atol=1e-4)  # uint8 table vs float path
    with pytest.raises(ValueError, match="uint8"):
        data.LabImages(images.float(), colorlib.rgb_to_lab(images), torch.zeros(4))


# ----------------------------------------------------------------- photo folders


def test_read_image_conversions(tmp_path):
    write_bad_folder(tmp_path / "odd")
    odd = tmp_path / "odd"
    rgb = data.read_image(odd / "rgb.png")
    assert rgb.dtype == torch.uint8 and rgb.shape == (3, 32, 40)

    gray16 = data.read_image(odd / "gray16.png")  # 16-bit scaled, not clipped at 255
    assert torch.equal(gray16[0], torch.from_numpy(gradient())) and torch.equal(
        gray16[0], gray16[2]
    )
    assert torch.equal(data.read_image(odd / "rgb16.png"), rgb)

    rgba = data.read_image(odd / "rgba.png")  # transparent half composited on white
    assert (rgba[:, :, :20] == 255).all() and torch.equal(rgba[:, :, 20:], rgb[:, :, 20:])
    la = data.read_image(odd / "la.png")
    assert (la[:, :, :20] == 255).all() and torch.equal(la[0, :, 20:], gray16[0, :, 20:])

    cmyk = data.read_image(odd / "cmyk.tif")  # Pillow's naive CMYK -> RGB: lossless here
    assert torch.equal(cmyk, rgb)
    assert (data.read_image(odd / "cmyk.jpg").float() - rgb.float()).abs().mean() < 6

    palette = data.read_image(odd / "palette_transparent.png")
    assert palette.shape == (3, 32, 40) and (palette == 255).all(dim=0).any()
    bilevel = data.read_image(odd / "bilevel.png")
    assert set(bilevel.unique().tolist()) == {0, 255}

    for name in BAD_KINDS:
        with pytest.raises(BadImageError):
            data.read_image(odd / name)


def test_bad_files_skipped_counted_once_and_epochs_survive(tmp_path):
    write_bad_folder(tmp_path / "odd")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = data.load(str(tmp_path / "odd"), "train", size=24)

    reports = [w for w in caught if issubclass(w.category, BadImageWarning)]
    assert len(reports) == 1 and f"skipped {len(BAD_KINDS)} of " in str(reports[0].message)
    assert {Path(f).name for f in ds.files} == GOOD_KINDS
    assert {Path(s.split(":")[0]).name for s in ds.skipped} == BAD_KINDS
    check_items(ds, 24, lab_atol=1e-3)

    # A file that breaks after the check is replaced at run time, with one warning.
    (tmp_path / "odd" / "rgb.png").write_bytes(b"gone bad")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):  # two epochs
            batches = list(DataLoader(ds, batch_size=5, shuffle=True))
    assert sum(len(b["label"]) for b in batches) == len(GOOD_KINDS)
    assert ds.substituted == 2
    assert sum(issubclass(w.category, BadImageWarning) for w in caught) == 1


def test_bad_files_dataloader_with_workers(tmp_path):
    write_bad_folder(tmp_path / "odd")
    with pytest.warns(BadImageWarning):
        ds = data.load(str(tmp_path / "odd"), "test", size=16)
    batch_count = sum(1 for _ in DataLoader(ds, batch_size=4, num_workers=2))
    assert batch_count == 3


def test_bad_check_is_cached_and_reported_again(tmp_path, monkeypatch):
    write_bad_folder(tmp_path / "odd")
    with pytest.warns(BadImageWarning):
        data.load(str(tmp_path / "odd"))
    monkeypatch.setattr(photos, "read_image", lambda path: pytest.fail("index not cached"))
    with pytest.warns(BadImageWarning, match=f"skipped {len(BAD_KINDS)} of"):
        ds = data.load(str(tmp_path / "odd"))
    assert len(ds) == len(GOOD_KINDS)


def test_photo_folder_splits_sizes_and_crops(tmp_path):
    for i in range(3):
        save_photo(tmp_path / "p" / "train" / f"{i}.jpg", size=(60, 45), seed=i)
    save_photo(tmp_path / "p" / "val" / "a.png", size=(45, 60))

    train = data.load(str(tmp_path / "p"), "train", size=32)
    assert len(train) == 3 and train.labels.tolist() == [-1, -1, -1]
    check_items(train, 32, lab_atol=1e-3)
    torch.manual_seed(1)
    crops = {tuple(rgb_uint8(train[0]).flatten()[:64].tolist()) for _ in range(4)}
    assert len(crops) > 1  # random crops differ

    test = data.load(str(tmp_path / "p"), "test")  # no test/: val/ is the test split
    assert len(test) == 1 and test[0]["rgb"].shape == (3, 64, 64)
    assert torch.equal(test[0]["rgb"], test[0]["rgb"])  # centre crop: deterministic
    check_items(test, 64, lab_atol=1e-3)

    save_photo(tmp_path / "flat" / "x.jpg")
    assert len(data.load(str(tmp_path / "flat"), "test")) == 1  # unsplit: used whole
    save_photo(tmp_path / "only" / "train" / "x.jpg")
    with pytest.raises(DatasetNotFoundError, match="test"):
        data.load(str(tmp_path / "only"), "test")


def test_photo_labels_from_index_json(tmp_path):
    save_photo(tmp_path / "ph" / "train" / "n01_tench.jpg")
    save_photo(tmp_path / "ph" / "train" / "n02_other.jpg")
    index = {
        "images": [{"file": "n01_tench.JPEG", "label": 1}, {"file": "n02_other.jpg", "label": 0}]
    }
    (tmp_path / "ph" / "index.json").write_text(json.dumps(index))
    ds = data.load(str(tmp_path / "ph"), "train")
    assert ds.labels.tolist() == [0, -1]


# -------------------------------------------------------------- roots and errors


def _sample_with(root: Path, n: int) -> None:
    for i in range(n):
        save_photo(root / "sample" / "test" / f"{i}.jpg", seed=i)


def test_root_resolution_order(tmp_path, monkeypatch):
    arg, env, project = tmp_path / "arg", tmp_path / "env", tmp_path / "project"
    _sample_with(arg, 1), _sample_with(env, 2), _sample_with(project, 3)
    monkeypatch.setenv("COLORLIB_DATA", str(env))
    monkeypatch.setattr(roots, "PROJECT_DATA", project)

    assert data.data_roots(arg) == [arg, env, project]
    assert len(data.load("sample", "test", root=arg)) == 1
    assert len(data.load("sample", "test")) == 2
    assert len(data.load("sample", "test", root=tmp_path / "empty")) == 2  # falls through
    monkeypatch.delenv("COLORLIB_DATA")
    assert data.data_roots() == [project]
    assert len(data.load("sample", "test")) == 3


def test_missing_dataset_error_names_every_place(tmp_path):
    arg = tmp_path / "arg"
    with pytest.raises(DatasetNotFoundError) as err:
        data.load("cifar10", "test", root=arg)
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    for root in (arg, tmp_path / "no-env-root", tmp_path / "no-project-data"):
        assert str(root / "cifar10" / "cifar-10-batches-py") in message
        assert str(root / "cifar-10-batches-py") in message
        assert str(root / "cifar10" / "test") in message
    assert "download=True" in message and "COLORLIB_DATA" in message

    with pytest.raises(DatasetNotFoundError) as err:
        data.load("imagenet64", "train", root=arg)
    message = str(err.value)
    for root in (arg, tmp_path / "no-env-root", tmp_path / "no-project-data"):
        assert str(root / "imagenet64") in message
    assert "image-net.org" in message and "COLORLIB_DATA" in message

    with pytest.raises(DatasetNotFoundError, match="no-project-data"):
        data.load("sample", root=arg)
    with pytest.raises(DatasetNotFoundError, match="nowhere"):
        data.load(str(tmp_path / "nowhere"))


def test_bad_arguments_are_clear_value_errors(tmp_path):
    with pytest.raises(ValueError, match="cifar10.*imagenet64.*sample"):
        data.load("mnist")
    with pytest.raises(ValueError, match="split"):
        data.load("cifar10", split="validation")
    with pytest.raises(ValueError, match="no val split"):
        data.load("cifar10", split="val")
    with pytest.raises(ValueError, match="32x32"):
        data.load("cifar10", size=64)
    with pytest.raises(ValueError, match="size"):
        data.load("sample", size=0)
    with pytest.raises(ValueError, match="size"):
        data.load("sample", size=32.0)
    with pytest.raises(ValueError, match="cifar10 and tinyimagenet only"):
        data.load("imagenet64", download=True)


# -------------------------------------------------------------------------- cache


def test_cache_is_used_then_invalidated_by_a_source_change(tmp_path, monkeypatch):
    batches = tmp_path / "cifar-10-batches-py"
    write_cifar_batches(batches, random_images(5, 32), random_images(3, 32, seed=1))
    first = data.load("cifar10", "test", root=tmp_path)
    cache_files = sorted((tmp_path / "cache").glob("cifar10-test-*.pt"))
    assert len(cache_files) == 1

    real_reader = cifar10.read_cifar_batches
    monkeypatch.setattr(cifar10, "read_cifar_batches", lambda files: pytest.fail("cache missed"))
    second = data.load("cifar10", "test", root=tmp_path)
    assert torch.equal(second.images, first.images) and torch.equal(second.lab, first.lab)

    new_test = random_images(4, 32, seed=2)  # rewrite the source: the cache must go stale
    (batches / "test_batch").unlink()
    write_cifar_batches(tmp_path / "tmp", random_images(5, 32), new_test)
    os.replace(tmp_path / "tmp" / "test_batch", batches / "test_batch")
    os.utime(batches / "test_batch", ns=(1, 1))
    read = []
    monkeypatch.setattr(
        cifar10, "read_cifar_batches", lambda files: read.append(1) or real_reader(files)
    )
    third = data.load("cifar10", "test", root=tmp_path)
    assert read == [1] and torch.equal(third.images, new_test)
    assert len(list((tmp_path / "cache").glob("cifar10-test-*.pt"))) == 1  # stale one removed
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_cache_touch_invalidates(tmp_path, monkeypatch):
    folder = tmp_path / "imagenet32"
    write_npz(folder / "val_data.npz", random_images(2, 32), [1, 2])
    data.load("imagenet32", "test", root=tmp_path)
    before = {p.name for p in (tmp_path / "cache").glob("*.pt")}
    stat = (folder / "val_data.npz").stat()
    os.utime(folder / "val_data.npz", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    data.load("imagenet32", "test", root=tmp_path)
    after = {p.name for p in (tmp_path / "cache").glob("*.pt")}
    assert len(after) == 1 and after != before


def test_unwritable_cache_only_warns(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("COLORLIB_CACHE", str(blocker / "cache"))
    write_npz(tmp_path / "imagenet32" / "val_data.npz", random_images(2, 32), [1, 2])
    with pytest.warns(UserWarning, match="could not write the cache"):
        ds = data.load("imagenet32", "test", root=tmp_path)
    assert len(ds) == 2


def ended_pid() -> int:
    """The PID of a process that has ended (and been reaped): a killed writer's."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout)


def test_temp_files_of_killed_writers_are_removed_and_never_read(tmp_path, monkeypatch):
    batches = tmp_path / "cifar-10-batches-py"
    test = random_images(3, 32, seed=1)
    write_cifar_batches(batches, random_images(5, 32), test)
    data.load("cifar10", "test", root=tmp_path)
    (final,) = (tmp_path / "cache").glob("cifar10-test-*.pt")
    partial = final.read_bytes()[:4096]
    final.unlink()  # the writer was killed before its os.replace
    host, day = cache.host_tag(), 24 * 3600
    names = {
        "killed": f"{final.name}.{host}.{ended_pid()}.k1ll3d.tmp",
        "live": f"{final.name}.{host}.{os.getpid()}.w0rk1n.tmp",
        "other host, recent": f"{final.name}.elsewhere.{ended_pid()}.r3c3nt.tmp",
        "other host, old": f"{final.name}.elsewhere.{ended_pid()}.0ld0ld.tmp",
        "unnamed writer, old": f"{final.name}q8x2z0ab.tmp",  # named before PIDs were
        "unnamed writer, recent": f"{final.name}r3c3nt0a.tmp",
    }
    for key, name in names.items():
        (final.parent / name).write_bytes(partial)
        if "old" in key:
            os.utime(final.parent / name, (time.time() - 2 * day,) * 2)

    read = []
    real_reader = cifar10.read_cifar_batches
    monkeypatch.setattr(
        cifar10, "read_cifar_batches", lambda files: read.append(1) or real_reader(files)
    )
    again = data.load("cifar10", "test", root=tmp_path)
    assert read == [1] and torch.equal(again.images, test)  # rebuilt, not read from a temp
    left = {p.name for p in final.parent.iterdir()}
    assert left == {final.name} | {
        names[k] for k in ("live", "other host, recent", "unnamed writer, recent")
    }
    monkeypatch.setattr(cifar10, "read_cifar_batches", lambda files: pytest.fail("cache missed"))
    assert torch.equal(data.load("cifar10", "test", root=tmp_path).images, test)


KILLED_WRITER = """
import os, signal, sys, torch
from colorlib import data

def save_then_die(content, path, *args, **kwargs):  # SIGKILL half-way through the write
    with open(path, "wb") as f:
        f.write(b"PK\\x03\\x04" + bytes(10_000))
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

torch.save = save_then_die
data.load("cifar10", "test", root=sys.argv[1])
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this platform")
def test_a_writer_killed_by_sigkill_leaves_nothing_the_next_load_keeps(tmp_path):
    test = random_images(3, 32, seed=1)
    write_cifar_batches(tmp_path / "cifar-10-batches-py", random_images(5, 32), test)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(tmp_path)], env=dict(os.environ),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    cache = tmp_path / "cache"
    (temp,) = cache.glob("*.tmp")  # what the killed writer left behind
    assert f".{os.getpid()}." not in temp.name and not list(cache.glob("*.pt"))
    ds = data.load("cifar10", "test", root=tmp_path)
    assert torch.equal(ds.images, test) and not list(cache.glob("*.tmp"))
    assert len(list(cache.glob("cifar10-test-*.pt"))) == 1


# ------------------------------------------------------------------ bundled sample


def test_sample_loads(monkeypatch):
    monkeypatch.setattr(roots, "PROJECT_DATA", Path(colorlib.__file__).parent.parent / "data")
    train, test = data.load("sample", "train"), data.load("sample", "test")
    assert len(train) == 191 and len(test) == 48
    assert not train.skipped and not test.skipped
    check_items(test, 64, lab_atol=1e-3, n=2)
    check_items(train, 64, lab_atol=1e-3, n=2)


# ---------------------------------------------------------------- real shared data


def shared_root(name: str) -> Path:
    if not SHARED or not (Path(SHARED) / name).is_dir():
        pytest.skip(f"needs COLORLIB_DATA with {name}/ (e.g. ../shared/datasets)")
    return Path(SHARED)


@pytest.mark.shared_data
def test_shared_cifar10_test():
    ds = data.load("cifar10", "test", root=shared_root("cifar10"))
    assert len(ds) == 10_000 and not ds.skipped
    assert ds.labels.unique().tolist() == list(range(10))
    assert torch.bincount(ds.labels).tolist() == [1000] * 10
    check_items(ds, 32, lab_atol=0.04)


@pytest.mark.shared_data
@pytest.mark.parametrize("name, size", [("imagenet64", 64), ("imagenet32", 32)])
def test_shared_imagenet_npz(name, size):
    root = shared_root(name)
    train, val = data.load(name, "train", root=root), data.load(name, "val", root=root)
    assert (len(train), len(val)) == (1800, 200)
    assert train.images.shape[1:] == (3, size, size)
    labels = torch.cat([train.labels, val.labels])
    assert labels.min() == -1 and labels.max() <= 999 and (labels == -1).sum() == 250
    check_items(val, size, lab_atol=0.04)


@pytest.mark.shared_data
def test_shared_imagenet_photos():
    root = shared_root("imagenet-photos") / "imagenet-photos"
    train, val = data.load(str(root), "train", size=64), data.load(str(root), "val")
    assert (len(train), len(val)) == (1800, 200)
    assert not train.skipped and not val.skipped
    tench = [i for i, f in enumerate(train.files) if Path(f).name == "n01440764_tench.jpg"]
    assert train.labels[tench[0]] == 0  # label from index.json, torchvision index
    check_items(train, 64, lab_atol=1e-3)
    check_items(val, 64, lab_atol=1e-3)


def test_random_subset_is_seeded_and_spreads_over_the_dataset():
    from colorlib.data import random_subset

    items = list(range(100))  # sorted "by class", as the CIFAR folders are
    a, b = random_subset(items, 10, seed=3), random_subset(items, 10, seed=3)
    assert a.indices == b.indices and len(set(a.indices)) == 10
    assert a.indices != random_subset(items, 10, seed=4).indices
    assert max(a.indices) > 50  # not the first ten
    assert sorted(random_subset(items, None).indices) == items
    assert len(random_subset(items, 1000)) == 100
