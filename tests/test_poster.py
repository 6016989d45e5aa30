"""The poster's numbers as transcribed, and the side-by-side table."""

import re
from pathlib import Path

import pytest

from colorlib import poster

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"


def test_table_matches_the_posters_text():
    texts = list(SEED.glob("*.txt"))
    if not texts:
        pytest.skip("the poster's text is not beside the project (../shared/seed)")
    text = texts[0].read_text()
    train = re.search(r"Pixel Wise L2 Loss\t([\d.\t ]+)\n", text).group(1).split()
    assert [float(x) for x in train] == [poster.TABLE[loss]["train"][0] for loss in poster.LOSSES]
    test_row = re.findall(r"Pixel Wise L2 Loss\t([\d.\t ]+)\n", text)[1].split()
    expected = [x for loss in poster.LOSSES for x in poster.TABLE[loss]["test"]]
    assert [float(x) for x in test_row] == expected
    for quote in poster.CONCLUSIONS.values():
        assert quote in text


def test_relative_divides_by_the_reference():
    assert poster.relative({"L2": 2.0, "Smooth L1": 3.0}) == {"L2": 1.0, "Smooth L1": 1.5}
    with pytest.raises(ValueError, match="non-zero 'L2'"):
        poster.relative({"Smooth L1": 3.0})


def test_comparison_table_puts_both_side_by_side():
    ours = {"L2": {"train": 10.0, "test": 20.0}, "Smooth L1": {"train": 5.0, "test": 30.0}}
    table = poster.comparison_table(ours).splitlines()
    assert len(table) == 4 and table[2].startswith("L2") and table[3].startswith("Smooth L1")
    numbers = [float(x) for x in table[3].replace("|", " ").split()[2:]]
    # poster train, test A, test B, ours train, test | the same over L2's
    assert numbers == [2.41, 16.7, 11.6, 5.0, 30.0, 2.51, 0.82, 0.89, 0.5, 1.5]
    with pytest.raises(ValueError, match="unknown losses"):
        poster.comparison_table({"L3": {"train": 1.0, "test": 1.0}})
