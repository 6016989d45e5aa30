"""colorlib.data.tinyimagenet and data.load("tinyimagenet"): tiny copies of the official layout.

The datasets are built in tmp_path: an extracted ``tiny-imagenet-200/`` folder and zips
of it (stored and deflated), with colourful photos, two colourless ones (a mode ``L``
JPEG and an RGB JPEG with R = G = B) and one corrupt file. Downloads go to a real HTTP
server on 127.0.0.1.

The test marked ``shared_data`` reads the real zip and runs only when COLORLIB_DATA
points at a folder that holds ``tiny-imagenet-200.zip`` (e.g. ``../shared/datasets``).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import socket
import struct
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

import colorlib
from colorlib import data
from colorlib.data import BadImageWarning, DatasetNotFoundError, roots, tinyimagenet

SHARED = os.environ.get("COLORLIB_DATA")  # read before any test changes it
REAL_PROJECT_DATA = data.PROJECT_DATA  # holds the bundled sample

# Deliberately not sorted: labels must index wnids.txt, not the sorted wnids.
WNIDS = ["n03000003", "n01000001", "n02000002"]
NAMES = {"n03000003": "teapot", "n01000001": "goldfish", "n02000002": "tabby cat"}
PER_CLASS = 4  # colourful train photos per class
VAL_LABELS = [2, 0, 1, 1, 0, 2, 0, 1, 2, 0, 1]  # val_0 .. val_10 (val_11 is colourless)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Each test gets its own cache and empty fallback roots (no real data leaks in)."""
    monkeypatch.setenv("COLORLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLORLIB_DATA", str(tmp_path / "no-env-root"))
    monkeypatch.setattr(roots, "PROJECT_DATA", tmp_path / "no-project-data")


# --------------------------------------------------------------- file builders


def colourful(seed: int, size: int = 64) -> np.ndarray:
    """uint8 (size, size, 3): 8x8 blocks of saturated random colours plus mild noise."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (8, 8, 3))
    image = np.kron(blocks, np.ones((size // 8, size // 8, 1)))
    image = image + rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def jpeg(path: Path, image: Image.Image) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=90)


def build_folder(base: Path, extra_train: int = 0) -> dict:
    """``base/tiny-imagenet-200/`` in the official layout. Returns what a reader must find.

    Train: PER_CLASS colourful photos per class (+ ``extra_train`` more in the first
    class); in the first class also a mode-L JPEG and an RGB JPEG with R = G = B
    (colourless), in the second a corrupt .JPEG; a class folder whose wnid is not in
    wnids.txt and a ``*_boxes.txt`` file, both to be ignored. Val: val_0 .. val_10
    colourful, val_11 mode L.
    """
    root = base / tinyimagenet.FOLDER
    root.mkdir(parents=True)
    (root / "wnids.txt").write_text("".join(f"{w}\n" for w in WNIDS))
    words = {**NAMES, "n09999999": "not a class here"}
    (root / "words.txt").write_text("".join(f"{w}\t{n}, other name\n" for w, n in words.items()))
    train: dict[str, int] = {}  # member path below tiny-imagenet-200/ -> label
    seed = 0
    for label, wnid in enumerate(WNIDS):
        count = PER_CLASS + (extra_train if label == 0 else 0)
        for k in range(count):
            relative = f"train/{wnid}/images/{wnid}_{k}.JPEG"
            jpeg(root / relative, Image.fromarray(colourful(seed)))
            train[relative] = label
            seed += 1
        (root / "train" / wnid / f"{wnid}_boxes.txt").write_text(f"{wnid}_0.JPEG\t0\t0\t9\t9\n")
    first, second = WNIDS[0], WNIDS[1]
    gray = colourful(100)[..., 0]
    jpeg(root / f"train/{first}/images/{first}_90.JPEG", Image.fromarray(gray, "L"))
    jpeg(root / f"train/{first}/images/{first}_91.JPEG", Image.fromarray(np.stack([gray] * 3, 2)))
    corrupt = root / f"train/{second}/images/{second}_99.JPEG"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    jpeg(root / "train/n09999999/images/n09999999_0.JPEG", Image.fromarray(colourful(101)))

    lines = []
    val: list[tuple[str, int]] = []
    for k, label in enumerate(VAL_LABELS):
        relative = f"val/images/val_{k}.JPEG"
        jpeg(root / relative, Image.fromarray(colourful(200 + k)))
        lines.append(f"val_{k}.JPEG\t{WNIDS[label]}\t{k}\t{k + 1}\t{k + 30}\t{k + 40}")
        val.append((relative, label))
    k = len(VAL_LABELS)
    jpeg(root / f"val/images/val_{k}.JPEG", Image.fromarray(colourful(300)[..., 1], "L"))
    lines.append(f"val_{k}.JPEG\t{WNIDS[0]}\t0\t0\t63\t63")
    # annotations in an order that is neither numeric nor sorted text
    order = [5, 11, 0, 10, 2, 1, 9, 3, 4, 8, 6, 7]
    (root / "val" / "val_annotations.txt").write_text("".join(lines[i] + "\n" for i in order))
    return {"root": root, "train": train, "val": val}


def build_zip(folder: Path, archive: Path, compression: int) -> Path:
    """Zip ``folder`` (a tiny-imagenet-200/ folder) as the official file does: entries
    ``tiny-imagenet-200/...``, directory entries included."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", compression=compression) as z:
        for path in sorted(folder.rglob("*")):
            z.write(path, f"{tinyimagenet.FOLDER}/{path.relative_to(folder).as_posix()}")
    return archive


