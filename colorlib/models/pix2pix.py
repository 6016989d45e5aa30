"""pix2pix: a U-Net generator and a PatchGAN discriminator for conditional GANs.

Isola, Zhu, Zhou and Efros, "Image-to-Image Translation with Conditional
Adversarial Networks", CVPR 2017 (arXiv:1611.07004); the layer choices follow the
authors' ``models/networks.py`` (junyanz/pytorch-CycleGAN-and-pix2pix), scaled
down from 256 px to 32 and 64 px.

Generator: :class:`UNetGenerator`
---------------------------------
An encoder of 4x4 stride-2 convolutions halves the image ``log2(S)`` times, down
to 1x1; a mirrored decoder of 4x4 stride-2 transposed convolutions climbs back,
and every decoder level also receives the encoder features of the same size
(skip connections), so fine detail such as edges need not pass the 1x1 bottleneck.
Channels at encoder level i are ``base_width * min(2**i, 8)``. The reference has 8
levels for 256 px; at 64 px there are 6 (64 -> 1), at 32 px 5: the innermost
512-channel levels are the ones dropped.

- encoder: LeakyReLU(0.2) -> Conv -> BatchNorm; the outermost level has no
  activation before it (it sees the input) and the innermost no BatchNorm (a 1x1
  map).
- decoder: ReLU -> ConvTranspose -> BatchNorm, with Dropout(0.5) in the three
  innermost levels (the paper's "CD512-CD512-CD512" decoder start); the outermost
  level ends in tanh, so the output lies in (-1, 1) like normalised ab.
- a convolution has a bias only when no BatchNorm follows it (a bias before
  BatchNorm is cancelled by its mean subtraction). The reference also leaves it
  off the outermost and innermost encoder convolutions: 576 more weights here at
  ``base_width=64``.

Dropout is the generator's noise source: the paper found an explicit noise input
was mostly ignored and kept dropout active at test time as well. The poster also
fed "the L channel and some noise": ``noise_channels > 0`` concatenates that many
channels of standard Gaussian noise to the input.

Discriminator: :class:`PatchDiscriminator`
------------------------------------------
Sees the (L, ab) pair, 3 channels, and outputs a grid of real/fake logits, each
judging one patch: 4x4 convolutions (stride 2 in the first ``n_layers``, then two
stride-1 ones), LeakyReLU(0.2), BatchNorm except on the first and last layers.
The patch is the receptive field (:attr:`PatchDiscriminator.receptive_field`):
16, 34, 70, 142 px for ``n_layers`` = 1, 2, 3, 4. The reference pairs 70 px
patches (``n_layers=3``) with 256 px images. :meth:`PatchDiscriminator.for_image_size`
picks the deepest stack whose patch is at most half the image, which gives that
same choice at 256 px and ``n_layers=1`` at 64 and 32 px: 16 px patches (a quarter
of a 64 px image, as 70 is of 256), a 30x30 logit grid at 64 px, 14x14 at 32 px.
"""

from __future__ import annotations

import torch
from torch import nn

from colorlib.models.geometry import receptive_field

__all__ = ["UNetGenerator", "PatchDiscriminator"]

UNET_MAX_WIDTH_FACTOR = 8  # level widths stop doubling at 8 * base_width (512 at 64)
UNET_DROPOUT = 0.5
UNET_DROPOUT_LEVELS = 3  # decoder levels, counted from the innermost, with dropout
LEAKY_SLOPE = 0.2


def _log2_exact(n: int) -> int | None:
    return n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None


