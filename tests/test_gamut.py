"""Tests for colorlib.gamut: derived ab bins, soft encoding, annealed mean, prior, weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from colorlib import gamut as gamut_module
from colorlib.gamut import (
    DERIVED_Q_GRID10,
    ZHANG_Q,
    ABGamut,
    derive_bin_centers,
    gamut_slice,
    rebalance_weights,
)
from colorlib.lab import lab_to_rgb, rgb_to_lab, split_lab

GRID = 10.0
HALF_DIAGONAL = GRID * math.sqrt(2) / 2  # farthest a point of a cell is from its centre
TOL = 1e-3  # Lab units: float32 rounding of the conversions


@pytest.fixture(scope="module")
def gamut() -> ABGamut:
    return ABGamut()


@pytest.fixture(scope="module")
def photo_ab(photos64: torch.Tensor) -> torch.Tensor:
    """(4, 2, 64, 64) ab of the real photos, Lab units."""
    return split_lab(rgb_to_lab(photos64))[1]


def _tiny() -> ABGamut:
    """Three bins, small enough to compute by hand."""
    return ABGamut(centers=torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]))


def _displayable(lab: torch.Tensor, tol: float = 1e-6) -> torch.Tensor:
    """(S, 3, H, W) float64 Lab -> (S, H, W) bool: a real colour inside sRGB."""
    rgb = lab_to_rgb(lab, clip=False)
    real_z = lab[:, 2] <= 200.0 * lab[:, 0] / 116.0  # lab_to_rgb clamps a negative Z
    return ((rgb >= -tol) & (rgb <= 1 + tol)).all(dim=1) & real_z


# --------------------------------------------------------------------------- derivation


def test_derived_count_is_documented_and_plausible(gamut: ABGamut) -> None:
    assert gamut.Q == len(gamut) == DERIVED_Q_GRID10 == 261
    assert abs(gamut.Q - ZHANG_Q) / ZHANG_Q < 0.2  # same ballpark as the paper's 313
    assert gamut.centers.shape == (gamut.Q, 2) and gamut.centers.dtype == torch.float32
    assert gamut.grid == GRID
    steps = gamut.centers / GRID
    assert torch.equal(steps, steps.round())  # on the grid
    assert len(torch.unique(gamut.centers, dim=0)) == gamut.Q
    # sorted by a then b, like Zhang's file; ranges stated in the docstring
    key = gamut.centers[:, 0] * 1000 + gamut.centers[:, 1]
    assert torch.all(key[1:] > key[:-1])
    assert gamut.centers[:, 0].min() == -90 and gamut.centers[:, 0].max() == 100
    assert gamut.centers[:, 1].min() == -110 and gamut.centers[:, 1].max() == 90
    # the derivation is cached but hands out copies
    again = derive_bin_centers(10)
    assert torch.equal(again, gamut.centers) and again.data_ptr() != gamut.centers.data_ptr()


def test_other_grid_and_bad_grid() -> None:
    coarse = ABGamut(grid=20)
    assert coarse.Q == 77
    assert torch.equal(coarse.centers / 20, (coarse.centers / 20).round())
    for bad in (0, -5, float("nan"), 1000):
        with pytest.raises(ValueError, match="grid"):
            ABGamut(grid=bad)


def test_every_bin_cell_holds_a_displayable_colour(gamut: ABGamut) -> None:
    """Checked the other way round (lab_to_rgb, clip=False), independent of the derivation:
    each bin's cell [c - 5, c + 5]^2 holds an sRGB colour at some L in 0, 1, ..., 100."""
    centers = gamut.centers.double()
    offsets = torch.linspace(-GRID / 2, GRID / 2, 11, dtype=torch.float64)
    da, db = (t.reshape(1, -1) for t in torch.meshgrid(offsets, offsets, indexing="ij"))
    a, b = centers[:, :1] + da, centers[:, 1:] + db  # (Q, 121) each
    levels = torch.linspace(0, 100, 101, dtype=torch.float64)[:, None, None].expand(-1, *a.shape)
    lab = torch.stack((levels, a.expand_as(levels), b.expand_as(levels)), dim=1)
    ok = _displayable(lab)  # (101, Q, 121)
    assert ok.any(dim=0).any(dim=-1).all()
    # most centres are displayable themselves; edge bins only through part of their cell
    centre_ok = ok[:, :, 60].any(dim=0)
    assert 200 <= int(centre_ok.sum()) < gamut.Q


