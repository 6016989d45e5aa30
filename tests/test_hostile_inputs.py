"""The second hostile-user probe (issue 22): each defect D1-D17 and note, one test each.

Every refusal is one line (``colorlib COMMAND: error: ...`` on stderr with a non-zero
status, or a one-line ValueError from the API) and loses nothing already saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from PIL import Image

from colorlib import experiments, methods, pretrained, reproduce, resume, turing
from colorlib.__main__ import main
from colorlib.checkpoint import CHECKPOINT_FORMAT, export_weights
from colorlib.colorizer import colorize
from colorlib.data import BadImageError, BadImageWarning
from colorlib.io import host_tag

PROJECT = Path(__file__).resolve().parent.parent
CLASSIFIER = PROJECT / "data" / "checkpoints" / "classifiers" / "cifar10-classifier.pt"


def dead_pid() -> int:
    """The PID of a process that has ended: a killed writer's."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def one_line(status: int, err: str, expected: int = 2) -> str:
    """The CLI's error contract: one ``colorlib COMMAND: error: ...`` line, the status."""
    assert status == expected, err
    assert err.startswith("colorlib ") and ": error: " in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """A tiny untrained weight export: pix2pix's U-Net (base width 8) at 32 px."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "tiny.pt"
    export_weights(methods.build("pix2pix", 32, base_width=8), path, image_size=32)
    return path


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "a.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(path)
    return path


def crafted(weights: Path, folder: Path, change) -> Path:
    """A copy of ``weights`` whose loaded dict ``change(raw)`` edited in place."""
    raw = torch.load(weights, weights_only=True)
    change(raw)
    path = folder / "crafted.pt"
    torch.save(raw, path)
    return path


def colorize_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["colorize", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


# ------------------------------------------------------------------ colorize: models


@pytest.mark.parametrize("device", ["cuda", "bogus"])
def test_d1_colorize_refuses_a_missing_or_unknown_device(
    weights, photo, tmp_path, capsys, monkeypatch, device
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a CPU-only machine
    status, _, err = colorize_cli(capsys, photo, tmp_path / "out", "--model", weights,
                                  "--device", device)  # fmt: skip
    assert "device" in one_line(status, err) and "use" in err
    assert not (tmp_path / "out" / "a.png").exists()


def test_d2_a_training_checkpoint_is_refused_with_what_to_do(weights, photo, tmp_path, capsys):
    def as_training_checkpoint(raw):
        raw["format"] = CHECKPOINT_FORMAT
        del raw["image_size"]

    model = crafted(weights, tmp_path, as_training_checkpoint)
    status, _, err = colorize_cli(capsys, photo, tmp_path / "out", "--model", model)
    assert "a training checkpoint" in one_line(status, err) and "--export" in err


def test_d3_a_classifier_is_not_a_colorizer(photo, tmp_path, capsys):
    status, _, err = colorize_cli(capsys, photo, tmp_path / "out", "--model", CLASSIFIER)
    assert "not a colorizer" in one_line(status, err) and "CifarClassifier" in err


def _set_network(cls, kwargs):
    def change(raw):
        raw["networks"]["G"] = {"class": cls, "kwargs": kwargs}

    return change


def _as_bins_model(raw):
    raw["kind"] = "classification"
    raw["config"]["centers"] = torch.rand(261, 2) * 100 - 50


@pytest.mark.parametrize(
    "change,message",
    [(_set_network("ZhangNet", {}), "do not fit the header's network ZhangNet"),
     (_set_network("receptive_field", {}), "not a colorizer: its network is 'receptive_field'"),
     (_set_network("__class__", {}), "not a colorizer: its network is '__class__'"),
     (_set_network("UNetGenerator", {"image_size": 32, "base_width": 1e300}), "magnitude"),
     (lambda raw: raw.update(image_size=0), "image_size 0 is not an int from 1"),
     (_as_bins_model, "not the 261 bin logits")],
    ids=["other class", "a function", "__class__", "huge argument", "image_size 0", "kind"],
)  # fmt: skip
def test_d4_crafted_headers_are_refused_in_one_line(weights, tmp_path, change, message):
    with pytest.raises(ValueError, match=message) as refused:
        pretrained.load(str(crafted(weights, tmp_path, change)))
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("cls", ["receptive_field", "__class__", "upsample_ab"])
def test_d4_a_checkpoint_builds_only_colorlib_networks(weights, tmp_path, cls):
    from colorlib.checkpoint import load_checkpoint

    loaded = load_checkpoint(crafted(weights, tmp_path, _set_network(cls, {})))
    with pytest.raises(ValueError, match="not one of colorlib's networks"):
        loaded.build()


def test_d5_a_header_is_checked_before_any_network_is_built(weights, tmp_path, monkeypatch):
    """ZhangNet(width=64) over 1 MB of weights: 130 billion parameters if built."""
    from colorlib import checkpoint

    real_build = checkpoint.build_network

    def only_on_meta(cls, **kwargs):
        if torch.get_default_device().type != "meta":
            raise AssertionError(f"{cls}{kwargs} built for real before the header was checked")
        return real_build(cls, **kwargs)

    monkeypatch.setattr(checkpoint, "build_network", only_on_meta)
    path = crafted(weights, tmp_path, _set_network("ZhangNet", {"width": 64}))
    with pytest.raises(ValueError, match="parameters, more than"):
        pretrained.load(str(path))


# ------------------------------------------------------------------ colorize: files


def test_d8_colorize_sweeps_the_temp_files_of_a_killed_run(weights, photo, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    killed = out / f".a.png.{host_tag()}.{dead_pid()}.k1ll3d.tmp"
    live = out / f".b.png.{host_tag()}.{os.getpid()}.w0rk1n.tmp"
    for temp in (killed, live):
        temp.write_bytes(b"\x89PNG half")
    status, _, err = colorize_cli(capsys, photo, out, "--model", weights)
    assert status == 0, err
    assert not killed.exists() and live.exists()  # a live writer's file is kept


SIGTERM_DURING_WRITE = """
import os, signal, sys
from PIL import Image
from colorlib.__main__ import main