@pytest.fixture
def tiny(tmp_path) -> dict:
    """Three data roots with the same dataset: folder, stored zip, deflated zip."""
    built = build_folder(tmp_path / "folder-root")
    stored = build_zip(built["root"], tmp_path / "stored-root" / tinyimagenet.ZIP_NAME,
                       zipfile.ZIP_STORED)  # fmt: skip
    deflated = build_zip(built["root"], tmp_path / "deflated-root" / tinyimagenet.ZIP_NAME,
                         zipfile.ZIP_DEFLATED)  # fmt: skip
    with zipfile.ZipFile(stored) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
    with zipfile.ZipFile(deflated) as z:
        assert zipfile.ZIP_DEFLATED in {i.compress_type for i in z.infolist()}
    return {
        **built,
        "folder_root": tmp_path / "folder-root",
        "stored_root": stored.parent,
        "deflated_root": deflated.parent,
        "zip": stored,
    }


def load(split: str, root: Path, size: int | None = None) -> data.LabImages:
    """data.load("tinyimagenet"), expecting the warning about the corrupt train photo."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = data.load("tinyimagenet", split, root=root, size=size)
    bad = [w for w in caught if issubclass(w.category, BadImageWarning)]
    assert len(bad) == (1 if split == "train" else 0)
    return ds


def decoded(folder: Path, relative: str) -> torch.Tensor:
    """uint8 (3, 64, 64): the photo decoded directly with Pillow."""
    with Image.open(folder / relative) as image:
        return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1)


def box_mean(images: torch.Tensor) -> torch.Tensor:
    """float (N, 3, S/2, S/2): the exact mean of each 2x2 block (no rounding)."""
    n, c, s, _ = images.shape
    return images.double().reshape(n, c, s // 2, 2, s // 2, 2).mean(dim=(3, 5))


# ------------------------------------------------------------------- reading


@pytest.mark.parametrize("where", ["folder_root", "stored_root", "deflated_root"])
def test_counts_labels_colourless_and_skipped(tiny, where):
    train, val = load("train", tiny[where]), load("val", tiny[where])
    assert isinstance(train, data.LabImages) and train.lab is None
    assert len(train) == len(WNIDS) * PER_CLASS == len(tiny["train"])
    assert len(val) == len(VAL_LABELS)
    assert train.colourless == 2 and val.colourless == 1
    assert len(train.skipped) == 1 and val.skipped == []
    assert f"{WNIDS[1]}_99.JPEG" in train.skipped[0]
    assert train.skipped[0].startswith("tiny-imagenet-200/train/")
    assert train.classes == val.classes == [NAMES[w] for w in WNIDS]
    assert torch.bincount(train.labels).tolist() == [PER_CLASS] * len(WNIDS)
    assert train.labels.dtype == torch.int64
    assert train.images.dtype == torch.uint8 and train.images.shape[1:] == (3, 64, 64)

    # every kept train photo is the right photo with its folder's label
    expected = {}
    for relative, label in tiny["train"].items():
        expected[decoded(tiny["root"], relative).numpy().tobytes()] = label
    pairs = zip(train.images, train.labels, strict=True)
    got = {img.numpy().tobytes(): int(lab) for img, lab in pairs}
    assert got == expected

    # val: annotation labels, in the numeric order of the file names (val_2 before val_10)
    assert val.labels.tolist() == VAL_LABELS
    for i, (relative, _) in enumerate(tiny["val"]):
        assert torch.equal(val.images[i], decoded(tiny["root"], relative))


def test_test_split_is_val_and_description(tiny):
    test, val = load("test", tiny["stored_root"]), load("val", tiny["stored_root"])
    assert torch.equal(test.images, val.images) and torch.equal(test.labels, val.labels)
    ds, text = data.load_or_sample("tinyimagenet", "test", root=tiny["stored_root"])
    assert len(ds) == len(VAL_LABELS)
    assert text.startswith("Tiny ImageNet val split: 11 images (1 colourless photos left out)")
    assert "64x64" in text and "(the root argument)" in text
    assert str(tiny["stored_root"]) not in text  # no absolute path
    _, train_text = data.load_or_sample("tinyimagenet", "train", root=tiny["stored_root"])
    assert train_text.startswith("Tiny ImageNet train split:")  # not "val" for every split


@pytest.mark.parametrize("size", [64, 32])
def test_items_are_lab_of_their_rgb(tiny, size):
    ds = load("train", tiny["stored_root"], size=size)
    assert ds.size == size
    batch = ds.__getitems__(list(range(len(ds))))
    for i in range(len(ds)):
        item = ds[i]
        assert item["L"].shape == (1, size, size) and item["L"].dtype == torch.float32
        assert item["ab"].shape == (2, size, size) and item["ab"].dtype == torch.float32
        assert item["rgb"].shape == (3, size, size)
        assert 0 <= item["L"].min() and item["L"].max() <= 100
        assert 0 <= item["rgb"].min() and item["rgb"].max() <= 1
        assert item["label"] == int(ds.labels[i])
        assert torch.equal(item["rgb"], ds.images[i].float() / 255)
        for key in ("L", "ab", "rgb"):
            torch.testing.assert_close(item[key], batch[i][key], atol=1e-4, rtol=0)
            torch.testing.assert_close(item[key], ds.__getitems__([i])[0][key], atol=1e-4, rtol=0)
        assert batch[i]["label"] == item["label"]
        L, ab = colorlib.split_lab(colorlib.rgb_to_lab(item["rgb"]))
        torch.testing.assert_close(item["L"], L, atol=1e-3, rtol=0)
        torch.testing.assert_close(item["ab"], ab, atol=1e-3, rtol=0)
    assert max(float(it["ab"].abs().amax()) for it in batch) > 20  # the photos have colour


def test_dataloader_batches(tiny):
    ds = load("train", tiny["stored_root"])
    loader = DataLoader(ds, batch_size=5, shuffle=True)
    batches = list(loader)
    assert sum(len(b["label"]) for b in batches) == len(ds)
    assert batches[0]["L"].shape == (5, 1, 64, 64) and batches[0]["ab"].shape == (5, 2, 64, 64)
    labels = torch.cat([b["label"] for b in batches])
    assert sorted(labels.tolist()) == sorted(ds.labels.tolist())


def test_zip_and_folder_give_identical_images(tiny):
    for split in ("train", "val"):
        folder = load(split, tiny["folder_root"])
        for where in ("stored_root", "deflated_root"):
            other = load(split, tiny[where])
            assert torch.equal(folder.images, other.images)
            assert torch.equal(folder.labels, other.labels)
            assert folder.colourless == other.colourless
            assert folder.skipped == other.skipped
    assert load("val", tiny["folder_root"]).source.endswith("tiny-imagenet-200")
    assert load("val", tiny["stored_root"]).source.endswith("tiny-imagenet-200.zip")


def test_folder_wins_over_zip_and_tinyimagenet_subfolder(tmp_path):
    both = tmp_path / "both"
    built = build_folder(both)
    build_zip(built["root"], both / tinyimagenet.ZIP_NAME, zipfile.ZIP_STORED)
    assert tinyimagenet.find(both) == both / tinyimagenet.FOLDER
    nested = tmp_path / "nested"
    build_zip(built["root"], nested / "tinyimagenet" / tinyimagenet.ZIP_NAME, zipfile.ZIP_STORED)
    assert tinyimagenet.find(nested) == nested / "tinyimagenet" / tinyimagenet.ZIP_NAME
    assert len(load("val", nested)) == len(VAL_LABELS)
    assert tinyimagenet.find(tmp_path / "empty") is None


def test_read_split_directly(tiny):
    content = tinyimagenet.read_split(tiny["zip"], "train", threads=2, progress=False)
    assert set(content) == {"images", "labels", "skipped", "colourless"}
    assert content["images"].shape == (len(WNIDS) * PER_CLASS, 3, 64, 64)
    assert content["colourless"] == 2 and len(content["skipped"]) == 1
    with pytest.raises(ValueError, match="wnids.txt"):
        tinyimagenet.read_split(tiny["root"] / "train", "train", progress=False)


def test_colourless_threshold():
    """RGB photos: colourless below 1% of pixels with a channel spread >= CHROMA_SPREAD."""
    gray = np.full((64, 64, 3), 120, dtype=np.uint8)

    def png(array: np.ndarray) -> bytes:  # lossless, so the spread is exact
        import io

        out = io.BytesIO()
        Image.fromarray(array).save(out, format="PNG")
        return out.getvalue()

    spread = tinyimagenet.CHROMA_SPREAD
    few, enough = gray.copy(), gray.copy()
    few.reshape(-1, 3)[:40, 0] += spread  # 40 / 4096 < 1%
    enough.reshape(-1, 3)[:41, 0] += spread  # 41 / 4096 > 1%
    weak = gray.copy()
    weak[..., 0] += spread - 1  # every pixel tinted, but below the spread
    assert tinyimagenet._decode(png(gray)) == (None, "colourless")
    assert tinyimagenet._decode(png(few)) == (None, "colourless")
    assert tinyimagenet._decode(png(weak)) == (None, "colourless")
    rgb, why = tinyimagenet._decode(png(enough))
    assert why == "" and np.array_equal(rgb, enough)
    rgb, why = tinyimagenet._decode(png(colourful(0, 32)))
    assert rgb is None and "32x32 pixels, expected 64x64" in why


# ------------------------------------------------------------------ 32 px


def test_box_downsample_by_hand():
    images = torch.tensor(
        [[[[0, 2, 10, 11], [4, 6, 13, 12], [255, 255, 1, 0], [255, 254, 0, 0]]] * 3],
        dtype=torch.uint8,
    )
    images[0, 1] = 255 - images[0, 1]
    # block means: (0+2+4+6)/4 = 3, (10+11+13+12)/4 = 11.5 -> a tie, avoided below,
    # so the second block is changed to 10, 11, 13, 13 -> 11.75 -> 12
    images[0, :, 1, 3] = torch.tensor([13, 255 - 13, 13], dtype=torch.uint8)
    out = tinyimagenet.box_downsample(images)
    assert out.dtype == torch.uint8 and out.shape == (1, 3, 2, 2)
    # (255+255+255+254)/4 = 254.75 -> 255; (1+0+0+0)/4 = 0.25 -> 0
    assert out[0, 0].tolist() == [[3, 12], [255, 0]]
    # 255 - v: 252, 243.25 -> 243, 0.25 -> 0, 254.75 -> 255
    assert out[0, 1].tolist() == [[252, 243], [0, 255]]
    assert out[0, 2].tolist() == [[3, 12], [255, 0]]
    # factor 4, channel 0: 1079 / 16 = 67.44 -> 67
    assert tinyimagenet.box_downsample(images, factor=4)[0, 0].tolist() == [[67]]
    with pytest.raises(ValueError):
        tinyimagenet.box_downsample(images.float())
    with pytest.raises(ValueError):
        tinyimagenet.box_downsample(torch.zeros((1, 3, 5, 5), dtype=torch.uint8))


def test_size_32_is_the_box_mean_of_64(tiny):
    for split in ("train", "val"):
        big = load(split, tiny["stored_root"])
        small = load(split, tiny["stored_root"], size=32)
        assert small.images.shape == (len(big), 3, 32, 32) and small.images.dtype == torch.uint8
        assert (small.images.double() - box_mean(big.images)).abs().max() <= 0.5
        assert torch.equal(small.labels, big.labels)
        assert small.colourless == big.colourless and small.skipped == big.skipped


def test_bad_size_raises(tiny):
    for size in (48, 16, 128):
        with pytest.raises(ValueError, match="64x64"):
            data.load("tinyimagenet", "train", root=tiny["stored_root"], size=size)
    with pytest.raises(ValueError, match="split"):
        data.load("tinyimagenet", "training", root=tiny["stored_root"])


# ------------------------------------------------------------------- cache


def test_second_load_comes_from_the_cache(tiny, monkeypatch):
    cache = Path(os.environ["COLORLIB_CACHE"])
    first = load("train", tiny["stored_root"])
    small = load("train", tiny["stored_root"], size=32)
    names = sorted(p.name for p in cache.glob("*.pt"))
    assert len(names) == 2
    assert names[0].startswith("tinyimagenet32-train-")
    assert names[1].startswith("tinyimagenet64-train-")

    def no_decoding(*args, **kwargs):
        raise AssertionError("read_split called although the cache is valid")

    monkeypatch.setattr(tinyimagenet, "read_split", no_decoding)
    second = load("train", tiny["stored_root"])
    second_small = load("train", tiny["stored_root"], size=32)
    assert torch.equal(first.images, second.images) and torch.equal(first.labels, second.labels)
    assert torch.equal(small.images, second_small.images)
    assert second.colourless == 2 and len(second.skipped) == 1
    assert second.classes == first.classes
    torch.testing.assert_close(second[3]["ab"], first[3]["ab"])


def test_a_changed_zip_is_read_again(tiny, tmp_path):
    root = tmp_path / "changing"
    built = build_folder(tmp_path / "src")
    build_zip(built["root"], root / tinyimagenet.ZIP_NAME, zipfile.ZIP_STORED)
    assert len(load("train", root)) == len(WNIDS) * PER_CLASS
    shutil.rmtree(tmp_path / "src")
    built = build_folder(tmp_path / "src", extra_train=2)
    build_zip(built["root"], root / tinyimagenet.ZIP_NAME, zipfile.ZIP_STORED)
    assert len(load("train", root)) == len(WNIDS) * PER_CLASS + 2
    cache = Path(os.environ["COLORLIB_CACHE"])
    assert len(list(cache.glob("tinyimagenet64-train-*.pt"))) == 1  # the stale one is gone


# ------------------------------------------------------------ not found


def test_missing_dataset_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetNotFoundError) as err:
        data.load("tinyimagenet", "train", root=empty)
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert "tiny-imagenet-200.zip" in message
    assert str(empty / tinyimagenet.ZIP_NAME) in message
    assert str(empty / "tinyimagenet" / tinyimagenet.ZIP_NAME) in message
    assert str(tmp_path / "no-env-root" / tinyimagenet.FOLDER) in message
    assert "download=True" in message and "COLORLIB_DATA" in message
    assert list(empty.iterdir()) == []  # nothing downloaded without download=True


def test_load_or_sample_falls_back_to_the_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(roots, "PROJECT_DATA", REAL_PROJECT_DATA)
    if not (REAL_PROJECT_DATA / "sample" / "test").is_dir():
        pytest.skip("the bundled sample (data/sample/test) is missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    ds, text = data.load_or_sample("tinyimagenet", "test", root=empty)
    assert isinstance(ds, data.PhotoFolder) and ds.size == 64
    assert Path(ds.folder).parent.name == "sample"
    assert text.startswith("the bundled sample (")
    assert "Tiny ImageNet not found" in text and "COLORLIB_DATA" in text
    assert str(empty) not in text


# ------------------------------------------------------------------ download


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over tmp_path/served, which holds a small tiny-imagenet-200.zip."""
    served = tmp_path / "served"
    built = build_folder(tmp_path / "src")
    archive = build_zip(built["root"], served / tinyimagenet.ZIP_NAME, zipfile.ZIP_DEFLATED)
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{httpd.server_address[1]}/{tinyimagenet.ZIP_NAME}",
            "zip": archive,
            "md5": hashlib.md5(archive.read_bytes()).hexdigest(),
            "requests": requests,
        }
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_download(server, tmp_path):
    folder = tmp_path / "new" / "root"  # created by download
    path = tinyimagenet.download(folder, url=server["url"], md5=server["md5"], progress=False)
    assert path == folder / tinyimagenet.ZIP_NAME
    assert path.read_bytes() == server["zip"].read_bytes()
    assert os.listdir(folder) == [tinyimagenet.ZIP_NAME]  # no .part left
    assert server["requests"] == [f"/{tinyimagenet.ZIP_NAME}"]
    assert tinyimagenet.find(folder) == path


