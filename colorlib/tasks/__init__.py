"""What to learn: one :class:`Task` per colorization method (built by :mod:`colorlib.methods`).

A task owns its networks, optimizers and losses and knows one step of its method;
:func:`colorlib.train.fit` owns everything else (epochs, devices, checkpoints,
resumption, DDP). The tasks:

- :class:`RegressionTask`: L2 / Smooth L1 / L1 on normalised ab (the poster's CNNs);
- :class:`BinTask`: cross-entropy over ab bins, optional class
  rebalancing, annealed-mean decoding (Zhang et al. 2016);
- :class:`Pix2PixTask`: conditional GAN, adversarial + lambda * L1 (Isola et al. 2017);
- :class:`CycleGANTask`: unpaired gray <-> colour with cycle and identity losses
  (Zhu et al. 2017).

Every task predicts through the same :class:`colorlib.colorizer.Colorizer`, so
evaluation and shipped weights behave alike whatever the method.

Where they live: the :class:`Task` contract, :func:`build_network` and :func:`unwrap` in
:mod:`colorlib.tasks.base`; regression and ab bins in :mod:`colorlib.tasks.regression`;
pix2pix, CycleGAN and their unpaired data in :mod:`colorlib.tasks.gans`; the photo
classifier :class:`LabelTask` in :mod:`colorlib.tasks.labels`. This package only
hands their names on.
"""

from colorlib.tasks.base import Task, build_network, unwrap
from colorlib.tasks.gans import CycleGANTask, ImagePool, Pix2PixTask, UnpairedDataset, split_halves
from colorlib.tasks.labels import LabelTask, augment_photos
from colorlib.tasks.regression import SMOOTH_L1_BETA, BinTask, RegressionTask

__all__ = [
    "SMOOTH_L1_BETA",
    "BinTask",
    "CycleGANTask",
    "ImagePool",
    "LabelTask",
    "Pix2PixTask",
    "RegressionTask",
    "Task",
    "UnpairedDataset",
    "augment_photos",
    "build_network",
    "split_halves",
    "unwrap",
]