def save_then_sigterm(self, fp, *args, **kwargs):  # half a PNG, then SIGTERM
    with open(fp, "wb") as f:
        f.write(b"\\x89PNG half")
    os.kill(os.getpid(), signal.SIGTERM)

Image.Image.save = save_then_sigterm
sys.exit(main(sys.argv[1:]))
"""


def test_d8_sigterm_during_colorize_leaves_no_temp_file_and_says_so(weights, photo, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_DURING_WRITE, "colorize", str(photo), str(out),
         "--model", str(weights)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 143, (done.returncode, done.stderr)
    one_line(143, done.stderr, 143)
    assert "terminated" in done.stderr
    assert list(out.iterdir()) == []  # no half PNG, no temporary file


def test_d8_a_checkpoint_folder_sweeps_killed_writers_temp_files(tmp_path):
    killed = [tmp_path / f".{name}.{host_tag()}.{dead_pid()}.k1ll3d.tmp"
              for name in ("last.pt", "history.json")]  # fmt: skip
    live = tmp_path / f".last.pt.{host_tag()}.{os.getpid()}.w0rk1n.tmp"
    for temp in (*killed, live):
        temp.write_bytes(b"PK half")
    assert resume.checkpoint_folder(tmp_path) == tmp_path  # what train.fit calls first
    assert not any(temp.exists() for temp in killed) and live.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_d14_special_files_are_named_for_what_they_are(weights, tmp_path, capsys):
    fifo, loop = tmp_path / "pipe.png", tmp_path / "loop.png"
    os.mkfifo(fifo)
    loop.symlink_to(tmp_path / "loop2.png")
    (tmp_path / "loop2.png").symlink_to(loop)
    status, _, err = colorize_cli(capsys, fifo, loop, "/dev/zero", tmp_path / "out",
                                  "--model", weights)  # fmt: skip
    assert status == 1  # as for any input that cannot be colorized
    lines = err.splitlines()
    assert len(lines) == 3 and "no such file" not in err, err
    assert "FIFO" in lines[0] and "symbolic link loop" in lines[1] and "device" in lines[2]


def test_note_an_animated_gif_says_only_its_first_frame_is_colorized(weights, tmp_path, capsys):
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    status, out, err = colorize_cli(capsys, tmp_path / "anim.gif", tmp_path / "out",
                                    "--model", weights)  # fmt: skip
    assert status == 0, err
    assert "the first of its 3 frames only" in out


def test_note_a_name_with_a_newline_stays_on_one_line(weights, photo, tmp_path, capsys):
    odd = tmp_path / "two\nlines.png"
    photo.rename(odd)
    status, out, err = colorize_cli(capsys, odd, tmp_path / "out", "--model", weights)
    assert status == 0, err
    assert out.count("\n") == 1 and "two\\nlines.png" in out


# ------------------------------------------------------------------ colorize: the API


@pytest.mark.parametrize(
    "image,message",
    [(np.zeros((0, 0, 3), np.uint8), "an empty image"),
     ("x.png", "not a path"),
     (np.full((4, 4, 3), np.nan, np.float32), "NaN"),
     (np.full((4, 4, 3), 300.0, np.float32), "divide it by 255")],
    ids=["empty", "path", "nan", "0-255 floats"],
)  # fmt: skip
def test_d17_and_note_unusable_images_are_one_line_value_errors(weights, image, message):
    model = pretrained.load(str(weights))
    with pytest.raises(BadImageError, match=message) as refused:
        colorize(model, image)
    assert isinstance(refused.value, ValueError) and "\n" not in str(refused.value)


# ------------------------------------------------------------------ train

TINY_TRAIN = ["train", "--dataset", "sample", "--size", "32", "--limit", "16", "--batch-size", "8",
              "--epochs", "1", "--no-progress"]  # fmt: skip


def train_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main([*TINY_TRAIN, *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_d7_a_failed_checkpoint_write_is_one_line_and_keeps_the_last_one(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "run"
    assert train_cli(capsys, "--out", str(out))[0] == 0
    kept = (out / "last.pt").read_bytes()

    def disk_full(payload, path, *args, **kwargs):  # what torch.save does on a full disk
        Path(path).write_bytes(b"PK half")
        raise RuntimeError("[enforce fail at inline_container.cc:783] . PytorchStreamWriter "
                           "failed writing file data/3: file write failed")  # fmt: skip

    monkeypatch.setattr(torch, "save", disk_full)
    status, _, err = train_cli(capsys, "--out", str(out), "--epochs", "2")
    assert "cannot write" in one_line(status, err) and "disk full" in err
    assert (out / "last.pt").read_bytes() == kept
    assert not list(out.glob(".*.tmp"))


def test_d11_an_unrelated_history_json_is_refused_not_overwritten(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "history.json").write_text('{"my": "notes"}')
    status, _, err = train_cli(capsys, "--out", str(out))
    assert "not a colorlib training history" in one_line(status, err)
    assert (out / "history.json").read_text() == '{"my": "notes"}'
    assert not (out / "last.pt").exists()


def _fake_run(seen: list):
    def run(experiment, *args, checkpoint_dir=None, **kwargs):
        seen.append((Path(checkpoint_dir) / resume.LOCK_FILE).is_file())
        return None, [{"epoch": 1, "step": 2, "train_l2": 0.5}], 32

    return run


def test_d12_a_second_run_into_the_same_out_is_refused(tmp_path, capsys, monkeypatch):
    seen = []
    monkeypatch.setattr(experiments, "run", _fake_run(seen))
    out = tmp_path / "o"
    out.mkdir()
    (out / resume.LOCK_FILE).write_text(f"{host_tag()} {os.getppid()}\n")  # a live run's
    status, _, err = train_cli(capsys, "--out", str(out), "--lr", "1e-2")
    assert "in use by another training run" in one_line(status, err)
    assert seen == []  # nothing trained

    (out / resume.LOCK_FILE).write_text(f"{host_tag()} {dead_pid()}\n")  # a killed run's
    status, _, err = train_cli(capsys, "--out", str(out))
    assert status == 0, err
    assert seen == [True] and not (out / resume.LOCK_FILE).exists()  # held, then released


def test_d13_an_unsplit_photo_folder_says_val_is_the_training_photos(
    tmp_path, capsys, monkeypatch, recwarn
):
    monkeypatch.setenv("COLORLIB_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(4):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(folder / f"{k}.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    status, out, err = main_out = (*train_cli(capsys, "--dataset", str(folder), "--batch-size",
                                              "2", "--out", str(tmp_path / "run")),)  # fmt: skip
    assert status == 0, main_out
    assert "val metrics are measured on the training photos" in out
    skipped = [w for w in recwarn if issubclass(w.category, BadImageWarning)]
    assert len(skipped) == 1, [str(w.message) for w in skipped]


@pytest.mark.parametrize("command", ["train", "selfcheck"])
def test_d16_a_seed_out_of_range_names_seed(capsys, command):
    with pytest.raises(SystemExit) as refused:
        main([command, "--seed", "1180591620717411303424"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err and "from 0 to" in err and "Traceback" not in err


# ------------------------------------------------------------------ data, logs


def test_d15_a_log_line_of_millions_of_commas_is_refused_in_little_memory(tmp_path):
    log = tmp_path / "huge.csv"
    log.write_text(",".join(turing.CSV_FIELDS) + "\n" + "," * 5_000_000 + "\n")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="line 2: longer than"):
            turing.read_logs(log)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # the old reader held a list of 5 million fields (> 40 MB)


def test_d15_a_log_file_of_a_gigabyte_is_refused_unread(tmp_path):
    log = tmp_path / "huge.csv"
    with open(log, "wb") as f:
        f.truncate(1 << 30)  # sparse: takes no disk
    with pytest.raises(ValueError, match="too large for a Turing-test log"):
        turing.read_logs(log)


# ------------------------------------------------------------------ reproduce


def write_notebook(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}  # fmt: skip
    cell = nbformat.v4.new_code_cell('profile: str = "quick"\nseed: int = 0')
    cell.metadata["tags"] = ["parameters"]
    notebook.cells.append(cell)
    nbformat.write(notebook, path)


@pytest.fixture
def one_notebook(tmp_path, monkeypatch) -> Path:
    """``reproduce`` sees one notebook, 00_only, whose complete run is already in OUT."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder / "00_only.ipynb")
    monkeypatch.setattr(reproduce, "find_notebooks", lambda *args: [folder / "00_only.ipynb"])
    (tmp_path / "out" / "quick").mkdir(parents=True)
    (tmp_path / "out" / "quick" / "00_only.ipynb").write_text("COMPLETE")
    return tmp_path / "out"


