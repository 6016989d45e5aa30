"""Colorization networks: normalised L ``(N, 1, S, S)`` -> normalised ab or ab-bin logits.

Every network takes ``colorlib.normalize_l(L)`` (L / 50 - 1, in [-1, 1]) and
predicts ``colorlib.normalize_ab(ab)`` (ab / 110) or logits over quantised ab bins.

- :class:`SeedCNN` (:mod:`.seed_cnn`): the poster's baseline, six convolutions and a
  dense layer to every output pixel.
- :class:`ZhangNet` (:mod:`.zhang`): Zhang et al., ECCV 2016, at 1/4 resolution
  (:func:`upsample_ab` brings ab back to the input size); regression or 313-bin head.
- :class:`UNetGenerator`, :class:`PatchDiscriminator` (:mod:`.pix2pix`): Isola et
  al., CVPR 2017, conditional GAN.
- :class:`ResnetGenerator` (:mod:`.cyclegan`): Zhu et al., ICCV 2017.
- :class:`CifarClassifier` (:mod:`.classifier`): not a colorizer; the CIFAR-10
  classifier that judges colorizations in notebook 05 (sRGB in, class logits out);
  :class:`TinyImageNetClassifier`, the same judge for Tiny ImageNet (a ResNet-18).
- :func:`receptive_field` (:mod:`.geometry`): receptive field of a conv stack.
- :func:`build_network` (:mod:`.build`): a network by class name, remembering how it
  was built (what checkpoints store).
"""

from colorlib.models.build import build_network, unwrap
from colorlib.models.classifier import CifarClassifier, TinyImageNetClassifier
from colorlib.models.cyclegan import ResnetGenerator
from colorlib.models.geometry import receptive_field
from colorlib.models.pix2pix import PatchDiscriminator, UNetGenerator
from colorlib.models.seed_cnn import SeedCNN
from colorlib.models.zhang import ZhangNet, upsample_ab

__all__ = [
    "CifarClassifier",
    "PatchDiscriminator",
    "ResnetGenerator",
    "SeedCNN",
    "TinyImageNetClassifier",
    "UNetGenerator",
    "ZhangNet",
    "build_network",
    "receptive_field",
    "unwrap",
    "upsample_ab",
]
