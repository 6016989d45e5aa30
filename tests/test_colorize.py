"""The colorizer contract, the pretrained registry, colorize() and the CLI around them."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import colorlib
import colorlib.colorizer
from colorlib import methods, pretrained
from colorlib.__main__ import main
from colorlib.checkpoint import export_weights
from colorlib.colorizer import Colorizer, colorize, predict_ab
from colorlib.photo_files import open_image


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """A tiny weight export of each task kind (untrained; the contract is what matters)."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("checkpoints")
    settings = {"regression": {}, "bins": {"width": 0.25}, "pix2pix": {"base_width": 8}}
    for method, values in settings.items():
        task = methods.build(method, 32, **values)
        kind = task.kind  # the files are named by the kind their checkpoints carry
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
    ab = model.decode(logits, (8, 8))
    assert torch.allclose(ab, model.gamut.centers[5].reshape(1, 2, 1, 1).expand(1, 2, 8, 8))
    assert torch.allclose(model.decode(logits, (8, 8), T=0.0), ab)  # the mode: the same bin
    mean = model.decode(torch.zeros_like(logits), (2, 2), T=1.0)  # uniform: the bins' mean
    assert torch.allclose(mean, model.gamut.centers.mean(0).reshape(1, 2, 1, 1).expand(1, 2, 2, 2),
                          atol=1e-4)  # fmt: skip
    assert model.T == pytest.approx(0.38)  # decoding at another T changes nothing


def test_unknown_and_corrupt_models_give_clear_errors(exported, tmp_path):
    with pytest.raises(ValueError, match="unknown model 'nope'.*tiny-regression"):
        pretrained.load("nope", root=exported["folder"])
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        pretrained.load(str(bad))


def test_export_keeps_values_beyond_fp16_and_refuses_inf(tmp_path):
    # a BatchNorm running_var past fp16's 65,504 (as bf16 training made in Zhang's net)
    # became inf as fp16 and silenced its channels; it must round-trip, and an inf refused
    torch.manual_seed(0)
    task = methods.build("bins", 32, width=0.25)
    net = task.nets["net"]
    name, bn = next((n, m) for n, m in net.named_modules() if isinstance(m, torch.nn.BatchNorm2d))
    bn.running_var.fill_(1.5e6)
    path = export_weights(task, tmp_path / "big-var.pt", image_size=32)
    loaded = pretrained.load(str(path))
    key = f"{name}.running_var"
    assert torch.equal(loaded.network.state_dict()[key], bn.running_var)
    L = torch.linspace(0, 100, 32 * 32).reshape(1, 1, 32, 32)
    with torch.no_grad():
        reference = Colorizer(net.eval(), image_size=32, gamut=task.gamut)(L)
        assert (loaded(L) - reference).abs().max() < 1.0  # Lab units; int8 kernels only
    raw = torch.load(path, weights_only=True)
    raw["state"]["nets"]["net"][key] = torch.full_like(bn.running_var, float("inf"))
    torch.save(raw, tmp_path / "inf.pt")
    with pytest.raises(ValueError, match=r"inf\.pt: its net weight .*running_var holds inf"):
        pretrained.load(str(tmp_path / "inf.pt"))
    raw["format"] = "colorlib.weights/2"  # written before the guard: loads, with a warning
    torch.save(raw, tmp_path / "legacy.pt")
    with pytest.warns(UserWarning, match=r"legacy\.pt: its net weight .* overflowed fp16"):
        pretrained.load(str(tmp_path / "legacy.pt"))


def test_shipped_registry_is_consistent():
    # every shipped file loads under the contract: L (N, 1, S, S) -> ab (N, 2, S, S);
    # one exported in the current format is refused if it holds inf (the legacy warn)
    assert len(pretrained.available()) >= 13
    L = torch.linspace(0, 100, 64 * 64).reshape(1, 1, 64, 64)
    for name in pretrained.available():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
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
    args = ["train", "--method", "regression", "--dataset", "sample", "--size", "32",
            "--epochs", "1", "--batch-size", "32", "--limit", "64", "--no-progress",
            "--out", str(tmp_path / "run"), "--export", str(export)]  # fmt: skip
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "history.json").is_file()
    model = pretrained.load(str(export))
    assert model.image_size == 32
    again = run_cli(*args)
    assert again.returncode == 2 and "pass --force" in again.stderr


