"""Build the nbgrader source notebooks of the colorlib course.

Run from anywhere (it writes next to itself)::

    python coursework/build_course.py

Each assignment below is a list of cells made by four helpers:

- :func:`markdown`: instructions (a plain cell the student may edit);
- :func:`setup`: read-only code (nbgrader "locked": autograde restores it, so
  the data and the fixed networks are the same for everybody);
- :func:`solution`: code the student writes. Everything between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by
  ``raise NotImplementedError()`` in the student version;
- :func:`tests`: an autograded test cell worth ``points``; the part between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed from the
  student version and put back by ``nbgrader autograde``.

Cell ids are fixed (derived from the grade ids), so building twice gives the
same files. The notebooks are committed; rebuild them after editing this file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"

#: assignment folder -> notebook name (one notebook per assignment)
NOTEBOOKS = {
    "01_lab": "lab_and_gamut",
    "02_soft_encoding": "soft_encoding",
    "03_your_own_loss": "your_own_loss",
    "04_cgan": "conditional_gan",
    "05_turing_study": "turing_study",
}


# --------------------------------------------------------------------------- helpers


def _text(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float = 0):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


class _Cells(list):
    """The cells of one notebook, with deterministic ids."""

    def markdown(self, source: str) -> None:
        cell = new_markdown_cell(_text(source))
        cell["id"] = f"md-{sum(c.cell_type == 'markdown' for c in self):02d}"
        self.append(cell)

    def setup(self, grade_id: str, source: str) -> None:
        meta = _meta(grade_id, grade=False, solution=False, locked=True)
        self.append(new_code_cell(_text(source), metadata=meta, id=grade_id))

    def solution(self, grade_id: str, source: str) -> None:
        meta = _meta(grade_id, grade=False, solution=True, locked=False)
        self.append(new_code_cell(_text(source), metadata=meta, id=grade_id))

    def tests(self, grade_id: str, points: float, source: str) -> None:
        meta = _meta(grade_id, grade=True, solution=False, locked=True, points=points)
        self.append(new_code_cell(_text(source), metadata=meta, id=grade_id))


def _notebook(cells: _Cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }  # fmt: skip
    return nb


def points(cells: list) -> float:
    """Total points of a notebook's autograded cells."""
    return sum(
        c.metadata.get("nbgrader", {}).get("points", 0)
        for c in cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )


# ------------------------------------------------------------------ 01 Lab and gamut