def test_d9_an_interrupted_reproduce_keeps_the_complete_notebook_and_says_so(
    one_notebook, capsys, monkeypatch
):
    import papermill

    def interrupted(source, output, **kwargs):
        Path(output).write_text("HALF")
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    status = main(["reproduce", "--out", str(one_notebook), "--no-progress"])
    err = one_line(status, capsys.readouterr().err, expected=130)
    assert "interrupted" in err
    folder = one_notebook / "quick"
    assert (folder / "00_only.ipynb").read_text() == "COMPLETE"
    assert not list(folder.glob(".*partial*"))
    summary = (folder / "summary.md").read_text()
    assert "| 00_only | interrupted |" in summary and "**Interrupted**" in summary


def test_d10_and_note_the_summary_shows_the_error_type_and_first_line_only(
    one_notebook, capsys, monkeypatch
):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    value = "seed must be an int\n" + "got [" + "1, " * 50_000 + "2]"  # a 100 KB -p value

    def failing(source, output, **kwargs):
        Path(output).write_text("{}")
        raise PapermillExecutionError(1, 2, "x", "TypeError", value,
                                      ["Traceback ...", "TypeError: seed must be an int",
                                       value.splitlines()[1]])  # fmt: skip

    monkeypatch.setattr(papermill, "execute_notebook", failing)
    monkeypatch.setattr(reproduce, "_summary_outputs", lambda path: [])
    monkeypatch.setattr(reproduce, "data_lines", lambda path: [])
    status = main(["reproduce", "--out", str(one_notebook), "--no-progress"])
    assert status == 1
    summary = (one_notebook / "quick" / "summary.md").read_text()
    assert "| 00_only | FAILED | 0 | TypeError: seed must be an int |" in summary
    assert len(summary) < 2_000
    capsys.readouterr()


def test_note_the_main_job_installs_no_system_package():
    for script in ("install.sh", "reproduce.sh"):
        assert "apt-get" not in (PROJECT / "scripts" / script).read_text(), script
    assert "install_browser.sh" in (PROJECT / "scripts" / "test.sh").read_text()
    assert "apt-get install" in (PROJECT / "scripts" / "install_browser.sh").read_text()


def test_d11_history_check_accepts_a_colorlib_history(tmp_path):
    (tmp_path / "history.json").write_text(json.dumps([{"epoch": 1, "step": 2}]))
    assert resume.checkpoint_folder(tmp_path) == tmp_path
