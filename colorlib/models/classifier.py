"""A small CIFAR-10 classifier, the judge of "semantic interpretability".

Zhang et al. (2016) asked whether a colorization helps a classifier trained on real
colour photos: if the colours are plausible, the classifier should do about as well
on the colorized photos as on the real ones, and better than on gray ones.
Notebook 05 does that on CIFAR-10 with this network.

Architecture (a VGG-style stack, as in many CIFAR-10 tutorials)::

    input  sRGB in [0, 1], (N, 3, 32, 32), standardised inside (x - 0.5) / 0.25
    3 x [Conv 3x3 -> BatchNorm -> ReLU -> Conv 3x3 -> BatchNorm -> ReLU -> MaxPool 2]
        widths 32, 64, 128: 32 -> 16 -> 8 -> 4 pixels
    global average pool -> Dropout 0.3 -> Linear 128 -> 10 logits

288,746 parameters (0.3 MB as int8).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CifarClassifier", "TinyImageNetClassifier"]

CLASSIFIER_WIDTHS = (32, 64, 128)


class CifarClassifier(nn.Sequential):
    """sRGB ``(N, 3, S, S)`` in [0, 1] -> class logits ``(N, classes)``.

    Args:
        classes: number of classes (default 10, CIFAR-10).
        dropout: before the last layer (default 0.3).
    """

    def __init__(self, classes: int = 10, dropout: float = 0.3) -> None:
        layers: list[nn.Module] = []
        width_in = 3
        for width in CLASSIFIER_WIDTHS:
            for conv_in in (width_in, width):
                layers += [
                    nn.Conv2d(conv_in, width, 3, padding=1, bias=False),
                    nn.BatchNorm2d(width),
                    nn.ReLU(),
                ]
            layers.append(nn.MaxPool2d(2))
            width_in = width
        layers += [
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(width_in, classes),
        ]
        super().__init__(*layers)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return super().forward((rgb - 0.5) / 0.25)


class TinyImageNetClassifier(nn.Module):
    """sRGB ``(N, 3, 64, 64)`` in [0, 1] -> logits ``(N, classes)``: the judge of
    semantic interpretability on Tiny ImageNet (Zhang et al. used VGG-16 on ImageNet).

    torchvision's ResNet-18 (He et al. 2016; taken from torchvision, not rewritten),
    with the stem sized for 64 px photos: a 3x3 stride-1 first convolution instead of
    7x7 stride 2 (the max-pool stays), so the residual stages see 32, 16, 8 and 4
    pixels. Inputs are standardised inside with the ImageNet channel means and
    deviations. 11.3 M parameters (about 11 MB as int8).

    Args:
        classes: number of classes (202 in the Tiny ImageNet copy of the study).
    """

    MEAN = (0.485, 0.456, 0.406)
    STD = (0.229, 0.224, 0.225)

    def __init__(self, classes: int = 200) -> None:
        super().__init__()
        from torchvision.models import resnet18

        self.net = resnet18(num_classes=classes)
        self.net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.register_buffer("mean", torch.tensor(self.MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(self.STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.net((rgb - self.mean) / self.std)