class UNetGenerator(nn.Module):
    """pix2pix U-Net: normalised L (+ optional noise) -> normalised ab in (-1, 1).

    Args:
        image_size: side S of the square input, a power of two >= 4 (default 64).
            The U-Net has ``log2(S)`` levels: 6 at 64 px, 5 at 32 px.
        in_channels: image channels in (default 1: normalised L).
        out_channels: channels out (default 2: normalised ab).
        base_width: channels of the outermost level (default 64, as the paper).
        noise_channels: Gaussian noise channels concatenated to the input
            (default 0: dropout is the only noise).

    Input:  ``(N, in_channels, S, S)``, normalised L in [-1, 1].
    Output: ``(N, out_channels, S, S)``, tanh, i.e. ab / 110 in (-1, 1).

    Parameters at the defaults: 29,240,514 (64 px), 16,655,554 (32 px).
    """

    def __init__(
        self,
        image_size: int = 64,
        in_channels: int = 1,
        out_channels: int = 2,
        base_width: int = 64,
        noise_channels: int = 0,
    ) -> None:
        super().__init__()
        n_levels = _log2_exact(image_size)
        if n_levels is None or n_levels < 2:
            raise ValueError(f"image_size must be a power of two >= 4, got {image_size}")
        if noise_channels < 0:
            raise ValueError(f"noise_channels must be >= 0, got {noise_channels}")
        self.image_size = image_size
        self.noise_channels = noise_channels
        widths = [base_width * min(2**i, UNET_MAX_WIDTH_FACTOR) for i in range(n_levels)]

        # encoder[i] maps level i-1 (the input for i = 0) to level i, at S / 2**(i+1)
        encoder: list[nn.Module] = []
        for i, width in enumerate(widths):
            outermost, innermost = i == 0, i == n_levels - 1
            layers: list[nn.Module] = [] if outermost else [nn.LeakyReLU(LEAKY_SLOPE)]
            in_width = in_channels + noise_channels if outermost else widths[i - 1]
            with_norm = not (outermost or innermost)
            layers.append(nn.Conv2d(in_width, width, 4, stride=2, padding=1, bias=not with_norm))
            if with_norm:
                layers.append(nn.BatchNorm2d(width))
            encoder.append(nn.Sequential(*layers))

        # decoder[j] undoes encoder level i = n_levels - 1 - j (innermost first);
        # it sees that level's output concatenated with the skip, except the innermost
        decoder: list[nn.Module] = []
        for i in reversed(range(n_levels)):
            outermost, innermost = i == 0, i == n_levels - 1
            in_width = widths[i] if innermost else 2 * widths[i]
            out_width = out_channels if outermost else widths[i - 1]
            layers = [
                nn.ReLU(),
                nn.ConvTranspose2d(in_width, out_width, 4, stride=2, padding=1, bias=outermost),
            ]
            if outermost:
                layers.append(nn.Tanh())
            else:
                layers.append(nn.BatchNorm2d(out_width))
                if n_levels - 1 - i < UNET_DROPOUT_LEVELS:
                    layers.append(nn.Dropout(UNET_DROPOUT))
            decoder.append(nn.Sequential(*layers))

        self.encoder = nn.ModuleList(encoder)
        self.decoder = nn.ModuleList(decoder)

    def forward(self, L: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Colourise.

        Args:
            L: ``(N, in_channels, S, S)`` normalised L in [-1, 1].
            noise: ``(N, noise_channels, S, S)``, only if ``noise_channels > 0``;
                default: drawn here from N(0, 1) with the global torch RNG. Pass it
                to make a sample reproducible.

        Returns:
            ``(N, out_channels, S, S)`` normalised ab in (-1, 1).
        """
        if L.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(
                f"UNetGenerator was built for {self.image_size} px, got input {tuple(L.shape)}"
            )
        if self.noise_channels:
            if noise is None:
                shape = (L.shape[0], self.noise_channels, *L.shape[-2:])
                noise = torch.randn(shape, dtype=L.dtype, device=L.device)
            elif noise.shape != (L.shape[0], self.noise_channels, *L.shape[-2:]):
                expected = f"(N, {self.noise_channels}, S, S)"
                raise ValueError(f"noise must be shaped {expected}, got {tuple(noise.shape)}")
            L = torch.cat((L, noise), dim=1)
        elif noise is not None:
            raise ValueError("noise given but this UNetGenerator has noise_channels=0")

        skips = []
        h = L
        for block in self.encoder:
            h = block(h)
            skips.append(h)
        h = self.decoder[0](skips.pop())
        for block in self.decoder[1:]:
            h = block(torch.cat((skips.pop(), h), dim=1))
        return h


class PatchDiscriminator(nn.Sequential):
    """PatchGAN: an (L, ab) pair -> a grid of real/fake logits, one per image patch.

    Args:
        in_channels: channels of the pair (default 3: normalised L and ab,
            concatenated along dim 1).
        base_width: channels of the first convolution (default 64); later ones
            double up to ``8 * base_width``.
        n_layers: stride-2 convolutions (default 3, the reference's 70x70 PatchGAN
            for 256 px). For 32 and 64 px use :meth:`for_image_size`, which picks 1.

    Input:  ``(N, in_channels, S, S)``, S >= ``2**n_layers * 4`` or so.
    Output: ``(N, 1, S / 2**n_layers - 2, S / 2**n_layers - 2)`` logits (no
    sigmoid: pair with ``BCEWithLogitsLoss``, or use raw for an LSGAN loss); e.g.
    ``(N, 1, 30, 30)`` at 64 px and ``(N, 1, 14, 14)`` at 32 px with ``n_layers=1``.

    Parameters: 2,765,633 at the defaults (as the reference); 136,513 with
    ``n_layers=1``.
    """

    def __init__(self, in_channels: int = 3, base_width: int = 64, n_layers: int = 3) -> None:
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, base_width, 4, stride=2, padding=1),
            nn.LeakyReLU(LEAKY_SLOPE),
        ]
        width = base_width
        # n_layers - 1 more stride-2 convolutions, then one stride-1 convolution
        for n in range(1, n_layers + 1):
            next_width = base_width * min(2**n, UNET_MAX_WIDTH_FACTOR)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(width, next_width, 4, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(next_width),
                nn.LeakyReLU(LEAKY_SLOPE),
            ]
            width = next_width
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        super().__init__(*layers)
        self.n_layers = n_layers

    @classmethod
    def for_image_size(
        cls, image_size: int, in_channels: int = 3, base_width: int = 64
    ) -> PatchDiscriminator:
        """The deepest PatchGAN whose patch is at most half of an ``image_size`` image.

        This rule gives the reference's ``n_layers=3`` (70 px patches) at 256 px,
        2 (34 px) at 128 px and 1 (16 px) at 64 and 32 px; never fewer than 1.
        """
        n_layers = 1
        while cls(in_channels, 1, n_layers + 1).receptive_field <= image_size // 2:
            n_layers += 1
        return cls(in_channels, base_width, n_layers)

    @property
    def receptive_field(self) -> int:
        """Side, in input pixels, of the patch each output logit judges.

        Computed from the layers: 16, 34, 70, 142 for ``n_layers`` = 1, 2, 3, 4.
        """
        return receptive_field(self)