def test_download_with_a_wrong_md5_keeps_nothing(server, tmp_path):
    folder = tmp_path / "root"
    with pytest.raises(ValueError, match="md5") as err:
        tinyimagenet.download(folder, url=server["url"], md5="0" * 32, progress=False)
    assert server["md5"] in str(err.value)
    assert os.listdir(folder) == []  # neither the zip nor a .part file


def test_download_errors_name_the_url(server, tmp_path):
    with socket.socket() as sock:  # a port on which nobody listens any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = f"http://127.0.0.1:{port}/{tinyimagenet.ZIP_NAME}"
    folder = tmp_path / "root"
    with pytest.raises(OSError, match=closed.replace(".", r"\.")):
        tinyimagenet.download(folder, url=closed, md5=server["md5"], progress=False)
    assert os.listdir(folder) == []
    missing = server["url"].replace(tinyimagenet.ZIP_NAME, "nothing-here.zip")
    with pytest.raises(OSError, match="nothing-here.zip"):
        tinyimagenet.download(folder, url=missing, md5=server["md5"], progress=False)
    assert os.listdir(folder) == []


def test_an_existing_zip_is_not_fetched_again(server, tmp_path):
    folder = tmp_path / "root"
    folder.mkdir()
    existing = folder / tinyimagenet.ZIP_NAME
    existing.write_bytes(b"already here")
    path = tinyimagenet.download(folder, url=server["url"], md5=server["md5"], progress=False)
    assert path == existing and existing.read_bytes() == b"already here"
    assert server["requests"] == []


