"""The papermill batch runner: order, parameters, failures carried past, the summary."""

from __future__ import annotations

import nbformat
import pytest

from colorlib import reproduce


def write_notebook(path, *cells) -> None:
    """A notebook from (source, tags) pairs; the first cell is the parameters cell."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = list(tags)
        notebook.cells.append(cell)
    nbformat.write(notebook, path)


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    params = ('profile: str = "quick"\nscale: int = 1\nretrain: bool = False', ["parameters"])
    write_notebook(
        folder / "00_good.ipynb",
        params,
        ("import pathlib\nprint('cwd is', pathlib.Path.cwd().name)\nprint('DATA: toy photos')", []),
        ("print(f'| profile | {profile} |')\nprint('answer', 21 * scale)", ["summary"]),
    )
    write_notebook(folder / "01_broken.ipynb", params, ("raise RuntimeError('boom')", []))
    write_notebook(
        folder / "02_after.ipynb", params,
        ("print('DATA: the bundled sample (2 photos)')\nprint('still ran', profile)", ["summary"]),
    )  # fmt: skip
    write_notebook(folder / "03_unnamed.ipynb", params, ("print('no data named')", []))
    (folder / "helper.ipynb").write_text("{}")  # not numbered: never run
    return folder


@pytest.mark.slow
def test_run_all_carries_on_past_a_failure_and_reports(notebooks, tmp_path):
    runs = reproduce.run_all(
        profile="full", parameters={"scale": 2}, out_root=tmp_path / "runs",
        folder=notebooks, progress=False,
    )  # fmt: skip
    assert [r.name for r in runs] == ["00_good", "01_broken", "02_after", "03_unnamed"]
    assert [r.ok for r in runs] == [True, False, True, False]
    assert "boom" in runs[1].error
    assert "names its data" in runs[3].error  # it ran, but did not say on what
    assert runs[0].data == ["toy photos"] and runs[2].data == ["the bundled sample (2 photos)"]
    assert all(r.output.parent == tmp_path / "runs" / "full" and r.output.exists() for r in runs)
    executed = nbformat.read(runs[0].output, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "cwd is notebooks" in printed  # the kernel ran in the notebooks folder
    assert "answer 42" in printed and "| profile | full |" in printed  # parameters injected

    md_path, html_path = reproduce.write_summary(runs, "full", tmp_path / "runs" / "full")
    md = md_path.read_text()
    assert md.splitlines()[2] == "Data: real datasets, and **the bundled sample** where noted below"
    assert "- 02_after: the bundled sample (2 photos)" in md
    assert "| 01_broken | FAILED |" in md and "boom" in md
    assert "answer 42" in md and "still ran full" in md
    assert "cwd is" not in md  # only cells tagged "summary" are reported
    assert "<h2>00_good</h2>" in html_path.read_text()


def test_find_notebooks_filters_and_rejects_unknown(notebooks):
    assert [p.stem for p in reproduce.find_notebooks(notebooks)] == [
        "00_good", "01_broken", "02_after", "03_unnamed",
    ]  # fmt: skip
    assert [p.stem for p in reproduce.find_notebooks(notebooks, ["02", "00_good"])] == [
        "00_good", "02_after",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no notebook 07.*available: 00_good"):
        reproduce.find_notebooks(notebooks, ["07"])


@pytest.mark.parametrize(
    "text,value",
    [("true", True), ("False", False), ("none", None), ("3", 3), ("0.5", 0.5),
     ("[1, 2]", [1, 2]), ("cifar10", "cifar10"), ("../data", "../data")],
)  # fmt: skip
def test_parse_value_types_like_papermill(text, value):
    assert reproduce.parse_value(text) == value


def test_bad_profile_is_rejected(notebooks, tmp_path):
    with pytest.raises(ValueError, match="profile must be one of"):
        reproduce.run_all(profile="huge", folder=notebooks, out_root=tmp_path, progress=False)


def test_summary_figures_are_written_as_png_files(tmp_path):
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 20).decode()
    run = reproduce.NotebookRun("02_x", tmp_path / "02_x.ipynb", ok=True)
    run.summary = [
        {"output_type": "stream", "name": "stdout", "text": "table\n"},
        {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}},
    ]
    md_path, html_path = reproduce.write_summary([run], "quick", tmp_path / "out")
    figure = tmp_path / "out" / "figures" / "02_x-2.png"
    assert figure.read_bytes() == base64.b64decode(png)
    assert "![figure](figures/02_x-2.png)" in md_path.read_text()
    assert png in html_path.read_text()  # the HTML page stays self-contained


@pytest.mark.parametrize(
    "parameters,message",
    [({"scael": 2}, "unknown parameter scael; the notebooks' parameters are retrain, scale"),
     ({"__import__('os').system('touch pwned');x": 1}, "must be Python identifiers"),
     ({"class": 1}, "must be Python identifiers"),
     ({"profile": "full"}, "with --profile, not -p profile")],
)  # fmt: skip
def test_bad_parameter_names_are_refused_before_anything_runs(
    notebooks, tmp_path, parameters, message
):
    """papermill pastes names into the notebook as code and only warns about unknown
    ones: a typo ran every notebook with the default, a crafted name ran its code."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        reproduce.run_all(
            parameters=parameters, folder=notebooks, out_root=tmp_path / "runs", progress=False
        )
    assert not (tmp_path / "runs").exists() and not (notebooks / "pwned").exists()


