"""The poster's "seed" CNN: six unpadded convolutions and one huge linear layer.

Architecture (reproduced layer for layer from the poster's ``print(model)``)::

    input  L, normalised              (N, 1, S, S)
    6 x [Conv2d(k=4, stride 1, no padding) -> ReLU -> BatchNorm2d (-> Dropout)]
        widths 8, 16, 32, 64, 128, 16; each conv trims 3 pixels: S -> S - 18
    Flatten                            (N, 16 * (S - 18)**2)
    Linear                             (N, 2 * S * S)
    Unflatten                          (N, 2, S, S)   normalised ab

At S = 64 the linear layer is 33856 -> 8192 and holds 277,356,544 of the
model's 277,564,312 parameters (1.1 GB in float32): almost all the capacity sits
in a dense map from every feature to every output pixel, with no weight sharing
across positions, which makes memorising the training set easy. The
convolutional models (:mod:`colorlib.models.zhang`, :mod:`colorlib.models.pix2pix`,
:mod:`colorlib.models.cyclegan`) share their weights across the image instead.

Note the unusual order Conv -> ReLU -> BatchNorm (normalisation after the
activation), kept because the poster used it. The poster's "L2 with dropout"
variant adds ``nn.Dropout`` after every BatchNorm (``dropout > 0``).
"""

from __future__ import annotations

from torch import nn

__all__ = ["SeedCNN"]

SEED_CNN_WIDTHS = (8, 16, 32, 64, 128, 16)  # output channels of the six convolutions
SEED_CNN_KERNEL = 4  # every convolution: 4x4, stride 1, no padding


class SeedCNN(nn.Sequential):
    """The poster's baseline: 6 x (Conv 4x4 -> ReLU -> BatchNorm) -> Linear -> ab image.

    Args:
        image_size: side S of the square input and output, in pixels (default 64).
            Must be at least 19: the six 4x4 convolutions shrink S by 18.
        dropout: probability of ``nn.Dropout`` after each BatchNorm (default 0.0:
            no dropout layers at all; the poster's dropout variant used > 0).

    Input:  normalised L, ``(N, 1, S, S)`` in [-1, 1] (:func:`colorlib.normalize_l`).
    Output: normalised ab, ``(N, 2, S, S)``, ab / 110, unbounded (no output
    activation, as on the poster); :func:`colorlib.denormalize_ab` gives Lab units.

    Parameter counts: 277,564,312 at S = 64; 6,632,344 at S = 32.
    """

    def __init__(self, image_size: int = 64, dropout: float = 0.0) -> None:
        shrink = len(SEED_CNN_WIDTHS) * (SEED_CNN_KERNEL - 1)
        if image_size <= shrink:
            raise ValueError(
                f"SeedCNN needs image_size >= {shrink + 1} (its six unpadded 4x4 convolutions "
                f"remove {shrink} pixels), got {image_size}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        layers: list[nn.Module] = []
        in_channels = 1
        for width in SEED_CNN_WIDTHS:
            layers += [
                nn.Conv2d(in_channels, width, kernel_size=SEED_CNN_KERNEL, stride=1, padding=0),
                nn.ReLU(),
                nn.BatchNorm2d(width),
            ]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            in_channels = width
        feature_side = image_size - shrink
        layers += [
            nn.Flatten(),
            nn.Linear(in_channels * feature_side * feature_side, 2 * image_size * image_size),
            nn.Unflatten(1, (2, image_size, image_size)),
        ]
        super().__init__(*layers)
        self.image_size = image_size