def test_load_with_download(server, tmp_path, monkeypatch):
    # download()'s url/md5 defaults are bound when it is defined: patch the function.
    fetch = functools.partial(
        tinyimagenet.download, url=server["url"], md5=server["md5"], progress=False
    )
    monkeypatch.setattr(tinyimagenet, "download", fetch)
    root = tmp_path / "empty-root"
    root.mkdir()
    with pytest.warns(BadImageWarning):
        ds = data.load("tinyimagenet", "train", root=root, download=True)
    assert (root / tinyimagenet.ZIP_NAME).read_bytes() == server["zip"].read_bytes()
    assert len(ds) == len(WNIDS) * PER_CLASS and ds.colourless == 2
    assert ds.source == str(root / tinyimagenet.ZIP_NAME)
    val = data.load("tinyimagenet", "val", root=root, download=True)  # already there
    assert len(val) == len(VAL_LABELS)
    assert server["requests"] == [f"/{tinyimagenet.ZIP_NAME}"]  # fetched once


def test_download_false_does_not_fetch(server, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("download called with download=False")

    monkeypatch.setattr(tinyimagenet, "download", refuse)
    with pytest.raises(DatasetNotFoundError):
        data.load("tinyimagenet", "train", root=tmp_path / "empty")


# ---------------------------------------------------------------- real shared data


def shared_zip_root() -> Path:
    if not SHARED or not (Path(SHARED) / tinyimagenet.ZIP_NAME).is_file():
        pytest.skip(f"needs COLORLIB_DATA with {tinyimagenet.ZIP_NAME} (e.g. ../shared/datasets)")
    return Path(SHARED)


@pytest.mark.shared_data
@pytest.mark.slow
def test_shared_tinyimagenet():
    """The real zip: reads 100k photos once (about a minute), then the cache."""
    root = shared_zip_root()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BadImageWarning)
            train = data.load("tinyimagenet", "train", root=root)
            val = data.load("tinyimagenet", "val", root=root)
            train32 = data.load("tinyimagenet", "train", root=root, size=32)
            val32 = data.load("tinyimagenet", "val", root=root, size=32)
        assert len(train) >= 95_000 and len(val) >= 9_500
        assert (len(train32), len(val32)) == (len(train), len(val))
        assert train32.size == 32 and train.size == 64
        assert len(train.classes) == len(val.classes) >= 200
        assert int(train.labels.max()) == len(train.classes) - 1 and int(train.labels.min()) == 0
        # about 2% colourless, and almost nothing unreadable
        total = len(train) + train.colourless + len(train.skipped)
        assert 0.005 < train.colourless / total < 0.05 and len(train.skipped) < 100
        item = val[0]
        assert item["L"].shape == (1, 64, 64) and item["ab"].shape == (2, 64, 64)
        assert (val32.images[:50].double() - box_mean(val.images[:50])).abs().max() <= 0.5
    finally:
        shutil.rmtree(os.environ["COLORLIB_CACHE"], ignore_errors=True)  # 1.3 GB


