"""The colorizer contract, the pretrained registry, colorize() and the CLI around them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import colorlib
from colorlib import pretrained
from colorlib.colorizer import Colorizer, colorize
from colorlib.tasks import make_task
from colorlib.train import export_weights


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """A tiny weight export of each task kind (untrained; the contract is what matters)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("checkpoints")
    for kind in ("regression", "classification", "pix2pix"):
        task = make_task(kind, image_size=32, width=0.25)
        export_weights(task, folder / f"tiny-{kind}.pt", image_size=32, description=kind)
    return {"folder": folder}


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory, photos64) -> dict:
    """The awkward inputs a user has: gray, CMYK, 16-bit, RGBA, huge, and not an image."""
    folder = tmp_path_factory.mktemp("inputs")
    rgb = (photos64[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    image = Image.fromarray(rgb)
    image.convert("L").save(folder / "gray.jpg")
    image.convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 257).save(folder / "deep16.png")
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])).save(
        folder / "rgba.png"
    )
    image.resize((4000, 3000)).save(folder / "big.jpg", quality=80)
    (folder / "notes.txt").write_text("not an image")
    return {"folder": folder}


def test_available_lists_exports_and_load_gives_the_contract(exported):
    folder = exported["folder"]
    names = pretrained.available(folder)
    assert names == ["tiny-classification", "tiny-pix2pix", "tiny-regression"]
    L = torch.rand(3, 1, 32, 32) * 100
    for name in names:
        model = pretrained.load(name, root=folder)
        assert isinstance(model, Colorizer) and not model.training
        assert model.image_size == 32
        with torch.no_grad():
            ab = model(L)
        assert ab.shape == (3, 2, 32, 32) and ab.dtype == torch.float32
        assert ab.abs().max() <= 128  # Lab units, not ab / 110 or logits
        assert pretrained.describe(name, root=folder)["description"] in name


def test_classification_colorizer_decodes_bins_at_the_saved_temperature(exported):
    model = pretrained.load("tiny-classification", root=exported["folder"])
    assert model.gamut is not None and model.gamut.Q == 261 and model.T == pytest.approx(0.38)
    logits = torch.zeros(1, model.gamut.Q, 2, 2)
    logits[:, 5] = 50.0  # one bin dominates -> its centre, upsampled to the input size
    ab = model.to_ab(logits, (8, 8))
    assert torch.allclose(ab, model.gamut.centers[5].reshape(1, 2, 1, 1).expand(1, 2, 8, 8))


def test_unknown_and_corrupt_models_give_clear_errors(exported, tmp_path):
    with pytest.raises(ValueError, match="unknown model 'nope'.*tiny-regression"):
        pretrained.load("nope", root=exported["folder"])
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        pretrained.load(str(bad))


def test_shipped_registry_is_consistent():
    # every shipped file loads under the contract: L (N, 1, S, S) -> ab (N, 2, S, S)
    assert len(pretrained.available()) >= 13
    L = torch.linspace(0, 100, 64 * 64).reshape(1, 1, 64, 64)
    for name in pretrained.available():
        model = pretrained.load(name)
        S = model.image_size
        assert not model.training and S in (32, 64), name
        with torch.no_grad():
            ab = model(L[..., :S, :S].repeat(2, 1, 1, 1))
        assert ab.shape == (2, 2, S, S) and torch.isfinite(ab).all(), name
        assert ab.abs().max() < 128, name  # Lab units, not normalised


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "CMYK", "I;16"])
def test_colorize_keeps_size_and_lightness(exported, photos64, mode):
    model = pretrained.load("tiny-regression", root=exported["folder"])
    rgb = (photos64[1].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    image = Image.fromarray(rgb).resize((90, 50))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)
    else:
        image = image.convert(mode)
    out = colorize(model, image)
    assert out.shape == (50, 90, 3) and out.dtype == np.uint8
    # the output keeps the input's lightness (up to gamut clipping and 8-bit rounding)
    gray = colorlib.data.to_rgb_array(image)
    L_in = colorlib.rgb_to_lab(torch.from_numpy(np.array(gray)).permute(2, 0, 1))[0]
    L_out = colorlib.rgb_to_lab(torch.from_numpy(out).permute(2, 0, 1))[0]
    assert (L_in - L_out).abs().median() < 2.0


def test_colorize_accepts_numpy_arrays(exported):
    model = pretrained.load("tiny-regression", root=exported["folder"])
    for array in (
        np.zeros((20, 30), np.uint8),
        np.ones((20, 30, 3)),
        np.zeros((20, 30, 4), np.uint8),
    ):
        assert colorize(model, array).shape == (20, 30, 3)
    with pytest.raises(colorlib.data.BadImageError, match="expected"):
        colorize(model, np.zeros((20, 30, 2), np.uint8))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorlib", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_cli_colorize_handles_awkward_files_and_never_overwrites(exported, photo_files, tmp_path):
    folder, model = photo_files["folder"], str(exported["folder"] / "tiny-pix2pix.pt")
    good = ["gray.jpg", "cmyk.jpg", "deep16.png", "rgba.png", "big.jpg"]
    inputs = [str(folder / name) for name in [*good, "notes.txt", "missing.jpg"]]
    out = tmp_path / "out"
    result = run_cli("colorize", *inputs, str(out), "--model", model)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2  # one line per bad input, no traceback
    assert "notes.txt: not an image" in errors[0] and "missing.jpg: no such file" in errors[1]
    for name in good:
        with Image.open(out / f"{name.rsplit('.', 1)[0]}.png") as result_image:
            with Image.open(folder / name) as source:
                assert result_image.size == source.size and result_image.mode == "RGB"
    before = (out / "gray.png").read_bytes()
    (out / "gray.png").write_bytes(b"user's own file")
    again = run_cli("colorize", str(folder / "gray.jpg"), str(out), "--model", model)
    assert again.returncode == 1 and "--force" in again.stderr
    assert (out / "gray.png").read_bytes() == b"user's own file"
    forced = run_cli("colorize", str(folder / "gray.jpg"), str(out), "--model", model, "--force")
    assert forced.returncode == 0 and (out / "gray.png").read_bytes() == before


def test_cli_unknown_model_is_one_line(tmp_path):
    result = run_cli("colorize", "x.jpg", str(tmp_path), "--model", "nope")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown model 'nope'" in result.stderr


@pytest.mark.slow
def test_cli_train_exports_a_loadable_colorizer(tmp_path):
    export = tmp_path / "w.pt"
    args = ["train", "--task", "regression", "--dataset", "sample", "--size", "32",
            "--epochs", "1", "--batch-size", "32", "--limit", "64", "--no-progress",
            "--out", str(tmp_path / "run"), "--export", str(export)]  # fmt: skip
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "history.json").is_file()
    model = pretrained.load(str(export))
    assert model.image_size == 32
    again = run_cli(*args)
    assert again.returncode == 2 and "pass --force" in again.stderr