def test_bins_hold_every_8bit_colour(gamut: ABGamut) -> None:
    """The rule's promise: every 8-bit colour's nearest grid point is a bin."""
    rgb = torch.randint(0, 256, (3, 256, 256), dtype=torch.uint8)
    corners = torch.tensor(
        [[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], dtype=torch.uint8
    )
    rgb[:, 0, :8] = corners.T
    ab = rgb_to_lab(rgb)[1:][None]  # (1, 2, 256, 256)
    near = gamut.centers[gamut.nearest(ab)].permute(0, 3, 1, 2)
    assert torch.equal(near, torch.floor(ab / GRID + 0.5) * GRID)


def test_bins_cover_real_photos(gamut: ABGamut, photo_ab: torch.Tensor) -> None:
    """Each pixel's nearest centre is its nearest grid point: within GRID / 2 in a and in b,
    hence within GRID * sqrt(2) / 2 in ab."""
    near = gamut.centers[gamut.nearest(photo_ab)].permute(0, 3, 1, 2)
    error = (near - photo_ab).abs()
    assert error.max() <= GRID / 2 + TOL
    assert error.pow(2).sum(dim=1).sqrt().max() <= HALF_DIAGONAL + TOL


# --------------------------------------------------------------------------- encode


@pytest.mark.parametrize("k", [1, 5, 10])
def test_encode_sums_to_one_with_k_nonzeros(gamut: ABGamut, photo_ab: torch.Tensor, k: int) -> None:
    target = gamut.encode(photo_ab, k=k)
    assert target.shape == (4, gamut.Q, 64, 64) and target.dtype == photo_ab.dtype
    torch.testing.assert_close(target.sum(dim=1), torch.ones(4, 64, 64))
    assert torch.equal((target > 0).sum(dim=1), torch.full((4, 64, 64), k))
    # the largest weight sits on the nearest bin
    assert torch.equal(target.argmax(dim=1), gamut.nearest(photo_ab))


def test_encode_gaussian_weights_by_hand(gamut: ABGamut) -> None:
    ab = torch.zeros(1, 2, 1, 1)  # on the (0, 0) centre: 4 neighbours at distance 10
    indices, weights = gamut.encode_topk(ab, k=5, sigma=5.0)
    centers = gamut.centers[indices[0, :, 0, 0]]
    assert torch.equal(centers[0], torch.zeros(2))
    assert torch.equal(centers[1:].norm(dim=1), torch.full((4,), 10.0))
    near = math.exp(-(10.0**2) / (2 * 5.0**2))  # e^-2
    expected = torch.tensor([1.0, near, near, near, near]) / (1 + 4 * near)
    torch.testing.assert_close(weights[0, :, 0, 0], expected)
    dense = gamut.encode(ab, k=5, sigma=5.0)
    torch.testing.assert_close(dense[0, indices[0, :, 0, 0], 0, 0], expected)


def test_encode_in_blocks_matches_one_block(
    gamut: ABGamut, photo_ab: torch.Tensor, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = gamut.encode(photo_ab[:2], k=5)
    monkeypatch.setattr(gamut_module, "_CHUNK_ELEMENTS", 1000 * gamut.Q + 7)
    assert torch.equal(gamut.encode(photo_ab[:2], k=5), whole)


def test_encode_far_outside_gamut_is_finite(gamut: ABGamut) -> None:
    ab = torch.full((1, 2, 2, 2), 300.0)
    target = gamut.encode(ab, k=5)
    assert torch.isfinite(target).all()
    torch.testing.assert_close(target.sum(dim=1), torch.ones(1, 2, 2))


def test_encode_rejects_bad_arguments(gamut: ABGamut) -> None:
    ab = torch.zeros(1, 2, 2, 2)
    with pytest.raises(ValueError, match="k must be"):
        gamut.encode(ab, k=0)
    with pytest.raises(ValueError, match="k must be"):
        gamut.encode(ab, k=gamut.Q + 1)
    with pytest.raises(ValueError, match="sigma"):
        gamut.encode(ab, sigma=0.0)
    with pytest.raises(ValueError, match=r"ab must be shaped \(\.\.\., 2, H, W\)"):
        gamut.encode(torch.zeros(1, 3, 2, 2))


# --------------------------------------------------------------------------- decode


def test_decode_of_encoded_truth_at_small_T(gamut: ABGamut, photo_ab: torch.Tensor) -> None:
    """Decoding the soft-encoded truth at T = 0.01 (or the mode) lands on the pixel's
    nearest bin (up to exact ties): within GRID / 2 in a and in b of the true ab."""
    logits = gamut.encode(photo_ab, k=5).log()  # -inf off the 5 nearest bins
    for decoded in (gamut.decode(logits, T=0.01), gamut.mode(logits)):
        assert decoded.shape == photo_ab.shape
        assert (decoded - photo_ab).abs().max() <= GRID / 2 + TOL
    near = gamut.centers[gamut.nearest(photo_ab)].permute(0, 3, 1, 2)
    assert torch.equal(gamut.mode(logits), near)


def test_decode_T1_is_the_mean_by_hand() -> None:
    tiny = _tiny()
    logits = torch.tensor([1.0, 2.0, 1.0]).log().reshape(1, 3, 1, 1)  # p = 1/4, 1/2, 1/4
    # mean: a = 10 * 1/2 = 5, b = 10 * 1/4 = 2.5
    torch.testing.assert_close(tiny.decode(logits, T=1.0)[0, :, 0, 0], torch.tensor([5.0, 2.5]))
    # T = 1/2 squares the probabilities: (1, 4, 1) / 6 -> a = 40/6, b = 10/6
    torch.testing.assert_close(
        tiny.decode(logits, T=0.5)[0, :, 0, 0], torch.tensor([40.0 / 6, 10.0 / 6])
    )
    assert torch.equal(tiny.decode(logits, T=0)[0, :, 0, 0], torch.tensor([10.0, 0.0]))


def test_decode_T0_is_mode_and_small_T_approaches_it(gamut: ABGamut) -> None:
    logits = torch.randn(2, gamut.Q, 5, 5) * 3
    mode = gamut.mode(logits)
    assert torch.equal(gamut.decode(logits, T=0), mode)
    assert torch.equal(mode, gamut.centers[logits.argmax(dim=1)].permute(0, 3, 1, 2))
    torch.testing.assert_close(gamut.decode(logits, T=1e-4), mode, atol=1e-3, rtol=0)
    # T = 1 is the plain mean, which is greyer than the mode
    mean = gamut.decode(logits, T=1.0)
    expected = torch.einsum("nqhw,qc->nchw", logits.softmax(dim=1), gamut.centers)
    torch.testing.assert_close(mean, expected)
    assert mean.norm(dim=1).mean() < mode.norm(dim=1).mean()


def test_decode_validates_T_and_shape(gamut: ABGamut) -> None:
    logits = torch.zeros(1, gamut.Q, 2, 2)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="temperature T"):
            gamut.decode(logits, T=bad)
    with pytest.raises(TypeError, match="temperature T"):
        gamut.decode(logits, T="warm")
    with pytest.raises(ValueError, match=r"logits must be shaped \(\.\.\., 261, H, W\)"):
        gamut.decode(torch.zeros(1, 313, 2, 2))


# --------------------------------------------------------------------------- prior, weights


def test_prior_of_photos(gamut: ABGamut, photo_ab: torch.Tensor) -> None:
    prior = gamut.prior(photo_ab)
    assert prior.shape == (gamut.Q,) and prior.dtype == torch.float32
    assert (prior >= 0).all()
    torch.testing.assert_close(prior.sum(), torch.tensor(1.0))
    # batches from an iterable are counted together
    torch.testing.assert_close(gamut.prior(iter(photo_ab.split(1))), prior)
    # sigma = 0: the plain normalised histogram of nearest bins
    raw = gamut.prior(photo_ab, sigma=0)
    counts = torch.bincount(gamut.nearest(photo_ab).reshape(-1), minlength=gamut.Q)
    torch.testing.assert_close(raw, counts.float() / counts.sum())
    # smoothing spreads mass onto neighbouring bins and lowers the peak
    assert (prior > 1e-6).sum() > (raw > 0).sum()
    assert prior.max() < raw.max()
    with pytest.raises(ValueError, match="at least one pixel"):
        gamut.prior([])


def test_rebalance_weights_by_hand() -> None:
    p = torch.tensor([0.5, 0.25, 0.25, 0.0], dtype=torch.float64)
    # (1 - 0.5) p + 0.5 / 4 = (3/8, 1/4, 1/4, 1/8) -> w ∝ (8/3, 4, 4, 8), E_p = 10/3
    w = rebalance_weights(p, lam=0.5)
    torch.testing.assert_close(w, torch.tensor([0.8, 1.2, 1.2, 2.4], dtype=torch.float64))
    with pytest.raises(ValueError, match="lam = 0"):
        rebalance_weights(p, lam=0.0)
    with pytest.raises(ValueError, match="lam"):
        rebalance_weights(p, lam=1.5)
    with pytest.raises(ValueError, match="nonnegative"):
        rebalance_weights(torch.tensor([0.5, -0.5, 1.0]))


def test_rebalance_weights_of_photo_prior(gamut: ABGamut, photo_ab: torch.Tensor) -> None:
    prior = gamut.prior(photo_ab).double()
    w = rebalance_weights(prior, lam=0.5)
    assert w.shape == (gamut.Q,) and (w > 0).all()
    torch.testing.assert_close((prior * w).sum(), torch.tensor(1.0, dtype=torch.float64))
    torch.testing.assert_close(rebalance_weights(prior, lam=1.0), torch.ones_like(prior))
    # rarer bins get larger weights: order by prior is the reverse order by weight
    order = prior.argsort()
    assert torch.all(w[order][1:] <= w[order][:-1])
    assert w[prior.argmin()] > 1 > w[prior.argmax()]


# --------------------------------------------------------------------------- files


def test_from_file_round_trip(gamut: ABGamut, tmp_path) -> None:
    npy = tmp_path / "bins.npy"
    np.save(npy, gamut.centers.numpy())
    loaded = ABGamut.from_file(npy)
    assert torch.equal(loaded.centers, gamut.centers) and loaded.grid == GRID
    # Zhang's pts_in_hull.npy style: int64, and a str path
    np.save(npy, gamut.centers.numpy().astype(np.int64))
    assert torch.equal(ABGamut.from_file(str(npy)).centers, gamut.centers)

    txt = tmp_path / "bins.txt"
    np.savetxt(txt, gamut.centers.numpy(), header="a b")  # '# a b' header line
    assert torch.equal(ABGamut.from_file(txt).centers, gamut.centers)
    csv = tmp_path / "bins.csv"
    csv.write_text("\n".join(f"{a:g}, {b:g}" for a, b in gamut.centers.tolist()) + "\n")
    from_csv = ABGamut.from_file(csv)
    assert torch.equal(from_csv.centers, gamut.centers) and from_csv.Q == gamut.Q

    direct = ABGamut(centers=gamut.centers.double())
    assert torch.equal(direct.centers, gamut.centers) and direct.grid == GRID


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.npy", None, "not found"),
        ("three.npy", np.zeros((5, 3)), r"\(Q, 2\).*\(5, 3\)"),
        ("flat.npy", np.arange(6.0), r"\(Q, 2\)"),
        ("nan.npy", np.array([[0.0, 0.0], [np.nan, 10.0]]), "NaN"),
        ("dupes.npy", np.array([[0.0, 0.0], [0.0, 0.0]]), "duplicate"),
        ("broken.npy", b"not a numpy file", "cannot read"),
        ("words.txt", "a b\n1 2\n", "cannot read"),
        ("ragged.txt", "0 0\n10 0 5\n", "cannot read"),
        ("empty.txt", "# nothing\n", r"\(Q, 2\)"),
        ("nan.txt", "0 0\nnan 10\n", "NaN"),
    ],
)
def test_from_file_bad_files_raise_one_line(tmp_path, name, content, match) -> None:
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        ABGamut.from_file(path)
    message = str(info.value)
    assert "\n" not in message and name in message


