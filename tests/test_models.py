"""Tests for colorlib.models: layer lists, shapes, parameter counts, receptive fields,
and that every network can overfit one batch of real photos.

Overfit tests train on the four 32 px scikit-image photos (``photos32``) with Adam
on the CPU, some at reduced widths to stay fast (stated in each test). The factors
asked for are a few times smaller than those measured with seeds 0-2 (noted per
test), so they hold with margin; the autouse fixture in conftest seeds torch with 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import colorlib
from colorlib.models import (
    PatchDiscriminator,
    ResnetGenerator,
    SeedCNN,
    UNetGenerator,
    ZhangNet,
    receptive_field,
    upsample_ab,
)

SIZES = (32, 64)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def model_inputs(photos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """sRGB photos (N, 3, S, S) -> (normalised L (N, 1, S, S), normalised ab (N, 2, S, S))."""
    L, ab = colorlib.split_lab(colorlib.rgb_to_lab(photos))
    return colorlib.normalize_l(L), colorlib.normalize_ab(ab)


def overfit(model: nn.Module, loss_fn: Callable[[], torch.Tensor], steps: int, lr: float):
    """Train ``model`` in train mode for ``steps`` Adam steps; return (first, last) loss."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses[0], losses[-1]


def assert_fell(first: float, last: float, factor: float) -> None:
    assert math.isfinite(last)
    assert last * factor <= first, f"loss fell only {first / last:.1f}x ({first:.4g} -> {last:.4g})"


# --------------------------------------------------------------------------- SeedCNN


def seed_cnn_expected_params(size: int) -> int:
    """Hand count: conv weights + biases, BatchNorm scale + shift, Linear weights + bias."""
    widths, count, c_in = (8, 16, 32, 64, 128, 16), 0, 1
    for c_out in widths:
        count += c_in * c_out * 4 * 4 + c_out  # conv
        count += 2 * c_out  # BatchNorm affine
        c_in = c_out
    features, outputs = 16 * (size - 18) ** 2, 2 * size * size
    return count + features * outputs + outputs


@pytest.mark.parametrize(
    ("size", "linear_in", "linear_out", "literal"),
    [(32, 3136, 2048, 6_632_344), (64, 33856, 8192, 277_564_312)],
)
def test_seed_cnn_layers_match_poster(size, linear_in, linear_out, literal):
    with torch.device("meta"):  # 277 M parameters at 64 px: count them without allocating
        model = SeedCNN(size)
    layers = list(model)
    assert len(layers) == 6 * 3 + 3
    c_in = 1
    for i, width in enumerate((8, 16, 32, 64, 128, 16)):
        conv, relu, norm = layers[3 * i : 3 * i + 3]
        assert type(conv) is nn.Conv2d and type(relu) is nn.ReLU and type(norm) is nn.BatchNorm2d
        assert (conv.in_channels, conv.out_channels) == (c_in, width)
        assert conv.kernel_size == (4, 4) and conv.stride == (1, 1) and conv.padding == (0, 0)
        assert norm.num_features == width
        c_in = width
    flatten, linear, unflatten = layers[-3:]
    assert type(flatten) is nn.Flatten and type(unflatten) is nn.Unflatten
    assert (linear.in_features, linear.out_features) == (linear_in, linear_out)
    assert n_params(model) == seed_cnn_expected_params(size) == literal