# ------------------------------------------------- strips: bounded memory, same result


def _photo(photos64, index: int, size: tuple[int, int]) -> Image.Image:
    """One of the scikit-image photos as an RGB Pillow image of ``size`` (W, H)."""
    rgb = (photos64[index].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    return Image.fromarray(rgb).resize(size)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "CMYK"])
def test_colorize_in_strips_matches_the_whole_image(exported, photos64, mode):
    model = pretrained.load("tiny-regression", root=exported["folder"])
    image = _photo(photos64, 2, (97, 61)).convert(mode)
    reference = colorize(model, image, tile_rows=None).astype(int)
    for tile_rows in (1, 7, 60, 61, 500, "auto"):
        tiled = colorize(model, image, tile_rows=tile_rows)
        assert tiled.shape == (61, 97, 3) and tiled.dtype == np.uint8
        assert np.abs(tiled.astype(int) - reference).max() <= 1, tile_rows
    array = np.asarray(image.convert("RGB"))  # numpy input is cut into strips too
    assert np.abs(colorize(model, array, tile_rows=5).astype(int) - reference).max() <= 1
    # images smaller than the network's input (the resize then upsamples)
    small = _photo(photos64, 0, (20, 9))
    assert np.array_equal(
        colorize(model, small, tile_rows=2), colorize(model, small, tile_rows=None)
    )
    # shorter or narrower than it: the ab are shrunk, antialiased, on that side
    wide = _photo(photos64, 0, (97, 9))
    assert np.array_equal(colorize(model, wide, tile_rows=2), colorize(model, wide, tile_rows=None))
    tall = _photo(photos64, 0, (20, 61)).convert(mode)
    reference = colorize(model, tall, tile_rows=None).astype(int)
    assert np.abs(colorize(model, tall, tile_rows=7).astype(int) - reference).max() <= 1


def test_predict_ab_resizes_predicts_and_resizes_back(exported):
    model = pretrained.load("tiny-regression", root=exported["folder"])  # its side S is 32

    def bilinear(x, size, aa):
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=aa)

    L = torch.rand(2, 1, 50, 90, generator=torch.Generator().manual_seed(0)) * 100
    ab = predict_ab(model, L)
    assert ab.shape == (2, 2, 50, 90) and ab.dtype == torch.float32 and ab.device.type == "cpu"
    with torch.no_grad():  # a larger photo: L shrunk with antialiasing, the ab enlarged
        assert torch.equal(ab, bilinear(model(bilinear(L, (32, 32), True)), (50, 90), False))
        small = L[..., :9, :20]  # a smaller one: L enlarged, the ab shrunk with antialiasing
        expected = bilinear(model(bilinear(small, (32, 32), False)), (9, 20), True)
        assert torch.equal(predict_ab(model, small), expected)
        assert torch.equal(predict_ab(model, L[..., :32, :32]), model(L[..., :32, :32]))
    # colorize goes this way: its output is the photo's L merged with these ab
    rgb = (torch.rand(3, 9, 20, generator=torch.Generator().manual_seed(1)) * 255).byte()
    L_photo = colorlib.split_lab(colorlib.rgb_to_lab(rgb[None]))[0]
    merged = colorlib.lab_to_rgb(colorlib.merge_lab(L_photo, predict_ab(model, L_photo)))[0]
    expected = merged.mul(255).round().byte().permute(1, 2, 0).numpy()
    assert np.array_equal(colorize(model, rgb.permute(1, 2, 0).numpy(), tile_rows=None), expected)
    with pytest.raises(ValueError, match="no image_size"):
        predict_ab(torch.nn.Identity(), L)