def lab_and_gamut() -> _Cells:
    nb = _Cells()
    nb.markdown(
        r"""
        # Assignment 1: CIE Lab and the ab gamut

        Colorization networks see the lightness **L** of a photo and predict its two
        colour channels **a** and **b** (CIE Lab). In this assignment you write the
        conversion from sRGB to Lab yourself, check it against `colorlib` on random
        colours and on real photos, and then find which (a, b) colours a screen can
        show at one lightness: the *gamut* that Zhang et al. cut into bins.

        | part | what | points |
        |---|---|---|
        | 1 | undo the sRGB curve | 1 |
        | 2 | sRGB -> Lab for a batch | 4 |
        | 3 | the in-gamut ab bins at one L | 3 |
        | 4 | measure: at which L is the gamut widest? | 1 |

        **Rules.** Write your code only where it says `YOUR CODE HERE` (delete the
        `raise NotImplementedError()` line). Use torch operations; do not call
        `colorlib.rgb_to_lab` inside your functions (the hidden tests switch it off
        while they call yours). Run every cell from the top (*Kernel > Restart and run
        all*) before you submit. The visible tests (`assert ...`) tell you at once
        whether the basics are right; hidden tests check more cases when your work is
        graded. Autograding this notebook takes well under a minute.
        """
    )
    nb.setup(
        "setup",
        """
        import numpy as np
        import torch

        import colorlib

        torch.manual_seed(0)
        np.set_printoptions(precision=3, suppress=True)

        # Linear sRGB (ITU-R BT.709 primaries) -> XYZ, and the D65 white point
        # (2-degree observer): the constants scikit-image and colorlib use.
        XYZ_FROM_RGB = torch.tensor(
            [
                [0.412453, 0.357580, 0.180423],
                [0.212671, 0.715160, 0.072169],
                [0.019334, 0.119193, 0.950227],
            ],
            dtype=torch.float64,
        )
        WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)
        """,
    )
    nb.markdown(
        r"""
        ## Part 1 (1 point): undo the sRGB curve

        Stored sRGB values $c \in [0, 1]$ are *gamma-encoded*. Linear light is

        $$c_{\text{lin}} = \begin{cases} c / 12.92 & c \le 0.04045 \\
        \left(\dfrac{c + 0.055}{1.055}\right)^{2.4} & c > 0.04045 \end{cases}$$

        Write `srgb_to_linear(rgb)` for a tensor of any shape (elementwise).
        """
    )
    nb.solution(
        "srgb_to_linear",
        '''
        def srgb_to_linear(rgb):
            """Gamma-encoded sRGB in [0, 1] -> linear light in [0, 1], elementwise."""
            ### BEGIN SOLUTION
            curved = ((rgb.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4
            return torch.where(rgb > 0.04045, curved, rgb / 12.92)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_srgb_to_linear",
        1,
        """
        x = torch.tensor([0.0, 0.04045, 0.5, 1.0], dtype=torch.float64)
        y = srgb_to_linear(x)
        assert y.shape == x.shape
        assert torch.allclose(y, torch.tensor([0.0, 0.04045 / 12.92, 0.214041, 1.0],
                                              dtype=torch.float64), atol=1e-6), y
        ### BEGIN HIDDEN TESTS
        x = torch.rand(3, 3, 5, 7, dtype=torch.float64)
        assert torch.allclose(srgb_to_linear(x), colorlib.lab.srgb_to_linear(x), atol=1e-9)
        ### END HIDDEN TESTS
        print("Part 1: visible tests passed")
        """,
    )
    nb.markdown(
        r"""
        ## Part 2 (4 points): sRGB -> CIE Lab for a batch

        For each pixel with linear RGB vector $\mathbf{c}$:

        1. $(X, Y, Z) = M\,\mathbf{c}$ with $M$ = `XYZ_FROM_RGB`, then divide each by the
           white point `WHITE_D65` (so white has $X = Y = Z = 1$);
        2. $f(t) = t^{1/3}$ if $t > 0.008856$, else $7.787\,t + 16/116$;
        3. $L = 116\,f(Y) - 16$, $\;a = 500\,(f(X) - f(Y))$, $\;b = 200\,(f(Y) - f(Z))$.

        Write `rgb_to_lab(rgb)`: input `(N, 3, H, W)` sRGB in [0, 1] (float32 or
        float64), output `(N, 3, H, W)` Lab in the input's dtype (compute in float64
        inside if you like). Avoid Python loops over pixels: use tensor operations
        (`torch.einsum`, or `reshape` + `@`).
        """
    )
    nb.solution(
        "rgb_to_lab",
        '''
        def rgb_to_lab(rgb):
            """(N, 3, H, W) sRGB in [0, 1] -> (N, 3, H, W) CIE Lab (D65), dtype of rgb."""
            ### BEGIN SOLUTION
            linear = srgb_to_linear(rgb.double())
            xyz = torch.einsum("ij,njhw->nihw", XYZ_FROM_RGB, linear)
            xyz = xyz / WHITE_D65.view(1, 3, 1, 1)
            f = torch.where(
                xyz > 0.008856, xyz.clamp(min=0.008856) ** (1 / 3), 7.787 * xyz + 16 / 116
            )
            fx, fy, fz = f.unbind(dim=1)
            lab = torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=1)
            return lab.to(rgb.dtype)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_rgb_to_lab_known_colours",
        1,
        """
        white = rgb_to_lab(torch.ones(2, 3, 4, 5))
        assert white.shape == (2, 3, 4, 5), white.shape
        assert white.dtype == torch.float32, white.dtype
        assert torch.allclose(white[:, 0], torch.tensor(100.0), atol=1e-3)
        assert torch.allclose(white[:, 1:], torch.tensor(0.0), atol=0.01)
        assert torch.allclose(rgb_to_lab(torch.zeros(1, 3, 1, 1)), torch.zeros(1, 3, 1, 1),
                              atol=1e-3)
        grey = rgb_to_lab(torch.full((1, 3, 1, 1), 0.5, dtype=torch.float64)).flatten()
        assert grey.dtype == torch.float64
        assert abs(grey[0] - 53.389) < 0.01 and grey[1:].abs().max() < 0.01, grey
        red = rgb_to_lab(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)).flatten()
        assert torch.allclose(red, torch.tensor([53.241, 80.092, 67.203]), atol=0.01), red
        print("Part 2: visible tests passed")
        """,
    )
    nb.tests(
        "test_rgb_to_lab_matches_colorlib",
        3,
        """
        # Hidden tests compare your rgb_to_lab with colorlib.rgb_to_lab on random
        # colours (float32 and float64) and on real photos of the bundled sample.
        ### BEGIN HIDDEN TESTS
        from unittest import mock


        def _yours(x):
            refuse = mock.Mock(side_effect=AssertionError("rgb_to_lab must not call colorlib's"))
            with mock.patch.object(colorlib, "rgb_to_lab", refuse), \\
                    mock.patch.object(colorlib.lab, "rgb_to_lab", refuse):
                return rgb_to_lab(x)

        g = torch.Generator().manual_seed(1)
        for dtype, tol in ((torch.float64, 1e-3), (torch.float32, 1e-2)):
            x = torch.rand(4, 3, 17, 23, generator=g, dtype=torch.float64).to(dtype)
            mine, ref = _yours(x), colorlib.rgb_to_lab(x)
            assert mine.shape == ref.shape and mine.dtype == dtype
            assert (mine - ref).abs().max() < tol, (mine - ref).abs().max()
        photos = colorlib.data.load("sample", "test")
        rgb = torch.stack([photos[i]["rgb"] for i in range(16)])
        mine, ref = _yours(rgb), colorlib.rgb_to_lab(rgb)
        assert (mine - ref).abs().max() < 1e-2, (mine - ref).abs().max()
        edge = torch.tensor([0.04, 0.0405, 0.041, 0.001]).view(1, 1, 2, 2).expand(1, 3, 2, 2)
        assert (_yours(edge.double()) - colorlib.rgb_to_lab(edge.double())).abs().max() < 1e-3
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 3 (3 points): the in-gamut ab bins at one lightness

        Not every (L, a, b) is a colour a screen can show. Zhang et al. cut the ab
        plane into 10 x 10 cells and keep the cells that real colours reach. Do it
        for one lightness `L`:

        1. take every integer (a, b) with $-110 \le a, b \le 110$
           (`torch.arange(-110, 111, dtype=torch.float64)`);
        2. convert (L, a, b) to sRGB with `colorlib.lab_to_rgb(lab, clip=False)` (it
           accepts a `(3, H, W)` tensor); a colour is **displayable** when all three
           channels lie in $[-10^{-3}, 1 + 10^{-3}]$ **and** $b \le 200\,L / 116$
           (above that line $Z$ would be negative: no real colour);
        3. round each displayable (a, b) to the nearest grid point,
           `torch.floor(ab / grid + 0.5) * grid`;
        4. return the distinct grid points as a `(K, 2)` float64 tensor of (a, b),
           sorted by a, then b (`torch.unique(..., dim=0)` sorts that way).
        """
    )
    nb.solution(
        "ab_bins_at",
        '''
        def ab_bins_at(L, grid=10.0):
            """(K, 2) float64 grid points (a, b) reached by displayable colours at lightness L."""
            ### BEGIN SOLUTION
            axis = torch.arange(-110, 111, dtype=torch.float64)
            b, a = torch.meshgrid(axis, axis, indexing="ij")
            lab = torch.stack((torch.full_like(a, float(L)), a, b))
            rgb = colorlib.lab_to_rgb(lab, clip=False)
            inside = ((rgb >= -1e-3) & (rgb <= 1 + 1e-3)).all(dim=0) & (b <= 200 * L / 116)
            ab = torch.stack((a[inside], b[inside]), dim=1)
            return torch.unique(torch.floor(ab / grid + 0.5) * grid, dim=0)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_ab_bins_visible",
        1,
        """
        bins = ab_bins_at(50.0)
        assert bins.ndim == 2 and bins.shape[1] == 2, bins.shape
        assert bins.dtype == torch.float64
        assert torch.equal(bins, torch.unique(bins, dim=0)), "sorted and distinct, please"
        assert torch.equal(bins % 10, torch.zeros_like(bins)), "every bin is a grid point"
        assert (bins == torch.tensor([0.0, 0.0], dtype=torch.float64)).all(dim=1).any()
        assert torch.equal(ab_bins_at(0.0), torch.zeros(1, 2, dtype=torch.float64))
        print(f"{len(bins)} bins at L = 50; visible tests passed")
        """,
    )
    nb.tests(
        "test_ab_bins_hidden",
        2,
        """
        # Hidden tests compare with colorlib.gamut.gamut_slice at several L and grids,
        # and check that every bin is one of colorlib's ABGamut bins.
        ### BEGIN HIDDEN TESTS
        from colorlib.gamut import ABGamut, gamut_slice


        def _reference(L, grid):
            s = gamut_slice(L, ab_range=110.0, resolution=221, tol=1e-3)
            b, a = torch.meshgrid(s.b, s.a, indexing="ij")
            ab = torch.stack((a[s.mask], b[s.mask]), dim=1)
            return torch.unique(torch.floor(ab / grid + 0.5) * grid, dim=0)

        known = {tuple(c) for c in ABGamut().centers.tolist()}
        for L, grid in ((20.0, 10.0), (50.0, 10.0), (80.0, 10.0), (65.0, 20.0)):
            mine = ab_bins_at(L, grid=grid)
            assert torch.equal(mine, _reference(L, grid)), (L, grid)
            if grid == 10.0:
                assert {tuple(c) for c in mine.tolist()} <= known, L
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 4 (1 point): measure where the gamut is widest

        Count the bins at L = 0, 5, 10, ..., 100 (grid 10). Fill in:

        - `bins_per_L`: dict `{L: number of bins}` with integer keys 0, 5, ..., 100;
        - `busiest_L`: the L with the most bins (the smallest such L if tied);
        - `share_of_Q`: that count divided by the number of bins colorlib keeps over
          *all* lightnesses, `colorlib.gamut.ABGamut().Q`.
        """
    )
    nb.solution(
        "measure_gamut",
        """
        ### BEGIN SOLUTION
        bins_per_L = {L: len(ab_bins_at(float(L))) for L in range(0, 101, 5)}
        busiest_L = max(bins_per_L, key=lambda L: (bins_per_L[L], -L))
        share_of_Q = bins_per_L[busiest_L] / colorlib.gamut.ABGamut().Q
        ### END SOLUTION
        print("bins per L:", bins_per_L)
        print(f"widest at L = {busiest_L}: {bins_per_L[busiest_L]} bins, "
              f"{100 * share_of_Q:.0f}% of the {colorlib.gamut.ABGamut().Q} bins over all L")
        """,
    )
    nb.tests(
        "test_measure_gamut",
        1,
        """
        assert sorted(bins_per_L) == list(range(0, 101, 5))
        assert 0 < share_of_Q <= 1
        ### BEGIN HIDDEN TESTS
        def _count(L):
            s = colorlib.gamut.gamut_slice(float(L), 110.0, 221, 1e-3)
            b, a = torch.meshgrid(s.b, s.a, indexing="ij")
            ab = torch.stack((a[s.mask], b[s.mask]), dim=1)
            return len(torch.unique(torch.floor(ab / 10 + 0.5) * 10, dim=0))

        counts = {L: _count(L) for L in range(0, 101, 5)}
        assert {int(k): int(v) for k, v in bins_per_L.items()} == counts
        best = max(counts, key=lambda L: (counts[L], -L))
        assert busiest_L == best
        assert abs(share_of_Q - counts[best] / colorlib.gamut.ABGamut().Q) < 1e-9
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        """
        **To think about (not graded):** the bins colorlib keeps over all lightnesses
        outnumber the bins at any single L. Which colours exist only when dark, and
        which only when light? Look at `ab_bins_at(20.0)` and `ab_bins_at(90.0)`.
        """
    )
    return nb


# ---------------------------------------------------------------- 02 soft encoding


def soft_encoding() -> _Cells:
    nb = _Cells()
    nb.markdown(
        r"""
        # Assignment 2: soft-encoding and the annealed mean

        Zhang et al. (ECCV 2016) turn colorization into classification over Q ab bins.
        Training targets are **soft-encoded**: each true ab spreads over its 5 nearest
        bin centres with Gaussian weights ($\sigma = 5$). Predictions are decoded by the
        **annealed mean**: sharpen the predicted distribution with a temperature T,
        then average the bin centres. You write both, check them against
        `colorlib.gamut.ABGamut`, and then *measure* what T does on two shipped models.

        | part | what | points |
        |---|---|---|
        | 1 | soft-encoding | 4 |
        | 2 | annealed-mean decoding | 3 |
        | 3 | measure: what does T do? | 3 |

        **Rules.** Write code only where it says `YOUR CODE HERE`. Do not call
        `ABGamut.encode` or `ABGamut.decode` inside your functions (the hidden tests
        switch them off). Run all cells from the top before you submit. Autograding
        takes under a minute.
        """
    )
    nb.setup(
        "setup",
        """
        import numpy as np
        import torch

        import colorlib
        from colorlib.gamut import ABGamut

        torch.manual_seed(0)
        gamut = ABGamut()        # colorlib's in-gamut bins: grid 10, Q = 261
        centers = gamut.centers  # (Q, 2) float32, (a, b) in Lab units
        print(gamut, "first centres:", centers[:3].tolist())
        """,
    )
    nb.markdown(
        r"""
        ## Part 1 (4 points): soft-encoding

        For every pixel with true colour $\mathbf{ab}$, let $d_q$ be its Euclidean
        distance to bin centre $q$. Keep the `k` nearest bins and give them weights
        $\exp(-d_q^2 / 2\sigma^2)$, normalised to sum to 1; every other bin gets 0.

        Write `soft_encode(ab, centers, k=5, sigma=5.0)`: `ab` is `(N, 2, H, W)` in Lab
        units, `centers` is `(Q, 2)`; return `(N, Q, H, W)` in the dtype of `ab`.
        *Hints:* `torch.cdist`, `Tensor.topk(largest=False)`, `scatter_`; a softmax of
        $-d^2/2\sigma^2$ over the k bins is the same normalised Gaussian and never
        divides by zero.
        """
    )
    nb.solution(
        "soft_encode",
        '''
        def soft_encode(ab, centers, k=5, sigma=5.0):
            """(N, 2, H, W) ab -> (N, Q, H, W): Gaussian weights on the k nearest bins."""
            ### BEGIN SOLUTION
            n, _, h, w = ab.shape
            pixels = ab.permute(0, 2, 3, 1).reshape(-1, 2).double()      # (P, 2)
            d2 = torch.cdist(pixels, centers.double()) ** 2               # (P, Q)
            near_d2, near = d2.topk(k, dim=1, largest=False)
            weights = torch.softmax(-near_d2 / (2 * sigma**2), dim=1)
            out = torch.zeros(pixels.shape[0], centers.shape[0], dtype=torch.float64)
            out.scatter_(1, near, weights)
            return out.reshape(n, h, w, -1).permute(0, 3, 1, 2).to(ab.dtype)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_soft_encode_visible",
        1,
        """
        ab = torch.tensor([[0.0, 0.0], [5.0, 0.0], [23.0, -41.0]]).T.reshape(1, 2, 1, 3)
        target = soft_encode(ab, centers)
        assert target.shape == (1, gamut.Q, 1, 3), target.shape
        assert torch.allclose(target.sum(dim=1), torch.ones(1, 1, 3), atol=1e-5)
        assert ((target > 0).sum(dim=1) == 5).all(), "exactly 5 bins per pixel"
        grey = int(((centers - torch.tensor([0.0, 0.0])).abs().sum(dim=1) == 0).nonzero())
        assert target[0, :, 0, 0].argmax() == grey, "a pixel on a centre weighs it most"
        right = int(((centers - torch.tensor([10.0, 0.0])).abs().sum(dim=1) == 0).nonzero())
        assert torch.isclose(target[0, grey, 0, 1], target[0, right, 0, 1]), "halfway: equal"
        print("Part 1: visible tests passed")
        """,
    )
    nb.tests(
        "test_soft_encode_hidden",
        3,
        """
        # Hidden tests compare with colorlib's ABGamut.encode on random ab, on real
        # photos, and with other k and sigma.
        ### BEGIN HIDDEN TESTS
        from unittest import mock


        def _yours(ab, **kw):
            refuse = mock.Mock(side_effect=AssertionError("do not call ABGamut.encode"))
            with mock.patch.object(ABGamut, "encode", refuse), \\
                    mock.patch.object(ABGamut, "encode_topk", refuse):
                return soft_encode(ab, centers, **kw)

        g = torch.Generator().manual_seed(2)
        ab = (torch.rand(2, 2, 7, 9, generator=g) * 2 - 1) * 60
        assert torch.allclose(_yours(ab), gamut.encode(ab), atol=1e-5)
        assert torch.allclose(_yours(ab, k=10, sigma=3.0), gamut.encode(ab, k=10, sigma=3.0),
                              atol=1e-5)
        photos = colorlib.data.load("sample", "test", size=32)
        ab = torch.stack([photos[i]["ab"] for i in range(8)])
        mine = _yours(ab)
        assert mine.dtype == ab.dtype and torch.allclose(mine, gamut.encode(ab), atol=1e-5)
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 2 (3 points): the annealed mean

        A network outputs logits $z_q$ per pixel. The annealed mean at temperature T is
        $$\widehat{\mathbf{ab}} = \sum_q \operatorname{softmax}(z / T)_q\, \mathbf{c}_q ,$$
        with $\mathbf{c}_q$ the bin centres. T = 1 is the plain mean of the predicted
        distribution; T -> 0 tends to the **mode** (the centre of the most likely bin):
        return exactly that for `T == 0`.

        Write `annealed_mean(logits, centers, T)`: logits `(N, Q, H, W)` -> ab
        `(N, 2, H, W)` in Lab units, dtype of the logits.
        """
    )
    nb.solution(
        "annealed_mean",
        '''
        def annealed_mean(logits, centers, T=0.38):
            """(N, Q, H, W) logits -> (N, 2, H, W) ab: sum of softmax(logits / T) * centres."""
            ### BEGIN SOLUTION
            centers = centers.to(logits.dtype)
            if T == 0:
                return centers[logits.argmax(dim=1)].permute(0, 3, 1, 2)
            probs = torch.softmax(logits / T, dim=1)
            return torch.einsum("nqhw,qc->nchw", probs, centers)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_annealed_mean_visible",
        1,
        """
        g = torch.Generator().manual_seed(0)
        p = torch.rand(2, gamut.Q, 3, 4, generator=g)
        p = p / p.sum(dim=1, keepdim=True)
        mean = annealed_mean(p.log(), centers, T=1.0)
        assert mean.shape == (2, 2, 3, 4), mean.shape
        assert torch.allclose(mean, torch.einsum("nqhw,qc->nchw", p, centers), atol=1e-4)
        mode = annealed_mean(p.log(), centers, T=0)
        assert torch.equal(mode[0, :, 0, 0], centers[p[0, :, 0, 0].argmax()])
        print("Part 2: visible tests passed")
        """,
    )
    nb.tests(
        "test_annealed_mean_hidden",
        2,
        """
        # Hidden tests compare with ABGamut.decode at several temperatures.
        ### BEGIN HIDDEN TESTS
        import unittest.mock

        refuse = unittest.mock.Mock(side_effect=AssertionError("do not call ABGamut.decode"))
        g = torch.Generator().manual_seed(3)
        logits = torch.randn(2, gamut.Q, 5, 6, generator=g) * 3
        for T in (1.0, 0.38, 0.1, 0.0):
            ref = gamut.decode(logits, T=T)
            with unittest.mock.patch.object(ABGamut, "decode", refuse), \\
                    unittest.mock.patch.object(ABGamut, "mode", refuse):
                mine = annealed_mean(logits, centers, T)
            assert mine.dtype == logits.dtype
            assert torch.allclose(mine, ref, atol=1e-3), (T, (mine - ref).abs().max())
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 3 (3 points): measure what T does

        Zhang et al. decode at T = 0.38, "between the mean and the mode". Is the mode
        more vivid than the mean? Measure it on two models colorlib ships, trained on
        Tiny ImageNet at 64 px: `imagenet64-zhang-ce` (plain cross-entropy) and
        `imagenet64-zhang-ce-rebalanced` (class-rebalanced). The cell below runs both
        once on the 48 test photos of the bundled sample and keeps their logits
        (`(48, Q, 16, 16)`: the network predicts at 1/4 resolution).
        """
    )
    nb.setup(
        "load_models",
        """
        photos = colorlib.data.load("sample", "test", size=64)
        L = torch.stack([photos[i]["L"] for i in range(len(photos))])        # (48, 1, 64, 64)
        ab_true = torch.stack([photos[i]["ab"] for i in range(len(photos))])  # (48, 2, 64, 64)
        MODELS = ("imagenet64-zhang-ce", "imagenet64-zhang-ce-rebalanced")
        TEMPERATURES = (0.0, 0.1, 0.2, 0.38, 0.6, 1.0)
        logits = {}
        with torch.no_grad():
            for name in MODELS:
                model = colorlib.pretrained.load(name)
                assert torch.equal(model.gamut.centers, centers)
                logits[name] = model.logits(L)
        print({name: tuple(v.shape) for name, v in logits.items()})
        """,
    )
    nb.markdown(
        r"""
        For each model and each T in `TEMPERATURES`: decode with **your**
        `annealed_mean`, upsample to 64 px with `colorlib.models.upsample_ab(ab, 64)`,
        rebuild the photo with `colorlib.lab_to_rgb(colorlib.merge_lab(L, ab))`, and
        record the mean over the 48 photos of

        - `colourfulness[name][T]`: `colorlib.metrics.colorfulness(rgb)` (Hasler and
          Suesstrunk's M; grey scores 0);
        - `ab_error[name][T]`: `colorlib.metrics.ab_l2(ab, ab_true)` (Lab units).

        Then answer with computed values, not typed ones:

        - `mode_more_colourful[name]`: is T = 0 more colourful than T = 1 for that model?
        - `best_T[name]`: the T in `TEMPERATURES` with the lowest ab error.
        """
    )
    nb.solution(
        "measure_temperature",
        """
        colourfulness = {}  # {model name: {T: mean colourfulness over the photos}}
        ab_error = {}       # {model name: {T: mean ab L2 in Lab units}}
        ### BEGIN SOLUTION
        for name, scores in logits.items():
            colourfulness[name], ab_error[name] = {}, {}
            for T in TEMPERATURES:
                ab = colorlib.models.upsample_ab(annealed_mean(scores, centers, T), 64)
                rgb = colorlib.lab_to_rgb(colorlib.merge_lab(L, ab))
                colourfulness[name][T] = colorlib.metrics.colorfulness(rgb).mean().item()
                ab_error[name][T] = colorlib.metrics.ab_l2(ab, ab_true).mean().item()
        mode_more_colourful = {name: c[0.0] > c[1.0] for name, c in colourfulness.items()}
        best_T = {name: min(e, key=e.get) for name, e in ab_error.items()}
        ### END SOLUTION
        for name in MODELS:
            print(name)
            for T in TEMPERATURES:
                print(f"  T = {T:<5} colourfulness {colourfulness[name][T]:6.2f}"
                      f"   ab L2 {ab_error[name][T]:6.2f}")
            print(f"  mode more colourful than the mean: {mode_more_colourful[name]};"
                  f" lowest ab error at T = {best_T[name]}")
        """,
    )
    nb.tests(
        "test_measure_visible",
        1,
        """
        assert set(colourfulness) == set(MODELS) and set(ab_error) == set(MODELS)
        for name in MODELS:
            assert set(colourfulness[name]) == set(TEMPERATURES)
            assert all(np.isfinite(v) and v >= 0 for v in colourfulness[name].values())
            assert best_T[name] in TEMPERATURES
        print("Part 3: visible tests passed")
        """,
    )
    nb.tests(
        "test_measure_hidden",
        2,
        """
        # Hidden tests recompute every number with colorlib's decoder.
        ### BEGIN HIDDEN TESTS
        for name in MODELS:
            ref_c, ref_e = {}, {}
            for T in TEMPERATURES:
                ab = colorlib.models.upsample_ab(gamut.decode(logits[name], T=T), 64)
                rgb = colorlib.lab_to_rgb(colorlib.merge_lab(L, ab))
                ref_c[T] = colorlib.metrics.colorfulness(rgb).mean().item()
                ref_e[T] = colorlib.metrics.ab_l2(ab, ab_true).mean().item()
                assert abs(colourfulness[name][T] - ref_c[T]) < 0.05, (name, T)
                assert abs(ab_error[name][T] - ref_e[T]) < 0.05, (name, T)
            assert bool(mode_more_colourful[name]) == (ref_c[0.0] > ref_c[1.0]), name
            assert best_T[name] == min(ref_e, key=ref_e.get), name
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        """
        **In two or three sentences (read by your teacher, not autograded):** what
        does lowering T do to each model's colours, and why can the single most
        likely bin of the plain cross-entropy model be grey while the rebalanced
        model's is vivid? Use your numbers.

        *Your answer here.*
        """
    )
    return nb


# ------------------------------------------------------------------ 03 your own loss


def your_own_loss() -> _Cells:
    nb = _Cells()
    nb.markdown(
        r"""
        # Assignment 3: your own loss, trained through colorlib's loss hook

        colorlib's training engine accepts **your** loss function:

        - `colorlib.tasks.BinTask(model, loss=fn)` calls
          `fn(logits, target, weights)` with logits `(N, Q, s, s)`, the soft-encoded
          target `(N, Q, s, s)` (sums to 1 over Q) and per-pixel rebalancing weights
          `(N, s, s)`, or `None` when the task has no prior;
        - `colorlib.tasks.RegressionTask(model, loss=fn)` calls `fn(pred, target)` on
          normalised ab (ab / 110), both `(N, 2, s, s)`.

        You write Zhang et al.'s class-rebalanced cross-entropy and their rebalancing
        weights, train a small network with your loss for a minute or two on a CPU,
        and show with a paired interval that it beats the "gray guess" (ab = 0) on
        held-out photos.

        | part | what | points |
        |---|---|---|
        | 1 | class-rebalanced cross-entropy | 3 |
        | 2 | the rebalancing weights | 2 |
        | 3 | a paired 95% interval | 1 |
        | 4 | train with your loss and beat the gray guess | 3 |

        **Data.** With the real datasets (the environment variable `COLORLIB_DATA`
        points at them) you train on 2,000 CIFAR-10 photos and score on 500 test
        photos; without them, on the bundled sample (191 photos, scored on its 48
        test photos). **Time.** Training takes under a minute on a 2-core laptop (one
        CPU thread; a GPU is used when there is one); autograding the notebook about one.
        """
    )
    nb.setup(
        "setup",
        """
        import numpy as np
        import torch

        import colorlib
        from colorlib import evaluate

        # One CPU thread: the same numbers on every machine, and on a busy 2-core machine
        # much faster than two (training took 15 s with one thread, 98 s with two).
        torch.set_num_threads(1)
        torch.manual_seed(0)
        gamut = colorlib.gamut.ABGamut()  # Q = 261 bins
        DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
        """,
    )
    nb.markdown(
        r"""
        ## Part 1 (3 points): class-rebalanced cross-entropy

        Zhang et al.'s eq. 2: per pixel,
        $-v\,\sum_q z_q \log \operatorname{softmax}(\text{logits})_q$
        with $z$ the soft target and $v$ the pixel's weight ($v = 1$ when `weights`
        is `None`); the loss is the **mean over all N x s x s pixels** (divide by the
        number of pixels, not by the sum of the weights). Return a 0-dim tensor.
        Use `torch.log_softmax` (a log of a softmax underflows).
        """
    )
    nb.solution(
        "rebalanced_cross_entropy",
        '''
        def rebalanced_cross_entropy(logits, target, weights=None):
            """Mean over pixels of weights * soft cross-entropy; logits, target (N, Q, s, s)."""
            ### BEGIN SOLUTION
            log_probs = torch.log_softmax(logits, dim=1)
            per_pixel = -(target * log_probs).sum(dim=1)  # (N, s, s)
            if weights is not None:
                per_pixel = per_pixel * weights
            return per_pixel.mean()
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_loss_visible",
        1,
        """
        import math

        target = torch.softmax(torch.randn(2, gamut.Q, 4, 4), dim=1)
        flat = rebalanced_cross_entropy(torch.zeros(2, gamut.Q, 4, 4), target)
        assert flat.dim() == 0, "return a 0-dim tensor"
        assert abs(flat.item() - math.log(gamut.Q)) < 1e-4, "uniform logits give log Q"
        logits = torch.randn(2, gamut.Q, 4, 4)
        plain = rebalanced_cross_entropy(logits, target)
        assert torch.isclose(rebalanced_cross_entropy(logits, target, torch.ones(2, 4, 4)), plain)
        assert torch.isclose(rebalanced_cross_entropy(logits, target, torch.full((2, 4, 4), 2.0)),
                             2 * plain)
        print("Part 1: visible tests passed")
        """,
    )
    nb.tests(
        "test_loss_hidden",
        2,
        """
        # Hidden tests compare values and gradients with colorlib.losses.soft_cross_entropy
        # on fixed tensors, with and without weights.
        ### BEGIN HIDDEN TESTS
        from unittest import mock

        g = torch.Generator().manual_seed(4)
        for dtype in (torch.float32, torch.float64):
            logits = (torch.randn(3, gamut.Q, 5, 6, generator=g) * 2).to(dtype)
            target = torch.softmax(torch.randn(3, gamut.Q, 5, 6, generator=g) * 4, 1).to(dtype)
            for weights in (None, (torch.rand(3, 5, 6, generator=g) * 3).to(dtype)):
                ref_in = logits.clone().requires_grad_()
                ref = colorlib.losses.soft_cross_entropy(ref_in, target, weights)
                ref.backward()
                mine_in = logits.clone().requires_grad_()
                refuse = mock.Mock(side_effect=AssertionError("write the loss yourself"))
                with mock.patch.object(colorlib.losses, "soft_cross_entropy", refuse):
                    mine = rebalanced_cross_entropy(mine_in, target, weights)
                mine.backward()
                assert mine.dim() == 0 and torch.allclose(mine, ref, rtol=1e-5, atol=1e-6)
                assert torch.allclose(mine_in.grad, ref_in.grad, rtol=1e-4, atol=1e-7)
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 2 (2 points): the rebalancing weights

        Natural photos are mostly greyish, so a plain cross-entropy favours grey.
        Zhang et al. weight each pixel by $w(q^*)$, the weight of its true bin:
        $$w \propto \big((1 - \lambda)\,p + \lambda / Q\big)^{-1}, \qquad
        \text{scaled so that } \textstyle\sum_q p_q w_q = 1,$$
        with $p$ the empirical prior over the Q bins (normalise it to sum to 1 first)
        and $\lambda = 0.5$. Write `rebalancing_weights(prior, lam=0.5)` -> `(Q,)`, in
        the dtype of `prior`.
        """
    )
    nb.solution(
        "rebalancing_weights",
        '''
        def rebalancing_weights(prior, lam=0.5):
            """(Q,) prior -> (Q,) weights ((1 - lam) p + lam / Q)^-1, scaled so sum p w = 1."""
            ### BEGIN SOLUTION
            p = prior.double() / prior.double().sum()
            w = 1.0 / ((1 - lam) * p + lam / p.numel())
            w = w / (p * w).sum()
            return w.to(prior.dtype)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_weights_visible",
        1,
        """
        prior = torch.tensor([0.7, 0.2, 0.1], dtype=torch.float64)
        w = rebalancing_weights(prior)
        assert w.shape == (3,) and w.dtype == torch.float64
        assert abs(float((prior * w).sum()) - 1) < 1e-9, "sum p w must be 1"
        assert w[0] < w[1] < w[2], "rarer bins weigh more"
        assert torch.allclose(rebalancing_weights(prior, lam=1.0), torch.ones(3).double())
        print("Part 2: visible tests passed")
        """,
    )
    nb.tests(
        "test_weights_hidden",
        1,
        """
        # Hidden tests compare with colorlib.gamut.rebalance_weights on a random prior and on
        # the prior of real photos.
        ### BEGIN HIDDEN TESTS
        from colorlib.gamut import rebalance_weights

        g = torch.Generator().manual_seed(5)
        prior = torch.rand(gamut.Q, generator=g) ** 4
        for lam in (0.5, 0.1, 1.0):
            assert torch.allclose(rebalancing_weights(prior, lam), rebalance_weights(prior, lam),
                                  rtol=1e-5)
        photos = colorlib.data.load("sample", "test", size=32)
        real = gamut.prior(torch.stack([photos[i]["ab"] for i in range(len(photos))]))
        assert torch.allclose(rebalancing_weights(real), rebalance_weights(real), rtol=1e-5)
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 3 (1 point): a paired 95% interval

        Two methods scored on the **same** photos give per-photo values $x_i$ and $y_i$.
        Their differences $d_i = x_i - y_i$ cancel what the photos share (an easy photo
        is easy for both), so compare them with the mean $\bar d$ and a margin of two
        standard errors, $2\,s_d / \sqrt{n}$ ($s_d$: the standard deviation of the
        $d_i$ with $n - 1$ in the denominator). Write `paired_interval(ours, theirs)`
        -> `(mean, margin)` as Python floats, for `(n,)` tensors.
        """
    )
    nb.solution(
        "paired_interval",
        '''
        def paired_interval(ours, theirs):
            """Mean of ours - theirs and two standard errors of that mean (floats)."""
            ### BEGIN SOLUTION
            d = (ours - theirs).double()
            return d.mean().item(), 2 * d.std().item() / len(d) ** 0.5
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_paired_interval",
        1,
        """
        mean, margin = paired_interval(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, 0.0, 0.0]))
        assert abs(mean - 2.0) < 1e-9 and abs(margin - 2 / 3**0.5) < 1e-6, (mean, margin)
        ### BEGIN HIDDEN TESTS
        g = torch.Generator().manual_seed(6)
        x, y = torch.randn(50, generator=g, dtype=torch.float64), torch.randn(50, generator=g,
                                                                           dtype=torch.float64)
        ref_mean, ref_margin, _ = evaluate.paired_difference(x, y)
        mean, margin = paired_interval(x, y)
        assert abs(mean - ref_mean) < 1e-9 and abs(margin - ref_margin) < 1e-9
        ### END HIDDEN TESTS
        print("Part 3: tests passed")
        """,
    )
    nb.markdown(
        r"""
        ## Part 4 (3 points): train with your loss, beat the gray guess

        The data (a fixed random subset, the same for everybody):
        """
    )
    nb.setup(
        "data",
        """
        train_all, train_about = colorlib.data.load_or_sample("cifar10", "train")
        test_all, test_about = colorlib.data.load_or_sample("cifar10", "test")
        REAL_DATA = not train_about.startswith("the bundled sample")
        train_set = colorlib.data.random_subset(train_all, 2000, seed=0)
        test_set = colorlib.data.random_subset(test_all, 500, seed=1)
        EPOCHS = 2 if REAL_DATA else 10  # about 125 (CIFAR-10) or 50 (sample) steps of 32 photos
        print(train_about)
        print(test_about)
        print(f"training on {len(train_set)} photos for {EPOCHS} epochs; "
              f"scoring on {len(test_set)} held-out photos")
        """,
    )
    nb.markdown(
        r"""
        **Train.** Build Zhang et al.'s network at a quarter of its width with a head of
        Q logits, `colorlib.models.ZhangNet(width=0.25, bins=gamut.Q)` (seed torch with
        `torch.manual_seed(0)` first, so everybody starts from the same weights), wrap
        it in `colorlib.tasks.BinTask(network, gamut=gamut,
        loss=rebalanced_cross_entropy)` and train it with
        `colorlib.train.fit(task, train_set, epochs=EPOCHS, batch_size=32, seed=0,
        device=DEVICE, progress=False)`. Keep the history `fit` returns in `history`.

        No prior is given, so `weights` is `None` and your loss is the plain
        cross-entropy: the rebalanced version makes colours more vivid but moves them
        *away* from the truth on average, which is not what the gray-guess test
        rewards (try it after you submit: pass `prior=gamut.prior(...)`).

        *Your choice:* you may train another loss through the same hook instead (e.g.
        a `RegressionTask` with a regression loss you write, on
        `colorlib.models.ZhangNet(width=0.25)`), as long as it trains in under two
        CPU minutes with a fixed seed and passes the test below.
        """
    )
    nb.solution(
        "train",
        """
        # Set `task` (its loss: yours) and `history = colorlib.train.fit(...)`.
        ### BEGIN SOLUTION
        torch.manual_seed(0)
        network = colorlib.models.ZhangNet(width=0.25, bins=gamut.Q)
        task = colorlib.tasks.BinTask(
            network, gamut=gamut, loss=rebalanced_cross_entropy
        )
        history = colorlib.train.fit(task, train_set, epochs=EPOCHS, batch_size=32, seed=0,
                                     device=DEVICE, progress=False)
        ### END SOLUTION
        seconds = sum(record["seconds"] for record in history)
        print(f"trained {len(history)} epochs in {seconds:.0f} s; training loss per epoch:",
              [round(record["train_loss"], 3) for record in history])
        """,
    )
    nb.markdown(
        r"""
        **Score.** Colorize the held-out photos with `task.colorizer()` through
        `evaluate.predict(colorizer, test_set)`, score them with `evaluate.evaluate`,
        score the gray guess on the same photos
        (`evaluate.baselines(prediction, None)["gray guess"]`), and compare the
        per-photo `"ab_l2"` (mean ab distance, lower is better) with **your**
        `paired_interval(yours, gray)`. Set `verdict` to `"better"` when the whole
        interval lies below zero, `"worse"` when above, `"tie"` otherwise.
        """
    )
    nb.solution(
        "score",
        """
        # Set `yours` and `gray` (per-photo ab L2), then `mean_diff`, `margin`, `verdict`.
        ### BEGIN SOLUTION
        prediction = evaluate.predict(task.colorizer(), test_set)
        yours = evaluate.evaluate(prediction)["ab_l2"]
        gray = evaluate.evaluate(evaluate.baselines(prediction, None)["gray guess"])["ab_l2"]
        mean_diff, margin = paired_interval(yours, gray)
        verdict = "better" if mean_diff < -margin else "worse" if mean_diff > margin else "tie"
        ### END SOLUTION
        print(f"ab L2 on {len(yours)} held-out photos: yours {yours.mean():.2f}, "
              f"gray guess {gray.mean():.2f} Lab units")
        low, high = mean_diff - margin, mean_diff + margin
        print(f"yours - gray: {mean_diff:+.2f} [{low:+.2f}, {high:+.2f}] (paired 95% interval): "
              f"{verdict}")
        """,
    )
    nb.tests(
        "test_training_visible",
        1,
        """
        assert str(task.config.get("loss", "")).startswith("custom:"), "train through the loss hook"
        assert len(history) >= 1 and all(np.isfinite(r["train_loss"]) for r in history)
        assert verdict in ("better", "worse", "tie")
        print("Part 4: visible tests passed")
        """,
    )
    nb.tests(
        "test_beats_gray_hidden",
        2,
        """
        # Hidden tests score your trained colorizer again on the held-out photos and
        # require it to beat the gray guess by a paired interval.
        ### BEGIN HIDDEN TESTS
        _pred = evaluate.predict(task.colorizer(), test_set)
        _ours = evaluate.evaluate(_pred)["ab_l2"]
        _gray = evaluate.evaluate(evaluate.baselines(_pred, None)["gray guess"])["ab_l2"]
        _mean, _margin, _verdict = evaluate.paired_difference(_ours, _gray)
        assert _verdict == "better", f"{_mean:+.3f} +- {_margin:.3f}: does not beat the gray guess"
        assert verdict == "better" and abs(mean_diff - _mean) < 1e-6
        ### END HIDDEN TESTS
        """,
    )
    return nb


