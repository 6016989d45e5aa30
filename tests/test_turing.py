"""The Colorization Turing Test: balanced rounds, logs that are never overwritten,
fooling rates with intervals, played by scripted participants."""

from __future__ import annotations

import csv
import itertools
import random
import re
from collections import Counter
from pathlib import Path

import pytest
import torch
from scipy.stats import binomtest

from colorlib import turing


def photos(n=6, size=8):
    torch.manual_seed(0)
    L = torch.rand(n, 1, size, size) * 100
    ab = torch.randn(n, 2, size, size) * 20
    return L, ab, {"good": ab + 1.0, "bad": torch.zeros_like(ab), "odd": -ab}


def fake_clock(step=1.5):
    ticks = itertools.count()
    return lambda: next(ticks) * step


def test_schedule_is_balanced_over_methods_photos_and_sides():
    trials = turing.schedule(["a", "b", "c"], n_images=5, rounds=31, seed=1)
    per_method = Counter(t.method for t in trials)
    assert sorted(per_method.values()) == [10, 10, 11]
    for method in "abc":
        photos_used = Counter(t.image for t in trials if t.method == method)
        assert max(photos_used.values()) - min(photos_used.values()) <= 1  # all before repeats
        assert set(photos_used) == set(range(5))
    sides = Counter(t.real_side for t in trials)
    assert abs(sides["left"] - sides["right"]) <= 1
    assert trials == turing.schedule(["a", "b", "c"], 5, 31, seed=1)  # seeded
    with pytest.raises(ValueError, match="distinct method names"):
        turing.schedule(["a", "a"], 5, 4)
    with pytest.raises(ValueError, match="rounds >= 1"):
        turing.schedule(["a"], 5, 0)


def play(game, chooser):
    while not game.finished:
        game.choose(chooser(game.trials[game.answered]))


def test_a_scripted_participant_is_logged_round_by_round(tmp_path):
    L, ab, predictions = photos()
    game = turing.TuringTest(
        L, ab, predictions, participant="Ada L.", rounds=9, out_dir=tmp_path, seed=0,
        clock=fake_clock(),
    )  # fmt: skip
    assert game.status.value.startswith("Round 1 of 9") and game.image.value[:4] == b"\x89PNG"
    first_picture = game.image.value

    # always right about "bad", always fooled by "good", always says "left" for "odd"
    def chooser(trial):
        if trial.method == "bad":
            return trial.real_side
        if trial.method == "odd":
            return "left"
        return "right" if trial.real_side == "left" else "left"

    play(game, chooser)
    assert game.finished and game.left.disabled and "Done." in game.status.value
    assert game.image.value != first_picture
    assert game.log_path.name.startswith("Ada-L-") and game.log_path.parent == tmp_path
    rows = list(csv.DictReader(open(game.log_path)))
    assert [int(r["round"]) for r in rows] == list(range(1, 10))
    assert all(r["seconds"] == "1.500" for r in rows)  # shown at t, answered at t + 1.5
    for row in rows:
        expected = {"bad": 0, "good": 1, "odd": int(row["real_side"] == "right")}[row["method"]]
        assert int(row["fooled"]) == expected
    with pytest.raises(ValueError, match="the game is over"):
        game.choose("left")


def test_earlier_sessions_are_never_overwritten(tmp_path):
    L, ab, predictions = photos()
    paths = []
    for _ in range(2):
        game = turing.TuringTest(L, ab, predictions, "sam", rounds=3, out_dir=tmp_path)
        play(game, lambda t: "left")
        paths.append(game.log_path)
    assert paths[0] != paths[1] and all(len(list(csv.reader(open(p)))) == 4 for p in paths)
    clash = turing.TuringTest(L, ab, predictions, "sam", rounds=3, out_dir=tmp_path)
    clash.log_path = paths[0]  # as if two sessions got the same name
    with pytest.raises(FileExistsError):
        clash.choose("left")
    assert len(list(csv.reader(open(paths[0])))) == 4  # untouched


def test_fooling_rates_pool_many_participants_and_match_scipy(tmp_path):
    L, ab, predictions = photos()
    rng = random.Random(0)
    truth = {"good": 0.45, "bad": 0.05, "odd": 0.25}  # how often each fools a person
    for person in range(8):
        game = turing.TuringTest(L, ab, predictions, f"student{person}", rounds=30,
                                 out_dir=tmp_path / f"s{person}", seed=person)  # fmt: skip
        play(game, lambda t: ("right" if t.real_side == "left" else "left")
             if rng.random() < truth[t.method] else t.real_side)  # fmt: skip
    rows = turing.read_logs([tmp_path / f"s{p}" for p in range(8)])
    assert len(rows) == 240
    rates = turing.fooling_rates(rows)
    assert set(rates) == set(truth) and sum(r.rounds for r in rates.values()) == 240
    for method, rate in rates.items():
        assert rate.participants == 8
        assert rate.fooled == sum(int(r["fooled"]) for r in rows if r["method"] == method)
        ci = binomtest(rate.fooled, rate.rounds).proportion_ci(method="wilson")
        assert rate.low == pytest.approx(ci.low, abs=1e-9)
        assert rate.high == pytest.approx(ci.high, abs=1e-9)
        assert rate.low <= truth[method] <= rate.high  # the simulated truth is inside
    assert rates["bad"].high < rates["good"].low  # an obvious fake is told apart
    table = turing.rates_table(rates)
    assert table.splitlines()[0].startswith("method") and len(table.splitlines()) == 4