def test_colorize_converts_one_strip_at_a_time(exported, photos64, monkeypatch):
    # bounded memory: no full-resolution float conversion of the whole image ever
    model = pretrained.load("tiny-regression", root=exported["folder"])
    image = _photo(photos64, 1, (100, 80))
    reference = colorize(model, image, tile_rows=None)
    pixels = []

    def recording(convert):
        def wrapper(x, *args, **kwargs):
            pixels.append(x.shape[-2] * x.shape[-1])
            return convert(x, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(colorlib.colorizer, "TILE_PIXELS", 1000)  # 10 rows of 100
    for name in ("rgb_to_lab", "lab_to_rgb"):
        monkeypatch.setattr(colorlib.colorizer, name, recording(getattr(colorlib.colorizer, name)))
    tiled = colorize(model, image)
    assert pixels and max(pixels) == 1000
    assert np.abs(tiled.astype(int) - reference.astype(int)).max() <= 1


def test_colorize_rejects_a_bad_tile_height(exported):
    model = pretrained.load("tiny-regression", root=exported["folder"])
    with pytest.raises(ValueError, match="tile_rows must be a positive int"):
        colorize(model, np.zeros((8, 8, 3), np.uint8), tile_rows=0)


def test_open_image_takes_big_photos_and_refuses_absurd_ones(tmp_path, monkeypatch):
    # a 12000x9000 photo (108 MP) is above Pillow's 89 MP warning but below its
    # 179 MP error: scaled down here by lowering Pillow's limit to 1,000 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    Image.new("RGB", (40, 30), (10, 200, 30)).save(tmp_path / "big.png")  # 1,200 pixels
    Image.new("RGB", (50, 50)).save(tmp_path / "absurd.png")  # 2,500 > 2 x 1,000
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a DecompressionBombWarning
        image = open_image(tmp_path / "big.png")
    assert image.size == (40, 30) and image.getpixel((0, 0)) == (10, 200, 30)
    image.close()
    with pytest.raises(
        colorlib.data.BadImageError, match=r"^too large to colorize: more than 2,000 pixels$"
    ):
        open_image(tmp_path / "absurd.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    monkeypatch.setattr(colorlib.photo_files, "max_pixels", lambda: 2000)  # our own check
    with pytest.raises(
        colorlib.data.BadImageError, match=r"more than 2,000 pixels \(50x50 = 2,500\)"
    ):
        open_image(tmp_path / "absurd.png")


# ------------------------------------------------------- the CLI's files, in-process


def colorize_cli(capsys, *args: str) -> tuple[int, list[str], list[str]]:
    """``python -m colorlib colorize ARGS`` in this process: (status, stdout, stderr lines)."""
    status = main(["colorize", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


@pytest.fixture
def photo_dir(tmp_path, photos64):
    """tmp/in/ with photo.png, a.jpg and a.png (different pictures), and the tiny model."""
    folder = tmp_path / "in"
    folder.mkdir()
    _photo(photos64, 0, (40, 30)).save(folder / "photo.png")
    _photo(photos64, 1, (36, 24)).save(folder / "a.jpg")
    _photo(photos64, 2, (30, 20)).save(folder / "a.png")
    return folder


def test_cli_never_overwrites_an_input_even_with_force(exported, photo_dir, tmp_path, capsys):
    model = exported["folder"] / "tiny-regression.pt"
    other = tmp_path / "elsewhere" / "other.jpg"
    other.parent.mkdir()
    Image.new("RGB", (16, 12), (90, 90, 90)).save(other)
    photo = photo_dir / "photo.png"
    before = photo.read_bytes()
    # OUT_DIR is the input's own folder: photo.png -> in/photo.png, the input itself
    status, out, err = colorize_cli(capsys, photo, other, photo_dir, "--model", model, "--force")
    assert status == 1 and photo.read_bytes() == before
    assert err == [
        f"colorlib colorize: error: {photo}: its output {photo} is this input itself; "
        "choose another OUT_DIR"
    ]
    assert out == [f"{other} -> {photo_dir / 'other.png'}"]  # the other input still done
    assert (photo_dir / "other.png").is_file()
    # a.jpg -> in/a.png would overwrite the input a.png (and a.png itself)
    inputs = {name: (photo_dir / name).read_bytes() for name in ("a.jpg", "a.png")}
    a_jpg, a_png = photo_dir / "a.jpg", photo_dir / "a.png"
    status, out, err = colorize_cli(capsys, a_jpg, a_png, photo_dir, "--model", model, "--force")
    assert status == 1 and out == [] and len(err) == 2
    assert f"{a_jpg}: its output {a_png} is input {a_png}; choose another OUT_DIR" in err[0]
    assert f"{a_png}: its output {a_png} is this input itself" in err[1]
    assert {name: (photo_dir / name).read_bytes() for name in inputs} == inputs


@pytest.mark.parametrize("force", [True, False])
def test_cli_refuses_inputs_with_the_same_output_name(exported, photo_dir, tmp_path, capsys, force):
    model = exported["folder"] / "tiny-regression.pt"
    out_dir = tmp_path / "out"
    a_jpg, a_png = photo_dir / "a.jpg", photo_dir / "a.png"
    flags = ["--force"] if force else []
    status, out, err = colorize_cli(capsys, a_jpg, a_png, out_dir, "--model", model, *flags)
    assert status == 1
    assert out == [f"{a_jpg} -> {out_dir / 'a.png'}"]  # one success: the file written
    assert err == [
        f"colorlib colorize: error: {a_png}: its output {out_dir / 'a.png'} is also the output "
        f"of {a_jpg}; colorize them into separate folders or rename one"
    ]  # and no advice to pass --force
    with Image.open(out_dir / "a.png") as result:
        assert result.size == (36, 24)  # a.jpg's colorization, not overwritten by a.png's
    # the same file twice is colorized once, and said so
    status, out, err = colorize_cli(capsys, a_jpg, a_jpg, tmp_path / "twice", "--model", model)
    twice = tmp_path / "twice" / "a.png"
    assert status == 1 and out == [f"{a_jpg} -> {twice}"]
    assert err == [f"colorlib colorize: error: {a_jpg}: given twice; colorized once into {twice}"]


def test_cli_says_a_folder_is_a_folder(exported, photo_dir, tmp_path, capsys):
    model = exported["folder"] / "tiny-regression.pt"
    status, out, err = colorize_cli(capsys, photo_dir, tmp_path / "out", "--model", model)
    assert status == 1 and out == []
    assert err == [f"colorlib colorize: error: {photo_dir}: is a folder, not an image file"]


def _temp_files(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.parametrize("failing", ["save", "replace"])
def test_cli_write_error_leaves_no_temp_file(
    exported, photo_dir, tmp_path, capsys, monkeypatch, failing
):
    model = exported["folder"] / "tiny-regression.pt"
    out_dir = tmp_path / "out"
    disk_full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def full_save(image, fp, *args, **kwargs):
        with open(fp, "wb") as partial:  # half a PNG, then the disk is full
            partial.write(b"\x89PNG\r\n")
        raise disk_full

    def full_replace(source, target):
        raise disk_full

    if failing == "save":
        monkeypatch.setattr(Image.Image, "save", full_save)
    else:
        monkeypatch.setattr(os, "replace", full_replace)
    photo = photo_dir / "photo.png"
    status, out, err = colorize_cli(capsys, photo, out_dir, "--model", model)
    assert status == 1 and out == []
    assert err == [
        f"colorlib colorize: error: {photo}: cannot write {out_dir / 'photo.png'}: "
        "No space left on device"
    ]
    assert _temp_files(out_dir) == [] and not (out_dir / "photo.png").exists()
    monkeypatch.undo()  # the disk has room again: the next run is not blocked
    status, out, err = colorize_cli(capsys, photo, out_dir, "--model", model)
    assert status == 0 and err == [] and (out_dir / "photo.png").is_file()
    assert _temp_files(out_dir) == []


def test_cli_untiled_reference_flag_gives_the_same_file(exported, photo_dir, tmp_path, capsys):
    model = exported["folder"] / "tiny-regression.pt"
    photo = photo_dir / "photo.png"
    results = []
    for tile_rows in ("0", "3"):  # 0: the whole image at once (benchmarks' reference)
        out_dir = tmp_path / f"rows{tile_rows}"
        status, _, err = colorize_cli(
            capsys, photo, out_dir, "--model", model, "--tile-rows", tile_rows
        )
        assert status == 0 and err == []
        with Image.open(out_dir / "photo.png") as result:
            results.append(np.asarray(result).astype(int))
    assert np.abs(results[0] - results[1]).max() <= 1


@pytest.mark.slow
def test_colorize_memory_benchmark_smoke_run():
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "colorize_memory.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--size", "96x64"], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("photo 96x64 ") and len(lines) == 4, completed.stdout
    assert "peak RSS" in lines[1] and "peak RSS" in lines[2]
    assert lines[3].endswith("max |difference| 0 uint8 levels"), lines[3]