def test_centers_argument_validation() -> None:
    with pytest.raises(ValueError, match=r"\(Q, 2\)"):
        ABGamut(centers=torch.zeros(4, 3))
    with pytest.raises(ValueError, match="NaN"):
        ABGamut(centers=[[0.0, float("inf")]])
    assert len(_tiny()) == 3 and _tiny().grid == 10.0


# --------------------------------------------------------------------------- gamut slice


def test_gamut_slice_shapes_orientation_and_content() -> None:
    mid = gamut_slice(50.0)
    assert mid.mask.shape == (221, 221) and mid.mask.dtype == torch.bool
    assert torch.equal(mid.a, torch.linspace(-110, 110, 221, dtype=torch.float64))
    assert torch.equal(mid.b, mid.a)
    assert mid.mask[110, 110]  # grey
    # mask[i, j] is (a[j], b[i]): compare with a direct lab_to_rgb check at a few points
    for i, j in [(40, 200), (200, 40), (110, 180), (60, 150), (30, 110)]:
        lab = torch.tensor([50.0, mid.a[j], mid.b[i]], dtype=torch.float64).reshape(1, 3, 1, 1)
        assert bool(mid.mask[i, j]) == bool(_displayable(lab, tol=1e-3)[0, 0, 0])
    # asymmetric in a and b, so a transposed mask would be caught
    assert not torch.equal(mid.mask, mid.mask.T)
    # black and white hold only grey; mid-grey holds the most colours
    dark, light = gamut_slice(0.0), gamut_slice(100.0)
    assert dark.mask.sum() <= 9 and light.mask.sum() <= 9
    assert mid.mask.sum() > gamut_slice(90.0).mask.sum() > light.mask.sum()
    with pytest.raises(ValueError, match="L must be"):
        gamut_slice(120.0)


def test_gamut_slices_lie_inside_the_bins(gamut: ABGamut) -> None:
    """Every displayable (a, b) at several L is within half a bin of a bin centre."""
    for L in (20.0, 50.0, 80.0):
        s = gamut_slice(L, resolution=111)
        bb, aa = torch.meshgrid(s.b, s.a, indexing="ij")
        ab = torch.stack((aa[s.mask], bb[s.mask])).float()[None, :, :, None]  # (1, 2, M, 1)
        near = gamut.centers[gamut.nearest(ab)].permute(0, 3, 1, 2)
        assert (near - ab).abs().max() <= GRID / 2 + TOL