def test_seed_cnn_dropout_variant_and_print():
    model = SeedCNN(32, dropout=0.25)
    dropouts = [m for m in model if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 6 and all(d.p == 0.25 for d in dropouts)
    for i, layer in enumerate(model):
        if isinstance(layer, nn.Dropout):
            assert isinstance(model[i - 1], nn.BatchNorm2d)
    assert n_params(model) == n_params(SeedCNN(32))  # dropout adds no weights
    assert "Linear(in_features=3136, out_features=2048, bias=True)" in str(model)


def test_seed_cnn_rejects_too_small_images():
    with pytest.raises(ValueError, match="image_size"):
        SeedCNN(18)
    SeedCNN(19)  # smallest valid: one 1x1 feature per channel


def test_seed_cnn_output_shapes():
    assert SeedCNN(32)(torch.zeros(2, 1, 32, 32)).shape == (2, 2, 32, 32)
    with torch.device("meta"):
        assert SeedCNN(64)(torch.zeros(2, 1, 64, 64)).shape == (2, 2, 64, 64)


def test_seed_cnn_overfits_one_batch(photos32):
    # Full model at 32 px (6.6 M parameters). Measured: 21-34x in 20 steps.
    L, ab = model_inputs(photos32)
    model = SeedCNN(32)
    first, last = overfit(model, lambda: F.mse_loss(model(L), ab), steps=20, lr=1e-3)
    assert_fell(first, last, factor=10)


# --------------------------------------------------------------------------- ZhangNet


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("bins", "channels"), [(None, 2), (313, 313)])
def test_zhang_output_shapes(size, bins, channels):
    model = ZhangNet(bins=bins)
    out = model(torch.zeros(2, 1, size, size))
    assert ZhangNet.output_stride == 4
    assert out.shape == (2, channels, size // 4, size // 4)
    assert upsample_ab(out[:, :2], size).shape == (2, 2, size, size)


def test_zhang_parameter_count():
    count = n_params(ZhangNet(bins=313))
    assert count == 32_235_385
    assert abs(count - 32.24e6) / 32.24e6 < 0.01
    # the reference also holds a fixed 313 -> 2 bias-free 1x1 decoding conv: 626 weights
    assert abs(count + 313 * 2 - 32.24e6) / 32.24e6 < 0.01
    assert n_params(ZhangNet()) == 32_155_458
    assert n_params(ZhangNet(width=0.25)) == 2_012_370


def test_zhang_structure():
    model = ZhangNet()
    blocks = list(model.blocks)
    assert len(blocks) == 8
    block_convs = [[m for m in b if type(m) is nn.Conv2d] for b in blocks]
    assert [len(c) for c in block_convs] == [2, 2, 3, 3, 3, 3, 3, 2]
    assert [c[-1].out_channels for c in block_convs] == [64, 128, 256, 512, 512, 512, 512, 256]
    assert [c[-1].stride[0] for c in block_convs[:3]] == [2, 2, 2]
    assert all(c.dilation == (2, 2) for b in block_convs[4:6] for c in b)
    assert all(isinstance(b[-1], nn.BatchNorm2d) for b in blocks[:7])
    up = blocks[7][0]
    assert isinstance(up, nn.ConvTranspose2d)
    assert (up.kernel_size, up.stride, up.padding) == ((4, 4), (2, 2), (1, 1))
    assert model.head.kernel_size == (1, 1)


def test_upsample_ab_is_bilinear():
    ab = torch.arange(8.0).reshape(1, 2, 2, 2)
    up = upsample_ab(ab, 8)
    assert up.shape == (1, 2, 8, 8)
    assert torch.allclose(up.mean(dim=(2, 3)), ab.mean(dim=(2, 3)))
    with pytest.raises(ValueError):
        upsample_ab(torch.zeros(1, 3, 2, 2), 8)


def test_zhang_regression_overfits_one_batch(photos32):
    # width 0.25 (2.0 M parameters) for speed. Targets: ab averaged onto the 8x8
    # output grid (output stride 4). Measured: 80-180x in 40 steps.
    L, ab = model_inputs(photos32)
    target = F.avg_pool2d(ab, ZhangNet.output_stride)
    model = ZhangNet(width=0.25)
    first, last = overfit(model, lambda: F.mse_loss(model(L), target), steps=40, lr=1e-3)
    assert_fell(first, last, factor=20)


def test_zhang_bins_overfit_one_batch(photos32):
    # width 0.25, fixed class targets: each output cell's mean ab on a coarse grid of
    # 11 x 11 cells 20 ab units wide (121 classes; the real 313-bin gamut is
    # colorlib.gamut's business). Cross-entropy starts near log(121) = 4.8.
    # Measured: 440-700x in 80 steps.
    L, ab = model_inputs(photos32)
    cells = 11
    ab_grid = colorlib.denormalize_ab(F.avg_pool2d(ab, ZhangNet.output_stride))
    index = ((ab_grid + 110) / (220 / cells)).floor().clamp(0, cells - 1).long()
    classes = index[:, 0] * cells + index[:, 1]  # (4, 8, 8) in [0, 121)
    model = ZhangNet(width=0.25, bins=cells * cells)
    first, last = overfit(model, lambda: F.cross_entropy(model(L), classes), steps=80, lr=1e-3)
    assert first > 4.0
    assert_fell(first, last, factor=20)


# --------------------------------------------------------------------------- pix2pix


@pytest.mark.parametrize(("size", "levels", "literal"), [(32, 5, 16_655_554), (64, 6, 29_240_514)])
def test_unet_shapes_levels_and_count(size, levels, literal):
    model = UNetGenerator(size)
    assert len(model.encoder) == len(model.decoder) == levels  # log2(S) downs reach 1x1
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 3 and all(d.p == 0.5 for d in dropouts)
    assert all(any(isinstance(m, nn.Dropout) for m in model.decoder[j]) for j in range(3))
    assert n_params(model) == literal
    out = model(torch.randn(2, 1, size, size))
    assert out.shape == (2, 2, size, size)
    assert out.abs().max() < 1  # tanh


def test_unet_noise_input():
    model = UNetGenerator(32, base_width=8, noise_channels=2).eval()  # eval: no dropout
    assert model.encoder[0][0].in_channels == 3
    L = torch.randn(2, 1, 32, 32)
    noise = torch.randn(2, 2, 32, 32)
    assert torch.equal(model(L, noise=noise), model(L, noise=noise))
    assert not torch.allclose(model(L, noise=noise), model(L, noise=-noise))
    assert not torch.allclose(model(L), model(L))  # drawn inside forward
    with pytest.raises(ValueError):
        model(L, noise=torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError):
        UNetGenerator(32)(L, noise=noise)
    with pytest.raises(ValueError):
        UNetGenerator(48)


@pytest.mark.parametrize("noise_channels", [0, 1])
def test_unet_overfits_one_batch(photos32, noise_channels):
    # base_width 16 (1.0 M parameters), in train mode, so dropout (and fresh noise)
    # stay on: the loss cannot reach 0. Measured: 26-28x (no noise), 14-18x (noise)
    # in 60 steps.
    L, ab = model_inputs(photos32)
    model = UNetGenerator(32, base_width=16, noise_channels=noise_channels)
    first, last = overfit(model, lambda: F.mse_loss(model(L), ab), steps=60, lr=2e-3)
    assert_fell(first, last, factor=5)


@pytest.mark.parametrize(("n_layers", "field"), [(1, 16), (2, 34), (3, 70), (4, 142)])
def test_patch_discriminator_receptive_field(n_layers, field):
    model = PatchDiscriminator(n_layers=n_layers, base_width=4)
    assert model.receptive_field == field == receptive_field(model)
    # check against the gradient support of one interior logit
    size = 2 * field + 2**n_layers * 8
    image = torch.randn(1, 3, size, size, requires_grad=True)
    logits = model.eval()(image)
    h, w = logits.shape[-2:]
    logits[0, 0, h // 2, w // 2].backward()
    rows = image.grad[0].abs().sum(dim=(0, 2)).nonzero()
    cols = image.grad[0].abs().sum(dim=(0, 1)).nonzero()
    assert rows.max() - rows.min() + 1 == field
    assert cols.max() - cols.min() + 1 == field


@pytest.mark.parametrize(("size", "n_layers", "grid"), [(32, 1, 14), (64, 1, 30), (256, 3, 30)])
def test_patch_discriminator_for_image_size(size, n_layers, grid):
    model = PatchDiscriminator.for_image_size(size, base_width=8)
    assert model.n_layers == n_layers
    assert model.receptive_field <= size // 2
    assert model(torch.zeros(2, 3, size, size)).shape == (2, 1, grid, grid)


def test_patch_discriminator_parameter_counts():
    assert n_params(PatchDiscriminator()) == 2_765_633  # reference 70x70 PatchGAN, 3 channels
    assert n_params(PatchDiscriminator.for_image_size(64)) == 136_513


def test_patch_discriminator_overfits_real_vs_fake(photos32):
    # base_width 32. Real: (L, ab) of each photo; fake: L with another photo's ab
    # (shuffled by one), so the colours must be judged against the content.
    # BCE-with-logits, real -> 1, fake -> 0, summed: starts near 2 log 2 = 1.39.
    # Measured: 36-50x in 100 steps.
    L, ab = model_inputs(photos32)
    real_pairs = torch.cat((L, ab), dim=1)
    fake_pairs = torch.cat((L, ab.roll(1, dims=0)), dim=1)
    model = PatchDiscriminator.for_image_size(32, base_width=32)

    def loss() -> torch.Tensor:
        real, fake = model(real_pairs), model(fake_pairs)
        return F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))

    first, last = overfit(model, loss, steps=100, lr=2e-3)
    assert_fell(first, last, factor=10)


