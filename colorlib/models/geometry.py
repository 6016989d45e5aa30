"""Receptive-field arithmetic for stacks of convolutions.

For a chain of layers, an output unit "sees" a square window of the input. Walking
the layers from input to output with ``jump`` = the input-pixel distance between
neighbouring units of the current feature map (the product of earlier strides):

    receptive_field += (kernel_size - 1) * dilation * jump
    jump *= stride

Padding, activations and normalisations do not change the window (padding only
moves it). A residual block's window is that of its convolution branch (the
identity path sees less), so walking its modules in order gives the right answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

__all__ = ["receptive_field"]


def _as_int(value: int | tuple[int, ...]) -> int:
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(f"only square kernels/strides/dilations are supported, got {value}")
        return value[0]
    return value


def receptive_field(layers: Iterable[nn.Module]) -> int:
    """Side, in input pixels, of the window one output unit of ``layers`` depends on.

    Args:
        layers: modules applied in this order (e.g. an ``nn.Sequential``); every
            ``nn.Conv2d`` found by ``.modules()`` counts, in order. Transposed
            convolutions are not supported (they shrink ``jump``); pass only the
            downsampling part of an encoder-decoder.

    Returns:
        The receptive field in input pixels (1 for an empty stack).
    """
    field, jump = 1, 1
    for layer in layers:
        for module in layer.modules():
            if isinstance(module, nn.ConvTranspose2d):
                raise ValueError("receptive_field() handles Conv2d stacks, not ConvTranspose2d")
            if isinstance(module, nn.Conv2d):
                kernel = _as_int(module.kernel_size)
                dilation = _as_int(module.dilation)
                field += (kernel - 1) * dilation * jump
                jump *= _as_int(module.stride)
    return field