def test_bad_inputs_say_what_is_wrong(tmp_path):
    L, ab, predictions = photos()
    with pytest.raises(ValueError, match="no letters or digits"):
        turing.TuringTest(L, ab, predictions, participant="  ", out_dir=tmp_path)
    with pytest.raises(ValueError, match="predicts"):
        turing.TuringTest(L, ab, {"x": ab[:2]}, participant="p", out_dir=tmp_path)
    with pytest.raises(ValueError, match="side must be"):
        turing.TuringTest(L, ab, predictions, participant="p", out_dir=tmp_path).choose("up")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="other.csv is not a Turing-test log"):
        turing.read_logs(tmp_path)
    with pytest.raises(FileNotFoundError, match="no Turing-test log"):
        turing.read_logs(tmp_path / "missing.csv")
    assert turing.wilson_interval(0, 0) == (0.0, 1.0)


# ------------------------------------------------------------ damaged or repeated logs


def log_row(**changes) -> dict:
    """One answered round as the game writes it, with ``changes`` applied."""
    row = {
        "participant": "ada", "session": "20240101-120000-000001", "round": 1,
        "method": "good", "image": 0, "real_side": "left", "chosen_side": "right",
        "fooled": 1, "seconds": "1.500", "time": "2024-01-01T12:00:01",
    }  # fmt: skip
    row.update(changes)
    return row


def write_log(path, rows, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.DictWriter(f, fieldnames=turing.CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_bad_value_names_file_and_line_in_one_line(tmp_path):
    path = write_log(tmp_path / "ada.csv", [log_row(), log_row(round=2, fooled="yes")])
    with pytest.raises(
        ValueError, match=r"ada\.csv, line 3: fooled must be 0 or 1, got 'yes'"
    ) as err:
        turing.read_logs(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"round": "two"}, "round must be a whole number >= 1, got 'two'"),
        ({"round": 0}, "round must be a whole number >= 1"),
        ({"image": -1}, "image must be a whole number >= 0"),
        ({"real_side": "up"}, "real_side must be 'left' or 'right', got 'up'"),
        ({"chosen_side": ""}, "chosen_side must be 'left' or 'right'"),
        ({"seconds": "nan"}, "seconds must be a number >= 0, got 'nan'"),
        ({"seconds": "-1"}, "seconds must be a number >= 0"),
        ({"method": " "}, "empty method"),
        ({"fooled": "1.0"}, "fooled must be 0 or 1, got '1.0'"),
    ],
)
def test_every_checked_column_names_file_and_line(tmp_path, changes, message):
    write_log(tmp_path / "log.csv", [log_row(), log_row(), log_row(**changes)])
    with pytest.raises(ValueError, match=r"log\.csv, line 4: " + re.escape(message)):
        turing.read_logs(tmp_path)


def test_short_and_long_rows_and_non_utf8_files_are_clear_errors(tmp_path):
    path = write_log(tmp_path / "log.csv", [log_row()])
    with open(path, "a", newline="") as f:
        f.write("ada,s,2,good\n")
    with pytest.raises(ValueError, match=r"log\.csv, line 3: no value for 'image'"):
        turing.read_logs(path)
    path = write_log(tmp_path / "log.csv", [log_row()])
    with open(path, "a", newline="") as f:
        f.write(",".join(str(v) for v in log_row().values()) + ",extra\n")
    with pytest.raises(ValueError, match=r"log\.csv, line 3: more fields than the 10-column"):
        turing.read_logs(path)
    write_log(path, [log_row(participant="Zoë")], encoding="latin-1")
    with pytest.raises(ValueError, match=r"log\.csv: not UTF-8 text"):
        turing.read_logs(path)


def test_fooled_outside_0_and_1_is_rejected_not_a_math_domain_error(tmp_path):
    path = write_log(tmp_path / "log.csv", [log_row(), log_row(round=2, fooled=2)])
    with pytest.raises(ValueError, match=r"log\.csv, line 3: fooled must be 0 or 1, got '2'"):
        turing.read_logs(path)
    rows = [{"participant": "p", "method": "m", "fooled": "1"}] * 2
    rows.append({"participant": "p", "method": "m", "fooled": "2"})
    with pytest.raises(ValueError, match="fooled must be 0 or 1, got '2'"):
        turing.fooling_rates(rows)
    with pytest.raises(ValueError, match="0 <= successes <= trials"):
        turing.wilson_interval(3, 2)


def test_excel_byte_order_mark_is_accepted(tmp_path):
    rows = [log_row(), log_row(round=2, fooled=0, chosen_side="left")]
    path = write_log(tmp_path / "excel.csv", rows, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    read = turing.read_logs(path)
    assert [r["participant"] for r in read] == ["ada", "ada"]
    assert turing.fooling_rates(read)["good"].fooled == 1


def test_a_log_named_twice_is_counted_once(tmp_path, monkeypatch):
    folder = tmp_path / "class"
    folder.mkdir()
    write_log(folder / "ada.csv", [log_row(), log_row(round=2)])
    write_log(folder / "bob.csv", [log_row(participant="bob")])
    monkeypatch.chdir(tmp_path)
    again = [folder, folder, "class", folder / "ada.csv", Path("class") / ".." / "class"]
    rows = turing.read_logs(again)
    assert len(rows) == 3 and turing.fooling_rates(rows)["good"].rounds == 3
    link = tmp_path / "link.csv"
    try:
        link.symlink_to(folder / "bob.csv")
    except OSError:  # no symlinks here (e.g. Windows without the right)
        return
    assert len(turing.read_logs([folder, link])) == 3