def test_known_parameters_are_the_union_of_the_parameters_cells(notebooks):
    write_notebook(notebooks / "03_more.ipynb", ("extra = 1", ["parameters"]))
    found = reproduce.notebook_parameters(reproduce.find_notebooks(notebooks))
    assert found == {"profile", "scale", "retrain", "extra"}
    real = reproduce.notebook_parameters(reproduce.find_notebooks())
    assert {"retrain", "seed", "device"} <= real


def test_a_full_retrain_needs_overwrite_shipped(notebooks, tmp_path):
    listed = reproduce.find_notebooks(notebooks)
    with pytest.raises(ValueError, match=r"writes over the shipped.*--overwrite-shipped"):
        reproduce.check_parameters({"retrain": True}, listed, "full")
    reproduce.check_parameters({"retrain": True}, listed, "full", overwrite_shipped=True)
    reproduce.check_parameters({"retrain": True}, listed, "quick")  # runs/ only
    reproduce.check_parameters({"retrain": False}, listed, "full")  # loads the shipped files


def test_an_unwritable_output_folder_is_refused(notebooks, tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(ValueError, match="cannot write to the output folder.*writable --out"):
        reproduce.run_all(folder=notebooks, out_root=tmp_path / "afile", progress=False)


@pytest.mark.parametrize(
    ("lines", "first"),
    [
        ([["the bundled sample (48 test photos)"], ["the bundled sample (191 photos)"]],
         "Data: **the bundled sample** only (no real dataset found; set COLORLIB_DATA)"),
        ([["CIFAR-10 test split: 10,000 images (COLORLIB_DATA)"]], "Data: real datasets"),
        ([[]], "Data: no notebook named its data"),
    ],
)  # fmt: skip
def test_summary_opens_with_the_data(tmp_path, lines, first):
    runs = [
        reproduce.NotebookRun(f"0{k}_x", tmp_path / f"0{k}_x.ipynb", ok=True, data=data)
        for k, data in enumerate(lines)
    ]
    md_path, html_path = reproduce.write_summary(runs, "quick", tmp_path / "out")
    assert md_path.read_text().splitlines()[2] == first
    assert first.replace("**", "") in html_path.read_text()


# ------------------------------------------------------------ run times: measured, then printed


def _run(name: str, seconds: float, ok: bool = True, sample: bool = False):
    line = "the bundled sample (48 test photos)" if sample else "CIFAR-10 test split"
    return reproduce.NotebookRun(name, output=None, ok=ok, seconds=seconds, data=[line])


def test_record_times_keeps_ok_notebooks_by_data_and_run_time_prints_them(tmp_path):
    path = tmp_path / "times.json"
    assert "not measured yet" in reproduce.run_time("02", path)
    runs = [_run("00_lab", 9.4, sample=True), _run("02_losses", 22.04, sample=True),
            _run("03_gan", 5.0, ok=False, sample=True)]  # fmt: skip
    assert reproduce.record_times(runs, "quick", path) == ["quick, sample"]
    assert reproduce.record_times([_run("02_losses", 130.0)], "quick", path) == ["quick, real"]
    line = reproduce.run_time("02", path)
    assert line.startswith("Run time, measured by the main job (python -m colorlib reproduce)")
    assert line.endswith(
        ": 22 s on the bundled sample (quick profile), 2.2 min on the real data (quick profile)."
    )
    assert "9 s on the bundled sample" in reproduce.run_time("00", path)
    assert "not measured yet" in reproduce.run_time("03", path)  # it failed: no time kept
    reproduce.record_times([_run("02_losses", 100.0)], "quick", path)  # measured again
    assert "1.7 min on the real data" in reproduce.run_time("02", path)
    assert "9 s" in reproduce.run_time("00", path)  # the other notebooks' times are kept


def test_a_corrupt_times_file_is_one_clear_error_and_is_left_alone(tmp_path):
    path = tmp_path / "times.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="times.json is not valid JSON"):
        reproduce.record_times([_run("00_lab", 1.0)], "quick", path)
    with pytest.raises(ValueError, match="not valid JSON"):
        reproduce.run_time("00", path)
    assert path.read_text() == "{not json"
    path.write_text('{"quick, real": {"00_lab": 12}}')  # JSON, but not a table of times
    with pytest.raises(ValueError, match="not a table of run times"):
        reproduce.run_time("00", path)


def test_each_notebook_keeps_the_day_and_machine_of_its_own_measurement(tmp_path, monkeypatch):
    path = tmp_path / "times.json"
    monkeypatch.setattr(reproduce.time, "strftime", lambda fmt: "2026-01-01")
    reproduce.record_times([_run("00_lab", 9.0), _run("02_losses", 30.0)], "quick", path)
    monkeypatch.setattr(reproduce.time, "strftime", lambda fmt: "2026-02-02")
    reproduce.record_times([_run("02_losses", 40.0)], "quick", path)  # 02 measured again
    assert "(2026-01-01): 9 s" in reproduce.run_time("00", path)
    assert "(2026-02-02): 40 s" in reproduce.run_time("02", path)


def test_every_numbered_notebook_has_a_recorded_run_time():
    for path in reproduce.find_notebooks():
        assert "not measured yet" not in reproduce.run_time(path.stem[:2]), path.name