def test_a_damaged_zip_or_an_empty_folder_gets_a_clear_error(tmp_path):
    bad = tmp_path / "root" / "tiny-imagenet-200.zip"
    bad.parent.mkdir()
    bad.write_text("<html>not found</html>")
    with pytest.raises(ValueError, match="not a zip file"):
        data.load("tinyimagenet", "val", root=bad.parent)
    folder = tmp_path / "other" / "tiny-imagenet-200"
    (folder / "train").mkdir(parents=True)
    (folder / "wnids.txt").write_text("n01\n")
    with pytest.raises(ValueError, match="no train photos"):
        data.load("tinyimagenet", "train", root=folder.parent)


def test_a_corrupt_zip_member_is_skipped_and_counted(tiny):
    """Defect D6: one member with a bad CRC-32 (a flipped byte in a stored JPEG)
    aborted the whole load with zipfile.BadZipFile; it is one more skipped photo."""
    member = f"{tinyimagenet.FOLDER}/train/{WNIDS[2]}/images/{WNIDS[2]}_0.JPEG"
    with zipfile.ZipFile(tiny["zip"]) as z:
        info = z.getinfo(member)
    with open(tiny["zip"], "r+b") as f:  # the data follow the 30-byte local header
        f.seek(info.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", f.read(4))
        f.seek(info.header_offset + 30 + name_length + extra_length + info.file_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    train = load("train", tiny["stored_root"])
    assert len(train) == len(WNIDS) * PER_CLASS - 1
    assert len(train.skipped) == 2
    assert any(member in line and "BadZipFile" in line for line in train.skipped)
