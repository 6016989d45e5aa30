"""Quantised ab space: bins, soft encoding, annealed-mean decoding, class rebalancing.

Written by hand rather than taken from a library because the teaching is the
point: every step below is one idea from Zhang, Isola and Efros, "Colorful Image
Colorization" (ECCV 2016), and each is small enough to read in one sitting.

The ideas
---------
Why quantise ab?
    Colorization is ambiguous: a grey car may be red, blue or silver. A network
    trained to *regress* ab with an L2 loss predicts the mean of those
    possibilities, a desaturated brownish grey. Zhang et al. instead cut the ab
    plane into square cells of side ``grid`` (10 Lab units) and *classify* each
    pixel into one of the Q cells that real colours can reach. The network then
    outputs a distribution over Q bins per pixel, and a multimodal answer ("red
    or blue") stays representable.

Which bins? (the rule used here)
    ``ABGamut(grid)`` derives the bins from the sRGB gamut itself, with no list
    typed in: convert **every one of the 256^3 8-bit sRGB colours** to Lab
    (:func:`colorlib.lab.rgb_to_lab`, D65), round each (a, b) to the nearest grid
    point ``grid * round(ab / grid)`` (halves rounded up), and keep each grid
    point that at least one colour rounds to. In words: keep the bins whose
    ``grid x grid`` cell contains an 8-bit sRGB colour. So every pixel of every
    8-bit sRGB photo has its nearest grid point among the bins, at most
    ``grid * sqrt(2) / 2`` away.

    For ``grid = 10`` this gives **Q = 261** bins (a from -90 to 100, b from -110
    to 90), not the Q = 313 of Zhang et al. The paper says only "the Q = 313
    values which are in-gamut" and the rule behind their ``pts_in_hull.npy`` is
    not published. Since our 261 cells already hold every 8-bit sRGB colour, at
    least 52 of their 313 cells hold no 8-bit sRGB colour under this
    conversion. For example their file starts with (a, b) = (-90, 50) and
    (-90, 60), while the only bin at a = -90 here is (-90, 80). Their set is a
    looser envelope of the gamut, perhaps a hull or some tolerance, as the file
    name suggests. Other rules measured at grid 10 (none gives 313):

    - the cell meets the continuous gamut (faces of the RGB cube sampled
      512 x 512): 262. One extra bin, (20, -80), is reached only by a sliver
      that no 8-bit colour lands in;
    - the bin *centre* is itself displayable at some L: 234 (287 if RGB values
      up to 0.05 outside [0, 1] are allowed). This fails the covering guarantee
      above;
    - grid points inside the convex hull of the gamut's ab outline: 233; cells
      meeting that hull: 269;
    - grid points within 5 / 7.07 / 10 units of a gamut colour: 253 / 267 / 290;
    - cells centred on odd multiples of 5 (floor instead of round): 268;
    - bins among the 5 nearest grid points of some colour: 322.

    To use Zhang's exact bins, load their file with :meth:`ABGamut.from_file`.
    Nothing else in the package assumes Q = 261 or Q = 313.

Soft encoding (training targets)
    A hard one-hot target would punish the network equally for predicting the
    bin next door or a bin across the plane. :meth:`ABGamut.encode` instead
    spreads each ground-truth ab over its k nearest bins (Zhang: k = 5 in the
    paper, 10 in the training code) with Gaussian weights
    ``exp(-d^2 / (2 sigma^2))``, sigma = 5, normalised to sum to 1.

Annealed mean (decoding)
    The mode of the predicted distribution gives vivid but patchy colours; the
    mean gives smooth but greyish ones. :meth:`ABGamut.decode` sharpens the
    distribution with a temperature T (``softmax(logits / T)``) and then takes the
    mean over bin centres. T = 1 is the plain mean, T -> 0 the mode, and Zhang's
    T = 0.38 lies between the two.

Class rebalancing (loss weights)
    Natural images are mostly low-saturation, so the empirical ab distribution
    (:meth:`ABGamut.prior`) is very peaked near grey. Weighting each pixel's loss
    by ``w(q*)``, the weight of its most likely bin, with
    ``w ∝ ((1 - lam) p + lam / Q)^-1`` and ``E_p[w] = 1``
    (:func:`rebalance_weights`), gives rare saturated colours their say.

Shapes, ranges and units
------------------------
- ab: ``(N, 2, H, W)`` float in Lab units (not divided by 110), a then b.
- centres: ``(Q, 2)`` float32 (a, b) in Lab units, on the CPU. Methods move them
  to the input's device and dtype.
- logits / probabilities / soft targets: ``(N, Q, H, W)``, bin axis 1.
- bin indices: ``(N, H, W)`` long in ``[0, Q)``.

Example
-------
>>> import torch
>>> from colorlib.gamut import ABGamut
>>> gamut = ABGamut()              # derived from sRGB, Q = 261 for grid 10
>>> ab = torch.zeros(1, 2, 4, 4)   # grey
>>> target = gamut.encode(ab)      # (1, Q, 4, 4), sums to 1 over Q
>>> gamut.decode(target.log(), T=0.0).abs().max().item()  # mode of a grey target
0.0
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import torch

from colorlib import checks
from colorlib.lab import lab_to_rgb, rgb_to_lab

__all__ = [
    "ABGamut",
    "GamutSlice",
    "derive_bin_centers",
    "gamut_slice",
    "rebalance_weights",
    "DEFAULT_GRID",
    "DERIVED_Q_GRID10",
    "ZHANG_Q",
    "ANNEAL_T",
]

DEFAULT_GRID = 10.0  # side of an ab cell, Lab units (Zhang et al.)
DERIVED_Q_GRID10 = 261  # what derive_bin_centers(10) gives (see the module docstring)
ZHANG_Q = 313  # Zhang et al.'s published count for grid 10 (pts_in_hull.npy)
ANNEAL_T = 0.38  # Zhang et al.'s annealed-mean temperature

_CHUNK_ELEMENTS = 1 << 22  # pixels x bins per distance block (16 MiB of float32)


# --------------------------------------------------------------------------- derivation


def _check_grid(grid: float) -> float:
    return _real(grid, "grid (Lab units)", 1.0, 128.0)


@functools.lru_cache(maxsize=8)
def _derive_cached(grid: float) -> torch.Tensor:
    """The derivation (see :func:`derive_bin_centers`); cached per grid, do not mutate."""
    radius = int(math.ceil(140.0 / grid)) + 1  # |a|, |b| < 128 for any sRGB colour
    side = 2 * radius + 1
    hit = torch.zeros(side * side, dtype=torch.bool)
    codes = torch.arange(256, dtype=torch.uint8)
    rows = 16  # red values per chunk: a (3, 16 * 256, 256) uint8 image, 12 MiB of Lab
    green_blue = torch.stack(torch.meshgrid(codes, codes, indexing="ij"))  # (2, 256, 256)
    green_blue = green_blue.repeat(1, rows, 1)  # (2, rows * 256, 256)
    for start in range(0, 256, rows):
        red = codes[start : start + rows].repeat_interleave(256)[:, None].expand(-1, 256)
        rgb = torch.cat((red[None], green_blue), dim=0)  # (3, rows * 256, 256)
        ab = rgb_to_lab(rgb)[1:]  # uint8 fast path, float32
        index = torch.floor(ab / grid + 0.5).long() + radius  # nearest grid point
        hit |= torch.bincount((index[0] * side + index[1]).reshape(-1), minlength=side * side) > 0
    ia, ib = torch.nonzero(hit.view(side, side), as_tuple=True)  # sorted by a, then b
    return torch.stack((ia - radius, ib - radius), dim=1).to(torch.float32) * grid


def derive_bin_centers(grid: float = DEFAULT_GRID) -> torch.Tensor:
    """The in-gamut ab bin centres, derived from the sRGB gamut.

    Rule: convert all 256^3 8-bit sRGB colours to Lab, round (a, b) to the
    nearest point of the grid ``grid * Z^2`` (ties rounded up), keep each grid
    point that some colour rounds to. Takes about 1 s the first time per grid on
    a quiet 2-core CPU (a few seconds under load), and is cached after that.

    Args:
        grid: cell side in Lab units, in [1, 128]. Zhang et al. use 10.

    Returns:
        ``(Q, 2)`` float32 tensor of (a, b) in Lab units, each a multiple of
        ``grid``, sorted by a then b (the order of Zhang's file). Q = 261 for
        grid 10 (see the module docstring for why not 313).
    """
    return _derive_cached(_check_grid(grid)).clone()


# --------------------------------------------------------------------------- helpers


def _as_centers(centers: object, source: str) -> torch.Tensor:
    """Validate bin centres and return a (Q, 2) float32 CPU tensor (one-line errors)."""
    if isinstance(centers, torch.Tensor):
        array = centers.detach().cpu().numpy()
    else:
        try:
            array = np.asarray(centers)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{source}: cannot read bin centres ({exc})") from None
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{source}: bin centres must be numeric, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] < 1:
        raise ValueError(
            f"{source}: expected a (Q, 2) array of (a, b) bin centres, got shape {array.shape}"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{source}: bin centres contain NaN or infinite values")
    if len(np.unique(array, axis=0)) != len(array):
        raise ValueError(f"{source}: bin centres contain duplicate (a, b) rows")
    return torch.from_numpy(array).to(torch.float32)


def _infer_grid(centers: torch.Tensor) -> float:
    """Smallest positive spacing between distinct a or b values (the lattice step)."""
    steps = []
    for column in centers.double().unbind(1):
        diffs = torch.diff(torch.unique(column))
        if diffs.numel():
            steps.append(diffs.min().item())
    return float(min(steps)) if steps else float("nan")


def _real(
    value: object, what: str, low: float, high: float = math.inf, open_low: bool = False
) -> float:
    """``float(value)`` if it is a finite number in [low, high] (or (low, high]), else raise."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)  # accepts numpy and 0-d torch scalars
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {value!r}") from None
    inside = number > low if open_low else number >= low
    if not (math.isfinite(number) and inside and number <= high):
        bound = f"> {low:g}" if open_low else f">= {low:g}"
        limit = "" if math.isinf(high) else f" and <= {high:g}"
        raise ValueError(f"{what} must be a finite number {bound}{limit}, got {value!r}")
    return number


# --------------------------------------------------------------------------- the class


class ABGamut:
    """The quantised ab space: Q bin centres, plus encoding and decoding.

    By default the bins are derived from the sRGB gamut (see
    :func:`derive_bin_centers` and the module docstring). Rule: keep the grid
    points that some 8-bit sRGB colour rounds to. That gives Q = 261 for grid
    10. Zhang et al. report 313 with an unpublished, looser rule; at least 52 of
    their cells hold no 8-bit sRGB colour. Use :meth:`from_file` to load their
    ``pts_in_hull.npy``.

    Args:
        grid: cell side in Lab units (default 10). With ``centers`` it is only
            recorded; if left out it is then inferred as the smallest spacing
            between distinct a (or b) values.
        centers: optional ``(Q, 2)`` (a, b) bin centres in Lab units (tensor,
            array or nested list) to use instead of the derived ones.

    Attributes:
        centers: ``(Q, 2)`` float32 CPU tensor of (a, b) in Lab units.
        grid: cell side in Lab units (float).
        Q: number of bins (also ``len(gamut)``).
    """

    def __init__(self, grid: float | None = None, centers: object | None = None) -> None:
        if centers is None:
            self.grid = _check_grid(DEFAULT_GRID if grid is None else grid)
            self.centers = derive_bin_centers(self.grid)
        else:
            self.centers = _as_centers(centers, "centers")
            self.grid = _infer_grid(self.centers) if grid is None else _check_grid(grid)

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_file(cls, path: str | os.PathLike, grid: float | None = None) -> ABGamut:
        """Load bin centres from a file.

        Args:
            path: ``.npy`` holding a ``(Q, 2)`` numeric array of (a, b), integer or
                float (e.g. Zhang's ``pts_in_hull.npy``: int64, Q = 313), or a text
                file with two columns (a, b) separated by whitespace or commas;
                lines starting with ``#`` are comments.
            grid: as in :class:`ABGamut` (inferred if left out).

        Raises:
            ValueError: one line naming the file, if it does not exist, cannot be
                parsed, is not ``(Q, 2)``, or holds NaN, infinite or duplicate rows.
        """
        name = os.fspath(path)
        if not os.path.isfile(name):
            raise ValueError(f"bin-centre file {name!r} not found")
        try:
            if name.lower().endswith(".npy"):
                array = np.load(name, allow_pickle=False)
            else:
                with open(name, encoding="utf-8") as handle:
                    lines = [ln.split("#", 1)[0].replace(",", " ").split() for ln in handle]
                rows = [ln for ln in lines if ln]
                widths = {len(row) for row in rows}
                if len(widths) > 1:
                    raise ValueError(f"rows have different numbers of columns {sorted(widths)}")
                array = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
                if array.size == 0:
                    array = array.reshape(0, 2)
        except (ValueError, OSError, UnicodeDecodeError, EOFError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"bin-centre file {name!r}: cannot read it ({message})") from None
        return cls(grid=grid, centers=_as_centers(array, f"bin-centre file {name!r}"))

    # ----------------------------------------------------------------- basics

    @property
    def Q(self) -> int:
        """Number of bins."""
        return int(self.centers.shape[0])

    def __len__(self) -> int:
        return self.Q

    def __repr__(self) -> str:
        return f"ABGamut(Q={self.Q}, grid={self.grid:g})"

    def _centers_like(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype if x.is_floating_point() else torch.float32
        return self.centers.to(device=x.device, dtype=dtype)

    def _pixels(self, ab: torch.Tensor) -> torch.Tensor:
        """(..., 2, H, W) -> (P, 2) with P = prod(...) * H * W, pixel order of (..., H, W)."""
        return ab.movedim(-3, -1).reshape(-1, 2)

    def _chunks(self, pixels: torch.Tensor) -> Iterable[tuple[int, torch.Tensor]]:
        """Yield (start, squared distances (p, Q)) for blocks of pixels."""
        centers = self._centers_like(pixels)
        step = max(1, _CHUNK_ELEMENTS // self.Q)
        ca, cb = centers[:, 0], centers[:, 1]
        for start in range(0, pixels.shape[0], step):
            block = pixels[start : start + step]
            d2 = (block[:, :1] - ca) ** 2 + (block[:, 1:] - cb) ** 2
            yield start, d2

    # ----------------------------------------------------------------- quantise

    def nearest(self, ab: torch.Tensor) -> torch.Tensor:
        """Index of the nearest bin centre (Euclidean in ab) for every pixel.

        Args:
            ab: ``(N, 2, H, W)`` float, Lab units.

        Returns:
            ``(N, H, W)`` long in ``[0, Q)``.
        """
        checks.image_batch(ab, 2, "ab", leading="...", floating=True)
        pixels = self._pixels(ab)
        out = torch.empty(pixels.shape[0], dtype=torch.long, device=ab.device)
        for start, d2 in self._chunks(pixels):
            out[start : start + d2.shape[0]] = d2.argmin(dim=1)
        return out.reshape(ab.shape[:-3] + ab.shape[-2:])

    def encode_topk(
        self, ab: torch.Tensor, k: int = 5, sigma: float = 5.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sparse soft encoding: the k nearest bins of every pixel and their weights.

        The compact form of :meth:`encode` (the same numbers, k per pixel instead
        of Q), handy for a cross-entropy loss that only needs ``log p`` at k bins.

        Args:
            ab: ``(N, 2, H, W)`` float, Lab units.
            k: number of nearest bins per pixel, 1 <= k <= Q (Zhang: 5 in the
                paper, 10 in the training code).
            sigma: Gaussian width in Lab units (Zhang: 5), > 0.

        Returns:
            (indices, weights), both ``(N, k, H, W)``: long bin indices, nearest
            first, and float weights ``exp(-d^2 / (2 sigma^2))`` normalised to sum
            to 1 over the k axis (dtype of ``ab``).
        """
        checks.image_batch(ab, 2, "ab", leading="...", floating=True)
        k = int(k)
        if not 1 <= k <= self.Q:
            raise ValueError(f"k must be in [1, Q={self.Q}], got {k}")
        sigma = _real(sigma, "sigma (Lab units)", 0.0, open_low=True)
        pixels = self._pixels(ab)
        indices = torch.empty(pixels.shape[0], k, dtype=torch.long, device=ab.device)
        weights = torch.empty(pixels.shape[0], k, dtype=ab.dtype, device=ab.device)
        for start, d2 in self._chunks(pixels):
            near_d2, near_idx = d2.topk(k, dim=1, largest=False, sorted=True)
            stop = start + d2.shape[0]
            indices[start:stop] = near_idx
            # softmax == exp(-d^2 / 2 sigma^2) normalised, but safe far from every bin
            weights[start:stop] = torch.softmax(-near_d2 / (2.0 * sigma * sigma), dim=1)
        shape = ab.shape[:-3] + ab.shape[-2:] + (k,)
        return indices.reshape(shape).movedim(-1, -3), weights.reshape(shape).movedim(-1, -3)

    def encode(self, ab: torch.Tensor, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
        """Soft-encode ab into a distribution over the Q bins (training targets).

        Each pixel gets Gaussian weights ``exp(-d^2 / (2 sigma^2))`` on its k
        nearest bin centres (d: distance in ab), normalised to sum to 1, and zero
        elsewhere. Distances are computed in blocks, so the only large tensor is
        the result (for a ``(64, 2, 64, 64)`` batch and Q = 261, 274 MB float32).

        Args:
            ab: ``(N, 2, H, W)`` float, Lab units.
            k: number of nonzero bins per pixel (default 5; Zhang's code used 10).
            sigma: Gaussian width in Lab units (default 5).

        Returns:
            ``(N, Q, H, W)``, dtype of ``ab``, sums to 1 over axis 1, exactly k
            nonzeros per pixel (unless a weight underflows, which needs a pixel
            far outside the gamut and sigma far below the grid).
        """
        indices, weights = self.encode_topk(ab, k=k, sigma=sigma)
        shape = indices.shape[:-3] + (self.Q,) + indices.shape[-2:]
        out = torch.zeros(shape, dtype=weights.dtype, device=weights.device)
        return out.scatter_(-3, indices, weights)

    # ----------------------------------------------------------------- decode

    def mode(self, logits: torch.Tensor) -> torch.Tensor:
        """Centre of the most likely bin (the T -> 0 limit of :meth:`decode`).

        Args:
            logits: ``(N, Q, H, W)`` scores (logits, log-probabilities or
                probabilities: only the argmax matters).

        Returns:
            ``(N, 2, H, W)`` ab in Lab units, dtype of ``logits`` (float32 if
            integer).
        """
        checks.image_batch(logits, self.Q, "logits", leading="...")
        index = logits.argmax(dim=-3)  # (N, H, W)
        centers = self._centers_like(logits)
        return centers[index].movedim(-1, -3)

    def decode(self, logits: torch.Tensor, T: float = ANNEAL_T) -> torch.Tensor:
        """Annealed mean: ``sum_q softmax(logits / T)_q * centre_q``.

        If the network outputs probabilities z, pass ``z.log()``: then
        ``softmax(log z / T)`` is Zhang's ``exp(log z / T) / sum``. T = 1 gives the
        plain mean of the predicted distribution, T -> 0 the mode, and T = 0 is
        handled exactly as :meth:`mode`.

        Args:
            logits: ``(N, Q, H, W)`` float, unnormalised log-probabilities.
            T: temperature, a finite number >= 0 (default 0.38, Zhang's choice).

        Returns:
            ``(N, 2, H, W)`` ab in Lab units, dtype of ``logits``. Differentiable
            for T > 0.
        """
        T = _real(T, "temperature T", 0.0)
        checks.image_batch(logits, self.Q, "logits", leading="...")
        if T == 0.0:
            return self.mode(logits)
        probs = torch.softmax(logits / T, dim=-3)
        centers = self._centers_like(probs)
        return torch.einsum("...qhw,qc->...chw", probs, centers)

    # ----------------------------------------------------------------- prior

    def prior(self, ab: torch.Tensor | Iterable[torch.Tensor], sigma: float = 5.0) -> torch.Tensor:
        """Empirical distribution of ab over the bins, Gaussian-smoothed.

        Counts the nearest bin of every pixel, normalises, then smooths with a
        Gaussian of width ``sigma`` (Lab units) over the bin centres,
        ``p'_q ∝ sum_r p_r exp(-|c_q - c_r|^2 / (2 sigma^2))``, and renormalises
        (Zhang et al. smooth with sigma = 5). ``sigma = 0`` skips smoothing.

        Args:
            ab: ``(N, 2, H, W)`` float tensor in Lab units, or an iterable of such
                batches (e.g. a generator over a dataset), counted together.
            sigma: smoothing width in Lab units, >= 0.

        Returns:
            ``(Q,)`` float32 on the CPU, nonnegative, sums to 1.
        """
        sigma = _real(sigma, "sigma (Lab units)", 0.0)
        batches = [ab] if isinstance(ab, torch.Tensor) else ab
        counts = torch.zeros(self.Q, dtype=torch.float64)
        for batch in batches:
            index = self.nearest(batch).reshape(-1).cpu()
            counts += torch.bincount(index, minlength=self.Q).double()
        total = counts.sum()
        if total == 0:
            raise ValueError("prior needs at least one pixel of ab, got none")
        p = counts / total
        if sigma > 0:
            c = self.centers.double()
            kernel = torch.exp(-(torch.cdist(c, c) ** 2) / (2.0 * sigma * sigma))
            p = kernel @ p
            p = p / p.sum()
        return p.to(torch.float32)


# --------------------------------------------------------------------------- rebalancing


def rebalance_weights(prior: torch.Tensor, lam: float = 0.5) -> torch.Tensor:
    """Zhang et al.'s class-rebalancing weights from a prior over the Q bins.

    ``w_q ∝ ((1 - lam) p_q + lam / Q)^-1``, scaled so that ``sum_q p_q w_q = 1``
    (the weighted loss then has the same expected scale as the unweighted one).
    ``lam = 1`` gives uniform weights (all 1); ``lam = 0`` gives ``1 / p`` (the
    prior must then have no zeros); Zhang use ``lam = 0.5``. Rarer bins get larger
    weights.

    Args:
        prior: ``(Q,)`` nonnegative float (e.g. :meth:`ABGamut.prior`); it is
            normalised to sum to 1 first.
        lam: mixing weight of the uniform distribution, in [0, 1].

    Returns:
        ``(Q,)`` positive weights, dtype and device of ``prior``.
    """
    if not isinstance(prior, torch.Tensor) or prior.dim() != 1 or prior.numel() == 0:
        raise ValueError("prior must be a non-empty 1-D tensor of shape (Q,)")
    if not prior.is_floating_point():
        prior = prior.double()
    if not torch.isfinite(prior).all() or (prior < 0).any() or prior.sum() <= 0:
        raise ValueError("prior must be finite, nonnegative and not all zero")
    lam = _real(lam, "lam", 0.0, 1.0)
    p = prior.double() / prior.double().sum()
    mixed = (1.0 - lam) * p + lam / p.numel()
    if (mixed <= 0).any():
        raise ValueError("lam = 0 needs a prior with no zero entries (1 / p is infinite)")
    w = 1.0 / mixed
    w = w / (p * w).sum()
    return w.to(prior.dtype)


# --------------------------------------------------------------------------- teaching


class GamutSlice(NamedTuple):
    """A slice of the sRGB gamut at one lightness; ``mask[i, j]`` is colour ``(a[j], b[i])``.

    Rows follow b and columns follow a, so
    ``plt.imshow(s.mask, origin="lower", extent=(s.a[0], s.a[-1], s.b[0], s.b[-1]))``
    draws a along x and b along y.
    """

    mask: torch.Tensor  # (resolution, resolution) bool
    a: torch.Tensor  # (resolution,) float64, Lab units
    b: torch.Tensor  # (resolution,) float64, Lab units


def gamut_slice(
    L: float,
    ab_range: float = 110.0,
    resolution: int = 221,
    tol: float = 1e-3,
) -> GamutSlice:
    """Which (a, b) are displayable in sRGB at lightness L (for plotting the gamut).

    A Lab colour ``(L, a, b)`` is in gamut when :func:`colorlib.lab.lab_to_rgb`
    with ``clip=False`` gives all three channels within ``[-tol, 1 + tol]``.

    Args:
        L: lightness in [0, 100].
        ab_range: the a and b axes both run over ``[-ab_range, ab_range]``.
        resolution: samples per axis (221 over +-110 is one per Lab unit).
        tol: slack on [0, 1] for float rounding.

    Returns:
        :class:`GamutSlice` ``(mask, a, b)``: ``mask`` is ``(resolution,
        resolution)`` bool with ``mask[i, j]`` for colour ``(a[j], b[i])``;
        ``a`` and ``b`` are the ``(resolution,)`` float64 axis values.
    """
    L = _real(L, "L", 0.0, 100.0)
    if int(resolution) < 2 or not ab_range > 0:
        raise ValueError("need resolution >= 2 and ab_range > 0")
    axis = torch.linspace(-float(ab_range), float(ab_range), int(resolution), dtype=torch.float64)
    bb, aa = torch.meshgrid(axis, axis, indexing="ij")  # rows: b, columns: a
    lab = torch.stack((torch.full_like(aa, float(L)), aa, bb))  # (3, res, res)
    rgb = lab_to_rgb(lab, clip=False)
    # lab_to_rgb clamps a negative Z (b > 200 L / 116, not a real colour) to 0: exclude it
    real = bb <= 200.0 * float(L) / 116.0
    mask = ((rgb >= -tol) & (rgb <= 1.0 + tol)).all(dim=0) & real
    return GamutSlice(mask=mask, a=axis, b=axis.clone())