# ----------------------------------------------------------------------- 04 the cGAN


def conditional_gan() -> _Cells:
    nb = _Cells()
    nb.markdown(
        r"""
        # Assignment 4: the conditional GAN (pix2pix)

        pix2pix trains a generator G (L -> ab) against a **PatchGAN** discriminator D
        that looks at (L, ab) pairs and outputs one real/fake logit per image patch.
        You work out how large those patches are, then write the two objectives:
        D's, and G's "cGAN + lambda L1".

        | part | what | points |
        |---|---|---|
        | 1 | receptive field of a stack of convolutions | 2 |
        | 2 | the PatchGAN's layers, patch size and patch grid | 3 |
        | 3 | the discriminator and generator objectives | 5 |

        **Rules.** Code only where it says `YOUR CODE HERE`. Use torch and
        `torch.nn.functional`; do not call `colorlib.losses` inside your functions.
        Autograding takes under a minute.
        """
    )
    nb.setup(
        "setup",
        """
        import math

        import torch
        import torch.nn.functional as F

        from colorlib import losses, models

        torch.manual_seed(0)
        """,
    )
    nb.markdown(
        r"""
        ## Part 1 (2 points): the receptive field

        One output unit of a stack of convolutions sees a square window of the input.
        Walk the layers from the input, with `jump` = the input-pixel distance
        between neighbouring units of the current feature map (start: field 1,
        jump 1):

            field += (kernel - 1) * dilation * jump
            jump  *= stride

        (padding only moves the window). Write `receptive_field(layers)` for a list of
        `(kernel, stride, dilation)` tuples.
        """
    )
    nb.solution(
        "receptive_field",
        '''
        def receptive_field(layers):
            """Input pixels one output unit sees (a side); layers: [(kernel, stride, dilation)]."""
            ### BEGIN SOLUTION
            field, jump = 1, 1
            for kernel, stride, dilation in layers:
                field += (kernel - 1) * dilation * jump
                jump *= stride
            return field
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_receptive_field_visible",
        1,
        """
        assert receptive_field([]) == 1
        assert receptive_field([(3, 1, 1), (3, 1, 1)]) == 5
        assert receptive_field([(2, 2, 1)] * 3) == 8
        assert receptive_field([(3, 1, 2)]) == 5
        print("Part 1: visible tests passed")
        """,
    )
    nb.tests(
        "test_receptive_field_hidden",
        1,
        """
        # Hidden tests compare with colorlib.models.receptive_field on random stacks.
        ### BEGIN HIDDEN TESTS
        import random

        rng = random.Random(7)
        for _ in range(50):
            specs = [(rng.choice([1, 3, 4, 5, 7]), rng.choice([1, 2]), rng.choice([1, 2]))
                     for _ in range(rng.randrange(1, 7))]
            net = torch.nn.Sequential(*[torch.nn.Conv2d(1, 1, k, stride=s, dilation=d)
                                        for k, s, d in specs])
            assert receptive_field(specs) == models.receptive_field(net), specs
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 2 (3 points): the PatchGAN

        colorlib's `models.PatchDiscriminator(n_layers=n)` (as Isola et al.'s) is a
        stack of 4 x 4 convolutions, all with padding 1 and dilation 1: `n` with
        stride 2, then two with stride 1 (the last gives one logit per patch).
        BatchNorm and LeakyReLU sit between them and change neither the window nor
        the size.

        1. `patchgan_layers(n_layers)`: the list of `(kernel, stride, dilation)` of
           its convolutions, in order. Then `receptive_field(patchgan_layers(3))` is
           the famous 70 x 70 patch.
        2. `patch_grid(image_size, n_layers)`: the side of D's output grid for an
           `image_size` x `image_size` input. A convolution maps a side $s$ to
           $\lfloor (s + 2p - k) / \text{stride} \rfloor + 1$.
        3. For the 32 px photos of CIFAR-10 colorlib uses `n_layers = 1`: set
           `patches_32` (the number of logits D gives per 32 px photo) and
           `patch_fraction_32` (the patch side divided by 32).
        """
    )
    nb.solution(
        "patchgan",
        '''
        def patchgan_layers(n_layers):
            """[(kernel, stride, dilation)] of PatchDiscriminator(n_layers=...)'s convolutions."""
            ### BEGIN SOLUTION
            return [(4, 2, 1)] * n_layers + [(4, 1, 1), (4, 1, 1)]
            ### END SOLUTION


        def patch_grid(image_size, n_layers):
            """Side of the PatchGAN's output grid for a square input of side image_size."""
            ### BEGIN SOLUTION
            side = image_size
            for kernel, stride, _ in patchgan_layers(n_layers):
                side = (side + 2 - kernel) // stride + 1
            return side
            ### END SOLUTION


        ### BEGIN SOLUTION
        patches_32 = patch_grid(32, 1) ** 2
        patch_fraction_32 = receptive_field(patchgan_layers(1)) / 32
        ### END SOLUTION
        print(f"n_layers=3: {receptive_field(patchgan_layers(3))} px patches; "
              f"32 px photo, n_layers=1: {patches_32} logits, each judging "
              f"{100 * patch_fraction_32:.0f}% of the side")
        ''',
    )
    nb.tests(
        "test_patchgan_visible",
        1,
        """
        assert receptive_field(patchgan_layers(3)) == 70
        assert patch_grid(64, 1) == 30
        print("Part 2: visible tests passed")
        """,
    )
    nb.tests(
        "test_patchgan_hidden",
        2,
        """
        # Hidden tests compare with colorlib's PatchDiscriminator: its layers, its
        # receptive_field and the shape of its output.
        ### BEGIN HIDDEN TESTS
        for n in range(1, 6):
            D = models.PatchDiscriminator(base_width=1, n_layers=n)
            convs = [(m.kernel_size[0], m.stride[0], m.dilation[0]) for m in D.modules()
                     if isinstance(m, torch.nn.Conv2d)]
            assert [tuple(t) for t in patchgan_layers(n)] == convs, n
            assert receptive_field(patchgan_layers(n)) == D.receptive_field, n
        for size, n in ((32, 1), (64, 1), (64, 2), (128, 2), (256, 3), (100, 2)):
            D = models.PatchDiscriminator(base_width=1, n_layers=n).eval()
            with torch.no_grad():
                side = D(torch.zeros(1, 3, size, size)).shape[-1]
            assert patch_grid(size, n) == side, (size, n, side)
        assert patches_32 == 14 * 14 and abs(patch_fraction_32 - 0.5) < 1e-12
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 3 (5 points): the objectives

        With normalised L (`L / 50 - 1`) and normalised ab (`ab / 110`), D sees the pair
        `torch.cat((L, ab), dim=1)` and returns raw logits (no sigmoid). With
        $\ell(s, y)$ the mean binary cross-entropy of logits $s$ against label $y$
        (`F.binary_cross_entropy_with_logits`):

        - **discriminator:**
          $\tfrac12\big[\ell(D(L, ab_{real}), 1) + \ell(D(L, ab_{fake}), 0)\big]$,
          where the fake ab must be **detached** (D's update must not reach G);
        - **generator:**
          $\ell(D(L, ab_{fake}), 1) + \lambda\,\operatorname{mean}|ab_{fake} - ab_{real}|$,
          the non-saturating cGAN loss plus $\lambda$ L1 (pix2pix: $\lambda = 100$).

        `generator_objective` returns `(total, adversarial, l1)`, all 0-dim tensors.

        Finally, a measurement: a D that cannot tell real from fake outputs 0 for
        every patch. Set `chance_level` to the value (a float) of your
        discriminator objective for such a D (`blind_D` below) on the fixed inputs.
        That is the level the D loss curves of notebook 03 are compared with.
        """
    )
    nb.setup(
        "fixed_networks",
        """
        torch.manual_seed(0)
        D = models.PatchDiscriminator.for_image_size(32, base_width=8).eval()  # fixed weights
        L = torch.rand(4, 1, 32, 32) * 2 - 1
        real_ab = torch.randn(4, 2, 32, 32) * 0.2
        fake_ab = torch.randn(4, 2, 32, 32) * 0.2


        def blind_D(pair):
            return torch.zeros(pair.shape[0], 1, 14, 14)
        """,
    )
    nb.solution(
        "objectives",
        '''
        def discriminator_objective(D, L, fake_ab, real_ab):
            """0.5 * (BCE(D(L, real), 1) + BCE(D(L, fake.detach()), 0)), a 0-dim tensor."""
            ### BEGIN SOLUTION
            real_score = D(torch.cat((L, real_ab), dim=1))
            fake_score = D(torch.cat((L, fake_ab.detach()), dim=1))
            real_loss = F.binary_cross_entropy_with_logits(real_score, torch.ones_like(real_score))
            fake_loss = F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score))
            return 0.5 * (real_loss + fake_loss)
            ### END SOLUTION


        def generator_objective(D, L, fake_ab, real_ab, l1_weight=100.0):
            """(total, adversarial, l1): BCE(D(L, fake), 1) + l1_weight * mean |fake - real|."""
            ### BEGIN SOLUTION
            score = D(torch.cat((L, fake_ab), dim=1))
            adversarial = F.binary_cross_entropy_with_logits(score, torch.ones_like(score))
            l1 = (fake_ab - real_ab).abs().mean()
            return adversarial + l1_weight * l1, adversarial, l1
            ### END SOLUTION


        ### BEGIN SOLUTION
        chance_level = discriminator_objective(blind_D, L, fake_ab, real_ab).item()
        ### END SOLUTION
        print(f"D objective {discriminator_objective(D, L, fake_ab, real_ab).item():.4f}; "
              f"G objective {generator_objective(D, L, fake_ab, real_ab)[0].item():.4f}; "
              f"chance level {chance_level:.4f}")
        ''',
    )
    nb.tests(
        "test_objectives_visible",
        1,
        """
        total, adversarial, l1 = generator_objective(D, L, fake_ab, real_ab)
        assert total.dim() == adversarial.dim() == l1.dim() == 0
        assert torch.isclose(total, adversarial + 100 * l1)
        assert generator_objective(D, L, real_ab, real_ab)[2].item() == 0.0
        assert discriminator_objective(D, L, fake_ab, real_ab).item() > 0
        print("Part 3: visible tests passed")
        """,
    )
    nb.tests(
        "test_generator_hidden",
        2,
        """
        # Hidden tests compare values and gradients with colorlib.losses (the maths of
        # colorlib.tasks.Pix2PixTask) for several lambda.
        ### BEGIN HIDDEN TESTS
        from unittest import mock

        for weight in (100.0, 10.0, 0.0):
            x_ref = fake_ab.clone().requires_grad_()
            score = D(torch.cat((L, x_ref), 1))
            ref_adv = losses.adversarial_loss(score, True)
            ref_l1 = losses.regression_loss(x_ref, real_ab, "l1")
            (ref_adv + weight * ref_l1).backward()
            x = fake_ab.clone().requires_grad_()
            refuse = mock.Mock(side_effect=AssertionError("write the objective yourself"))
            with mock.patch.object(losses, "adversarial_loss", refuse), \\
                    mock.patch.object(losses, "regression_loss", refuse):
                total, adversarial, l1 = generator_objective(D, L, x, real_ab, l1_weight=weight)
            total.backward()
            assert torch.allclose(adversarial, ref_adv, atol=1e-6)
            assert torch.allclose(l1, ref_l1, atol=1e-7)
            assert torch.allclose(total, ref_adv + weight * ref_l1, atol=1e-5)
            assert torch.allclose(x.grad, x_ref.grad, atol=1e-7), weight
        D.zero_grad(set_to_none=True)
        ### END HIDDEN TESTS
        """,
    )
    nb.tests(
        "test_discriminator_hidden",
        1,
        """
        # Hidden tests compare with the discriminator maths of Pix2PixTask and check that
        # D's objective sends no gradient to the generator's output.
        ### BEGIN HIDDEN TESTS
        D.zero_grad(set_to_none=True)
        ref = 0.5 * (losses.adversarial_loss(D(torch.cat((L, real_ab), 1)), True)
                     + losses.adversarial_loss(D(torch.cat((L, fake_ab), 1)), False))
        x = fake_ab.clone().requires_grad_()
        mine = discriminator_objective(D, L, x, real_ab)
        assert mine.dim() == 0 and torch.allclose(mine, ref, atol=1e-6)
        mine.backward()
        assert x.grad is None, "detach the fake ab in D's objective"
        assert any(p.grad is not None for p in D.parameters()), "D must get gradients"
        D.zero_grad(set_to_none=True)
        ### END HIDDEN TESTS
        """,
    )
    nb.tests(
        "test_chance_level",
        1,
        """
        assert isinstance(chance_level, float)
        ### BEGIN HIDDEN TESTS
        assert abs(chance_level - math.log(2)) < 1e-6
        ### END HIDDEN TESTS
        print("chance level recorded")
        """,
    )
    return nb


# ------------------------------------------------------------------- 05 Turing study


def turing_study() -> _Cells:
    nb = _Cells()
    nb.markdown(
        r"""
        # Assignment 5: a Colorization Turing Test study

        In notebook 05 people pick the real photo out of a pair (real, colorized); a
        method's **fooling rate** is the share of rounds where its colorization was
        picked (50% = indistinguishable). Every game writes a CSV log
        (`colorlib.turing.CSV_FIELDS`). Here a class of 8 students has played, and
        you get their pooled logs. Compute each method's fooling rate with a 95%
        **Wilson interval**, and test whether two methods differ.

        | part | what | points |
        |---|---|---|
        | 1 | tally the logs | 2 |
        | 2 | the Wilson score interval | 2 |
        | 3 | a two-proportion test | 2 |
        | 4 | the study: rates, intervals and verdicts | 2 |

        **Rules.** Code only where it says `YOUR CODE HERE`; do not call
        `colorlib.turing.wilson_interval` or `fooling_rates` inside your functions.
        Autograding takes a few seconds.
        """
    )
    nb.setup(
        "setup",
        """
        import csv
        import math
        import tempfile
        from pathlib import Path

        import numpy as np

        from colorlib import turing

        # Simulated games (the same for everybody): 8 participants, 30 rounds each,
        # methods drawn in balance by turing.schedule, each with a true fooling rate.
        TRUE_RATES = {"zhang-ce-rebalanced": 0.32, "pix2pix": 0.24, "seedcnn-l2": 0.10}
        LOG_DIR = Path(tempfile.mkdtemp(prefix="turing-logs-"))
        rng = np.random.default_rng(13)
        for person in range(8):
            participant = f"student{person + 1:02d}"
            trials = turing.schedule(list(TRUE_RATES), n_images=48, rounds=30, seed=person)
            path = LOG_DIR / f"{participant}-20250101-1000{person:02d}.csv"
            with open(path, "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=turing.CSV_FIELDS)
                writer.writeheader()
                for number, trial in enumerate(trials, start=1):
                    fooled = bool(rng.random() < TRUE_RATES[trial.method])
                    other = "left" if trial.real_side == "right" else "right"
                    writer.writerow({
                        "participant": participant, "session": "20250101-1000",
                        "round": number, "method": trial.method, "image": trial.image,
                        "real_side": trial.real_side,
                        "chosen_side": other if fooled else trial.real_side,
                        "fooled": int(fooled), "seconds": f"{rng.gamma(4, 0.8):.3f}",
                        "time": f"2025-01-01T10:{number:02d}:00",
                    })

        rows = turing.read_logs(LOG_DIR)  # every row of every CSV, values as strings
        METHODS = sorted(TRUE_RATES)
        print(f"{len(rows)} rounds from {len({r['participant'] for r in rows})} participants;"
              f" first row: {rows[0]}")
        """,
    )
    nb.markdown(
        r"""
        ## Part 1 (2 points): tally

        Write `tally(rows)` -> `{method: (fooled, rounds)}` (two ints per method) over
        all rows. Note that every value in `rows` is a string.
        """
    )
    nb.solution(
        "tally",
        '''
        def tally(rows):
            """{method: (number of rounds the method fooled the participant, number of rounds)}."""
            ### BEGIN SOLUTION
            counts = {}
            for row in rows:
                fooled, rounds = counts.get(row["method"], (0, 0))
                counts[row["method"]] = (fooled + int(row["fooled"]), rounds + 1)
            return counts
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_tally_visible",
        1,
        """
        counts = tally(rows)
        assert sorted(counts) == METHODS
        assert sum(n for _, n in counts.values()) == len(rows)
        two = [{"method": "x", "fooled": "1"}, {"method": "x", "fooled": "0"}]
        assert tally(two) == {"x": (1, 2)}
        print(counts)
        """,
    )
    nb.tests(
        "test_tally_hidden",
        1,
        """
        # Hidden tests compare with colorlib.turing.fooling_rates.
        ### BEGIN HIDDEN TESTS
        ref = turing.fooling_rates(rows)
        assert {m: (r.fooled, r.rounds) for m, r in ref.items()} == {
            m: (int(k), int(n)) for m, (k, n) in tally(rows).items()}
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 2 (2 points): the Wilson score interval

        For $k$ successes in $n$ trials, $\hat p = k / n$ and $z = 1.959964$ (95%):
        $$\frac{\hat p + \frac{z^2}{2n}
        \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}$$
        Unlike $\hat p \pm z\sqrt{\hat p(1-\hat p)/n}$ it never leaves [0, 1] and
        does not collapse to a point at $k = 0$. Write `wilson(k, n, z=1.959964)` ->
        `(low, high)` floats; return `(0.0, 1.0)` when `n == 0`, and clip to [0, 1].
        """
    )
    nb.solution(
        "wilson",
        '''
        def wilson(k, n, z=1.959964):
            """95% Wilson score interval (low, high) for k successes out of n."""
            ### BEGIN SOLUTION
            if n == 0:
                return 0.0, 1.0
            p = k / n
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            return max(0.0, centre - half), min(1.0, centre + half)
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_wilson_visible",
        1,
        """
        low, high = wilson(0, 10)
        assert low == 0.0 and 0.2 < high < 0.4, (low, high)
        assert wilson(0, 0) == (0.0, 1.0)
        a, b = wilson(3, 10), wilson(7, 10)
        assert abs(a[0] - (1 - b[1])) < 1e-12 and abs(a[1] - (1 - b[0])) < 1e-12, "symmetry"
        print("Part 2: visible tests passed")
        """,
    )
    nb.tests(
        "test_wilson_hidden",
        1,
        """
        # Hidden tests compare with colorlib.turing.wilson_interval on many (k, n).
        ### BEGIN HIDDEN TESTS
        from unittest import mock

        cases = [(k, n) for n in (1, 2, 5, 13, 80, 1000) for k in sorted({0, 1, n // 3, n // 2, n})]
        expected = [turing.wilson_interval(k, n) for k, n in cases]
        refuse = mock.Mock(side_effect=AssertionError("write the interval yourself"))
        with mock.patch.object(turing, "wilson_interval", refuse):
            got = [wilson(k, n) for k, n in cases]
        for case, mine, ref in zip(cases, got, expected, strict=True):
            assert abs(mine[0] - ref[0]) < 1e-9 and abs(mine[1] - ref[1]) < 1e-9, case
        assert abs(wilson(5, 20, z=1.0)[1] - turing.wilson_interval(5, 20, z=1.0)[1]) < 1e-9
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 3 (2 points): do two methods differ?

        Overlapping intervals do **not** mean "no difference". Test it directly, with
        the pooled two-proportion z-test: under "both rates are equal",
        $\bar p = (k_1 + k_2) / (n_1 + n_2)$,
        $$z = \frac{k_1/n_1 - k_2/n_2}{\sqrt{\bar p (1 - \bar p)(1/n_1 + 1/n_2)}},
        \qquad p\text{-value} = \operatorname{erfc}(|z| / \sqrt 2)$$
        (two-sided; `math.erfc`). Write `two_proportion_test(k1, n1, k2, n2)` ->
        `(z, p_value)` floats; return `(0.0, 1.0)` when $\bar p$ is 0 or 1.
        """
    )
    nb.solution(
        "two_proportion_test",
        '''
        def two_proportion_test(k1, n1, k2, n2):
            """Pooled two-proportion z-test: (z, two-sided p-value)."""
            ### BEGIN SOLUTION
            pooled = (k1 + k2) / (n1 + n2)
            if pooled in (0.0, 1.0):
                return 0.0, 1.0
            se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            z = (k1 / n1 - k2 / n2) / se
            return z, math.erfc(abs(z) / math.sqrt(2))
            ### END SOLUTION
        ''',
    )
    nb.tests(
        "test_two_proportion_visible",
        1,
        """
        z, p = two_proportion_test(10, 50, 10, 50)
        assert abs(z) < 1e-12 and abs(p - 1) < 1e-12
        z, p = two_proportion_test(30, 50, 10, 50)
        assert z > 0 and p < 0.001, (z, p)
        assert two_proportion_test(0, 10, 0, 10) == (0.0, 1.0)
        print("Part 3: visible tests passed")
        """,
    )
    nb.tests(
        "test_two_proportion_hidden",
        1,
        """
        # Hidden tests compare with scipy's chi-squared test of the 2 x 2 table (the same
        # test: chi2 = z**2).
        ### BEGIN HIDDEN TESTS
        from scipy.stats import chi2_contingency

        tables = ((12, 40, 5, 40), (30, 80, 19, 80), (3, 20, 9, 25), (50, 100, 49, 90))
        for k1, n1, k2, n2 in tables:
            z, p = two_proportion_test(k1, n1, k2, n2)
            chi2, ref_p, _, _ = chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
            assert abs(z * z - chi2) < 1e-9 and abs(p - ref_p) < 1e-9, (k1, n1, k2, n2)
            assert (z > 0) == (k1 / n1 > k2 / n2)
        ### END HIDDEN TESTS
        """,
    )
    nb.markdown(
        r"""
        ## Part 4 (2 points): the study

        With **your** functions fill in:

        - `rates`: `{method: (rate, low, high)}` (rate = fooled / rounds, Wilson bounds);
        - `p_values`: `{(m1, m2): p-value}` for every pair of methods with
          `m1 < m2` (alphabetically, as in `METHODS`);
        - `differ`: `{(m1, m2): True or False}`: do they differ at the 5% level?
        """
    )
    nb.solution(
        "study",
        """
        ### BEGIN SOLUTION
        counts = tally(rows)
        rates = {m: (k / n, *wilson(k, n)) for m, (k, n) in counts.items()}
        p_values = {}
        for i, m1 in enumerate(METHODS):
            for m2 in METHODS[i + 1:]:
                p_values[(m1, m2)] = two_proportion_test(*counts[m1], *counts[m2])[1]
        differ = {pair: p < 0.05 for pair, p in p_values.items()}
        ### END SOLUTION
        for m, (rate, low, high) in rates.items():
            print(f"{m:22} fooling rate {100 * rate:5.1f}%  "
                  f"95% interval {100 * low:5.1f}-{100 * high:5.1f}%")
        for (m1, m2), p in p_values.items():
            word = "differ" if differ[(m1, m2)] else "no difference shown"
            print(f"{m1} vs {m2}: p = {p:.4f} -> {word}")
        """,
    )
    nb.tests(
        "test_study",
        2,
        """
        assert set(rates) == set(METHODS)
        assert set(p_values) == set(differ) == {(a, b) for a in METHODS for b in METHODS if a < b}
        ### BEGIN HIDDEN TESTS
        from scipy.stats import chi2_contingency  # noqa: E402

        ref = turing.fooling_rates(rows)
        for m, (rate, low, high) in rates.items():
            assert abs(rate - ref[m].rate) < 1e-12
            assert abs(low - ref[m].low) < 1e-9 and abs(high - ref[m].high) < 1e-9
        for (a, b), p in p_values.items():
            table = [[ref[a].fooled, ref[a].rounds - ref[a].fooled],
                     [ref[b].fooled, ref[b].rounds - ref[b].fooled]]
            ref_p = chi2_contingency(table, correction=False)[1]
            assert abs(p - ref_p) < 1e-9 and bool(differ[(a, b)]) == (ref_p < 0.05), (a, b)
        ### END HIDDEN TESTS
        print("Part 4: tests passed")
        """,
    )
    nb.markdown(
        """
        **To think about (not graded):** the test treats all 240 rounds as
        independent, but each participant answered 30 of them. Which way would
        participants who differ in skill push the true uncertainty? How could you
        check with the per-participant rates?
        """
    )
    return nb


BUILDERS = {
    "01_lab": lab_and_gamut,
    "02_soft_encoding": soft_encoding,
    "03_your_own_loss": your_own_loss,
    "04_cgan": conditional_gan,
    "05_turing_study": turing_study,
}


def main() -> None:
    for assignment, build in BUILDERS.items():
        cells = build()
        folder = SOURCE / assignment
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{NOTEBOOKS[assignment]}.ipynb"
        nb = _notebook(cells)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        print(f"{path.relative_to(HERE)}: {len(cells)} cells, {points(cells):g} points")


if __name__ == "__main__":
    main()
