"""ZhangNet: the fully convolutional colorizer of "Colorful Image Colorization".

Zhang, Isola and Efros, ECCV 2016 (arXiv:1603.08511); layer for layer as the
authors' PyTorch release (``colorizers/eccv16.py`` in richzhang/colorization).

Architecture (channels at ``width=1.0``; "conv" = 3x3 convolution + ReLU)::

    block 1   2 conv,  64 ch, the 2nd with stride 2         -> S/2
    block 2   2 conv, 128 ch, the 2nd with stride 2         -> S/4
    block 3   3 conv, 256 ch, the 3rd with stride 2         -> S/8
    block 4   3 conv, 512 ch
    block 5   3 conv, 512 ch, dilation 2 (padding 2)
    block 6   3 conv, 512 ch, dilation 2 (padding 2)
    block 7   3 conv, 512 ch
    block 8   ConvTranspose 4x4 stride 2 (+ReLU), 2 conv, 256 ch  -> S/4
    head      1x1 conv: Q bin logits, or 2 ab values

Blocks 1-7 each end in a BatchNorm2d, as in the reference implementation (the
paper's Table 4 lists no normalisation; the released Caffe and PyTorch models
have it). Dilated blocks 5-6 widen the receptive field without further
downsampling. The network never returns to full resolution: the output grid is
S/4 (``ZhangNet.output_stride == 4``; 64 px in -> 16x16 out, 32 px -> 8x8).

Back to the input resolution, in one way: decode the S/4 prediction to ab
(``bins=None``: it already is normalised ab; ``bins=Q``: softmax and annealed mean,
:mod:`colorlib.gamut`), then :func:`upsample_ab` (bilinear, 4x) and pair it with
the full-resolution L, as the reference does. Losses are computed at S/4, against
ab targets downsampled to the output grid.

Parameters at ``width=1.0``: 32,235,385 with ``bins=313`` (32.24 M;
the reference module's 32,236,011 also counts its fixed 313 -> 2 bias-free 1x1
convolution, 626 weights that hold the bin centres for mean decoding, which here
is a decoding step in :mod:`colorlib.gamut`, not a layer); 32,155,458 with
``bins=None``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ZhangNet", "upsample_ab"]

# (number of 3x3 convs, channels at width 1.0, stride of the last conv, dilation)
ZHANG_BLOCKS = (
    (2, 64, 2, 1),
    (2, 128, 2, 1),
    (3, 256, 2, 1),
    (3, 512, 1, 1),
    (3, 512, 1, 2),
    (3, 512, 1, 2),
    (3, 512, 1, 1),
)
ZHANG_DECODER_CHANNELS = 256  # block 8, at width 1.0


def _scaled(channels: int, width: float) -> int:
    return max(1, round(channels * width))


def upsample_ab(ab: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize an ab map (e.g. ZhangNet's S/4 output) to the input size.

    Args:
        ab: ``(N, 2, h, w)`` ab, normalised or in Lab units (resizing is linear,
            so both commute with it).
        size: target side ``S`` or ``(H, W)`` in pixels.

    Returns:
        ``(N, 2, H, W)``, same units as ``ab`` (``align_corners=False``).
    """
    if ab.dim() != 4 or ab.shape[1] != 2:
        raise ValueError(f"ab must be shaped (N, 2, h, w), got {tuple(ab.shape)}")
    return F.interpolate(ab, size=size, mode="bilinear", align_corners=False)


class ZhangNet(nn.Module):
    """ECCV16 colorization network: normalised L -> ab (or bin logits) at 1/4 resolution.

    Args:
        width: multiplier on every channel count (default 1.0 = the paper; e.g.
            0.25 for quick CPU experiments). Counts are rounded, at least 1.
        bins: ``None`` (default) for a 2-channel regression head predicting
            normalised ab with no output activation; an integer Q (313 in the
            paper) for a head of Q logits over the quantised ab bins.

    Input:  normalised L, ``(N, 1, S, S)`` in [-1, 1]; S divisible by 8.
    Output: ``(N, 2, S/4, S/4)`` normalised ab (ab / 110) if ``bins is None``,
    else ``(N, Q, S/4, S/4)`` unnormalised logits (softmax over dim 1).

    The regression head is linear rather than tanh: targets ab / 110 already lie
    in about [-1, 1] and rarely near the ends, while tanh would flatten the
    gradient precisely for the saturated colours regression already under-predicts.
    Clamp when decoding.
    """

    output_stride = 4  # input pixels per output pixel, along each side

    def __init__(self, width: float = 1.0, bins: int | None = None) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"width must be positive, got {width}")
        if bins is not None and bins < 2:
            raise ValueError(f"bins must be None or an integer >= 2, got {bins}")
        self.width = width
        self.bins = bins

        blocks: list[nn.Module] = []
        in_channels = 1
        for n_convs, channels, last_stride, dilation in ZHANG_BLOCKS:
            out_channels = _scaled(channels, width)
            layers: list[nn.Module] = []
            for i in range(n_convs):
                stride = last_stride if i == n_convs - 1 else 1
                layers += [
                    nn.Conv2d(
                        in_channels,
                        out_channels,
                        kernel_size=3,
                        stride=stride,
                        padding=dilation,
                        dilation=dilation,
                    ),
                    nn.ReLU(inplace=True),
                ]
                in_channels = out_channels
            layers.append(nn.BatchNorm2d(out_channels))
            blocks.append(nn.Sequential(*layers))

        decoder_channels = _scaled(ZHANG_DECODER_CHANNELS, width)
        blocks.append(
            nn.Sequential(
                nn.ConvTranspose2d(
                    in_channels, decoder_channels, kernel_size=4, stride=2, padding=1
                ),
                nn.ReLU(inplace=True),
                nn.Conv2d(decoder_channels, decoder_channels, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(decoder_channels, decoder_channels, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
            )
        )
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv2d(decoder_channels, 2 if bins is None else bins, kernel_size=1)

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        """``(N, 1, S, S)`` normalised L -> ``(N, 2 or Q, S/4, S/4)``; see the class docstring."""
        if L.dim() != 4 or L.shape[1] != 1:
            raise ValueError(f"L must be shaped (N, 1, S, S), got {tuple(L.shape)}")
        if L.shape[-1] % 8 or L.shape[-2] % 8:
            raise ValueError(f"ZhangNet needs H and W divisible by 8, got {tuple(L.shape[-2:])}")
        return self.head(self.blocks(L))
