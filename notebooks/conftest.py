"""nbval's output comparison, made tolerant of the last printed digit of decimals.

nbval compares a cell's stored and fresh text outputs exactly (after the rules in
``nbval_sanitize.cfg``). The notebooks print decimals rounded for reading (``88.5``),
and the last digit of a rounded number can flip on another machine: a CPU with other
vector instructions (oneDNN picks AVX-512 or AVX2 kernels at run time) or another
thread count sums floats in another order, and a mean of 88.549998 vs 88.550002
prints as 88.5 vs 88.6. That failed a CI run once.

So before nbval compares, :func:`numbers_agree` decides whether two texts say the
same thing: identical apart from their decimals, and each decimal within one unit of
its last printed digit of the stored one (88.5 vs 88.6 agrees; 88.5 vs 88.7, a changed
word, a changed integer count or a decimal printed with other precision does not).
When they agree the stored text is used, so nbval passes; otherwise nbval compares the
two exactly and reports the difference as usual. Only text (streams, ``text/plain``,
``text/html``) is touched. This file is a pytest plugin for the ``notebooks`` folder
(``pytest notebooks --nbval``); ``tests/test_nbval_tolerance.py`` tests it.
"""

from __future__ import annotations

import copy
import re

DECIMAL = re.compile(r"(?<![\w.])[-+]?\d+\.\d+(?![\w.])")
"""A decimal as the notebooks print it: digits, a point, digits (``-0.36``, ``88.5``)."""

TEXT_KEYS = ("text/plain", "text/html")


def numbers_agree(stored: str, fresh: str) -> bool:
    """True when ``fresh`` equals ``stored`` except for decimals off by at most one unit
    of their last printed digit (same number of decimals on both sides).

    >>> numbers_agree("gray 88.5 [87.9, 89.2]", "gray 88.6 [87.9, 89.2]")
    True
    >>> numbers_agree("gray 88.5", "gray 88.7"), numbers_agree("tie 1.0", "better 1.0")
    (False, False)
    """
    if stored == fresh:
        return True
    if DECIMAL.split(stored) != DECIMAL.split(fresh):
        return False
    for a, b in zip(DECIMAL.findall(stored), DECIMAL.findall(fresh), strict=True):
        places = len(a.split(".")[1])
        if len(b.split(".")[1]) != places:
            return False
        if abs(round((float(a) - float(b)) * 10**places)) > 1:
            return False
    return True


def _snap(stored: dict, fresh: dict, sanitize) -> dict:
    """``fresh`` with each text that agrees with ``stored`` replaced by the stored one."""
    fresh = copy.deepcopy(fresh)
    if fresh.get("output_type") == "stream" and stored.get("name") == fresh.get("name"):
        if numbers_agree(sanitize(stored["text"]), sanitize(fresh["text"])):
            fresh["text"] = stored["text"]
    elif "data" in fresh and "data" in stored:
        for key in TEXT_KEYS:
            if key in fresh["data"] and key in stored["data"]:
                if numbers_agree(sanitize(stored["data"][key]), sanitize(fresh["data"][key])):
                    fresh["data"][key] = stored["data"][key]
    return fresh


def snap_outputs(fresh: list, stored: list, sanitize=lambda s: s) -> list:
    """Pair each fresh output with the stored output of the same kind (and stream
    name) at the same position among its kind, and :func:`_snap` them."""

    def kind(output) -> tuple:
        return output.get("output_type"), output.get("name")

    stored_by_kind: dict[tuple, list] = {}
    for output in stored:
        stored_by_kind.setdefault(kind(output), []).append(output)
    seen: dict[tuple, int] = {}
    snapped = []
    for output in fresh:
        k = kind(output)
        index = seen.get(k, 0)
        seen[k] = index + 1
        candidates = stored_by_kind.get(k, [])
        if index < len(candidates):
            output = _snap(candidates[index], output, sanitize)
        snapped.append(output)
    return snapped


def pytest_configure(config):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to patch
        return
    if getattr(IPyNbCell.compare_outputs, "colorlib_tolerant", False):
        return
    exact = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        import nbformat

        snapped = [nbformat.from_dict(o) for o in snap_outputs(test, ref, self.sanitize)]
        return exact(self, snapped, ref, skip_compare)

    compare_outputs.colorlib_tolerant = True
    IPyNbCell.compare_outputs = compare_outputs
