"""CycleGAN's ResNet generator (Johnson et al.'s style-transfer network).

Zhu, Park, Isola and Efros, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017 (arXiv:1703.10593); the
generator is the one of Johnson, Alahi and Fei-Fei (ECCV 2016), with the layer
choices of the authors' ``models/networks.py`` (junyanz/pytorch-CycleGAN-and-pix2pix).
CycleGAN's discriminator is the PatchGAN of :mod:`colorlib.models.pix2pix`.

Architecture, in the paper's notation, at the defaults (``base_width=64``)::

    c7s1-64            reflection pad 3, 7x7 conv, InstanceNorm, ReLU        S
    d128, d256         3x3 conv stride 2, InstanceNorm, ReLU                 S/2, S/4
    6 x R256           residual blocks: x + [pad, 3x3 conv, IN, ReLU,
                       pad, 3x3 conv, IN], reflection padding               S/4
    u128, u64          3x3 transposed conv stride 2, InstanceNorm, ReLU      S/2, S
    c7s1-2 + tanh      reflection pad 3, 7x7 conv, tanh                      S

Unlike the U-Net there are no skip connections: everything passes the
``S/4`` x ``S/4`` bottleneck (16x16 at 64 px, 8x8 at 32 px) with 256 channels.
Reflection padding avoids the dark borders zero padding causes, and
InstanceNorm (no learned affine, as the reference) normalises each image on its
own, so results do not depend on the batch.

Receptive field of a bottleneck feature: 1 + 6 (c7) + 2 + 4 (two strided 3x3) +
6 blocks x 2 convs x 2 x 4 = 109 px (:attr:`ResnetGenerator.bottleneck_receptive_field`),
already wider than a 64 px image: every output pixel can use the whole picture
(the reference uses 6 blocks for 128 px training images and 9 for 256 px).
"""

from __future__ import annotations

import torch
from torch import nn

from colorlib.models.geometry import receptive_field

__all__ = ["ResnetGenerator"]


def _norm(channels: int) -> nn.Module:
    # affine=False, no running statistics: the reference's "instance" norm layer
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResidualBlock(nn.Module):
    """``x + F(x)`` with F = pad, 3x3 conv, InstanceNorm, ReLU, pad, 3x3 conv, InstanceNorm.

    Shape preserving: ``(N, C, H, W) -> (N, C, H, W)``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.branch = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, kernel_size=3),
            _norm(channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, kernel_size=3),
            _norm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)


class ResnetGenerator(nn.Module):
    """CycleGAN generator: normalised L -> normalised ab in (-1, 1), same size.

    Args:
        in_channels: channels in (default 1: normalised L).
        out_channels: channels out (default 2: normalised ab).
        base_width: channels of the first layer (default 64); each downsampling
            doubles them (256 in the bottleneck at the defaults).
        n_blocks: residual blocks in the bottleneck (default 6, the reference's
            choice for images up to 128 px).
        n_downsampling: stride-2 convolutions, and as many upsamplings (default 2:
            bottleneck at S/4).

    Input:  ``(N, in_channels, S, S)``, normalised L in [-1, 1]; S divisible by
        ``2**n_downsampling`` and, for the reflection padding, S / 2**n_downsampling >= 2.
    Output: ``(N, out_channels, S, S)``, tanh, i.e. ab / 110 in (-1, 1).

    Parameters at the defaults: 7,828,290 (independent of S).
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 2,
        base_width: int = 64,
        n_blocks: int = 6,
        n_downsampling: int = 2,
    ) -> None:
        super().__init__()
        if n_blocks < 0 or n_downsampling < 0:
            raise ValueError("n_blocks and n_downsampling must be >= 0")
        self.n_downsampling = n_downsampling

        encoder: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, base_width, kernel_size=7),
            _norm(base_width),
            nn.ReLU(inplace=True),
        ]
        width = base_width
        for _ in range(n_downsampling):
            encoder += [
                nn.Conv2d(width, 2 * width, kernel_size=3, stride=2, padding=1),
                _norm(2 * width),
                nn.ReLU(inplace=True),
            ]
            width *= 2
        self.encoder = nn.Sequential(*encoder)
        self.blocks = nn.Sequential(*(ResidualBlock(width) for _ in range(n_blocks)))

        decoder: list[nn.Module] = []
        for _ in range(n_downsampling):
            decoder += [
                nn.ConvTranspose2d(
                    width, width // 2, kernel_size=3, stride=2, padding=1, output_padding=1
                ),
                _norm(width // 2),
                nn.ReLU(inplace=True),
            ]
            width //= 2
        decoder += [
            nn.ReflectionPad2d(3),
            nn.Conv2d(width, out_channels, kernel_size=7),
            nn.Tanh(),
        ]
        self.decoder = nn.Sequential(*decoder)

    @property
    def bottleneck_receptive_field(self) -> int:
        """Side, in input pixels, of the window a bottleneck feature sees (109 at the defaults)."""
        return receptive_field([self.encoder, self.blocks])

    def bottleneck(self, L: torch.Tensor) -> torch.Tensor:
        """``(N, in_channels, S, S)`` -> ``(N, base_width * 2**n_downsampling, S/4, S/4)`` features
        (``S / 2**n_downsampling`` in general)."""
        return self.blocks(self.encoder(L))

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        """``(N, in_channels, S, S)`` normalised L -> ``(N, out_channels, S, S)`` normalised ab."""
        factor = 2**self.n_downsampling
        if L.shape[-1] % factor or L.shape[-2] % factor:
            raise ValueError(f"H and W must be divisible by {factor}, got {tuple(L.shape[-2:])}")
        return self.decoder(self.bottleneck(L))
