"""Networks built by name, and the record of how, so that a checkpoint can rebuild them.

:func:`build_network` is the one way the training engine and the weight files make a
network: ``build_network("ZhangNet", width=0.25)`` builds ``colorlib.models.ZhangNet``
and remembers its class name and arguments on the module (``colorlib_spec``), which
:mod:`colorlib.checkpoint` writes into every file and reads back.
"""

from __future__ import annotations

from typing import Any

from torch import nn
from torch.nn.parallel import DistributedDataParallel

import colorlib.models as models

__all__ = ["build_network", "network_spec", "unwrap"]


def build_network(name: str, **kwargs: Any) -> nn.Module:
    """Build ``colorlib.models.<name>(**kwargs)`` and remember how, for checkpoints.

    >>> net = build_network("SeedCNN", image_size=32)
    >>> net.colorlib_spec
    {'class': 'SeedCNN', 'kwargs': {'image_size': 32}}
    """
    module = getattr(models, name)(**kwargs)
    module.colorlib_spec = {"class": name, "kwargs": dict(kwargs)}
    return module


def network_spec(module: nn.Module) -> dict:
    """How ``module`` was built: ``{"class": name, "kwargs": {...}}`` (kwargs None when
    it was not built by :func:`build_network`)."""
    return getattr(module, "colorlib_spec", {"class": type(module).__name__, "kwargs": None})


def unwrap(module: nn.Module) -> nn.Module:
    """The network inside a DistributedDataParallel wrapper (or the network itself)."""
    return module.module if isinstance(module, DistributedDataParallel) else module