# --------------------------------------------------------------------------- CycleGAN


@pytest.mark.parametrize("size", SIZES)
def test_resnet_generator_shapes(size):
    model = ResnetGenerator()
    L = torch.randn(2, 1, size, size)
    assert model.bottleneck(L).shape == (2, 256, size // 4, size // 4)
    out = model(L)
    assert out.shape == (2, 2, size, size)
    assert out.abs().max() < 1  # tanh


def test_resnet_generator_structure_and_count():
    model = ResnetGenerator()
    assert n_params(model) == 7_828_290
    assert model.bottleneck_receptive_field == 109  # > 64: sees the whole image
    assert ResnetGenerator(n_blocks=9).bottleneck_receptive_field == 109 + 3 * 16
    assert len(model.blocks) == 6
    norms = [m for m in model.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert len(norms) == 1 + 2 + 6 * 2 + 2 and not any(n.affine for n in norms)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    pads = [m for m in model.modules() if isinstance(m, nn.ReflectionPad2d)]
    assert len(pads) == 2 + 6 * 2
    assert isinstance(model.decoder[-1], nn.Tanh)


def test_resnet_generator_overfits_one_batch(photos32):
    # base_width 16, 2 residual blocks (0.12 M parameters). Measured: 62-111x in 60 steps.
    L, ab = model_inputs(photos32)
    model = ResnetGenerator(base_width=16, n_blocks=2)
    first, last = overfit(model, lambda: F.mse_loss(model(L), ab), steps=60, lr=2e-3)
    assert_fell(first, last, factor=20)


@pytest.mark.slow
def test_seed_cnn_64_real_forward():
    # Allocates the full 277 M-parameter model (1.1 GB float32).
    model = SeedCNN(64).eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 1, 64, 64)).shape == (1, 2, 64, 64)
