"""The contract between a method and the training engine: :class:`Task`.

A :class:`Task` owns its networks (``nets``), optimizers and plain ``config`` and
knows one step of its method; :func:`colorlib.train.fit` owns everything else. This
module also holds what every task shares: :func:`build_network` (build a model and record
how, for checkpoints), :func:`unwrap` (the network inside a DDP wrapper),
:func:`adam` and :class:`OneNetworkTask` (one network ``"net"`` on one loss, the
base of the regression, bin and label tasks).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from colorlib.colorizer import Colorizer
from colorlib.devices import autocast_dtype
from colorlib.gamut import ANNEAL_T
from colorlib.lab import normalize_l
from colorlib.models.build import build_network, network_spec, unwrap

__all__ = ["OneNetworkTask", "Task", "adam", "build_network", "unwrap"]


# ------------------------------------------------------------------ tasks


class Task:
    """What :func:`fit` needs from a method. Subclasses set ``kind`` and implement
    :meth:`train_step` and :meth:`eval_step`; :meth:`predict_ab` is shared.

    Attributes:
        nets: ``{name: nn.Module}`` (wrapped in DDP by :func:`fit` while it runs).
        optimizers: ``{name: Optimizer}``, each stepped via :meth:`optimize`.
        config: plain settings saved in checkpoints.
        monitor: the validation loss the LR scheduler watches.
        predict_net: the network that colourises (exported by :func:`export_weights`).
    """

    kind = "task"
    monitor = "loss"
    predict_net = "net"

    def __init__(self, nets: dict[str, nn.Module], optimizers: dict, config: dict) -> None:
        self.nets, self.optimizers, self.config = nets, optimizers, config
        self.device, self.precision, self.channels_last = torch.device("cpu"), "fp32", False
        self.scalers = {name: torch.amp.GradScaler("cuda", enabled=False) for name in optimizers}

    def setup(
        self, device: torch.device, precision: str = "fp32", channels_last: bool = False
    ) -> None:
        """Move the networks to ``device`` for training in ``precision``.

        Args:
            device: a torch device.
            precision: ``"fp32"``, ``"bf16"`` or ``"fp16"``, already resolved and checked
                (:func:`colorlib.devices.resolve_precision`). bf16 and fp16 run the
                forward passes under autocast (weights and optimizer state stay float32);
                fp16 also scales gradients (CUDA only).
            channels_last: store the networks' 4-D weights channels-last (NHWC), the
                layout oneDNN's and cuDNN's fast convolutions want; :func:`colorlib.train.fit`
                then passes image batches in the same layout.
        """
        self.device, self.precision, self.channels_last = device, precision, channels_last
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        for net in self.nets.values():
            net.to(device, memory_format=memory_format)
        scaling = precision == "fp16"
        self.scalers = {n: torch.amp.GradScaler("cuda", enabled=scaling) for n in self.optimizers}

    def autocast(self) -> torch.autocast:
        """Context for forward passes: autocast to bf16 or fp16 in mixed precision, else
        a no-op. Losses are computed on ``.float()`` outputs, outside low precision."""
        dtype = autocast_dtype(self.precision)
        enabled = dtype is not None  # a disabled context still needs a dtype autocast knows
        return torch.autocast(self.device.type, dtype=dtype or torch.bfloat16, enabled=enabled)

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        """One update of optimizer ``name`` on ``loss`` (zero grads, scaled backward, step)."""
        optimizer, scaler = self.optimizers[name], self.scalers[name]
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def train(self, mode: bool = True) -> None:
        for net in self.nets.values():
            net.train(mode)

    def train_step(self, batch: dict) -> dict[str, torch.Tensor]:
        """One optimisation step on a batch already on the device; 0-dim detached losses."""
        raise NotImplementedError

    def eval_step(self, batch: dict) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Validation losses (0-dim) and the predicted ab ``(N, 2, S, S)`` in Lab units
        (None for a task that predicts no colour, :class:`~colorlib.tasks.labels.LabelTask`)."""
        raise NotImplementedError

    def colorizer(self) -> Colorizer:
        """The predicting network behind the colorizer contract (L -> ab, Lab units)."""
        gamut = getattr(self, "gamut", None)
        return Colorizer(self.nets[self.predict_net], gamut=gamut, T=self.config.get("T", ANNEAL_T))

    @torch.no_grad()
    def predict_ab(self, L: torch.Tensor) -> torch.Tensor:
        """``(N, 1, S, S)`` L in [0, 100] -> ``(N, 2, S, S)`` ab in Lab units (no grad)."""
        with self.autocast():
            output = self.nets[self.predict_net](normalize_l(L))
        return self.colorizer().decode(output, L.shape[-2:])

    def extra_state(self) -> dict:
        """Task state beyond networks and optimizers (tensors and plain types)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def network_specs(self) -> dict:
        return {name: network_spec(unwrap(net)) for name, net in self.nets.items()}

    def state_dict(self) -> dict:
        return {
            "nets": {n: unwrap(m).state_dict() for n, m in self.nets.items()},
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "scalers": {n: s.state_dict() for n, s in self.scalers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        for name, net in self.nets.items():
            unwrap(net).load_state_dict(state["nets"][name])
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, scaler in self.scalers.items():
            if state["scalers"].get(name):
                scaler.load_state_dict(state["scalers"][name])
        self.load_extra_state(state["extra"])


def adam(nets: Iterable[nn.Module], lr: float, betas=(0.9, 0.999)) -> torch.optim.Adam:
    """One Adam optimizer over the parameters of every network in ``nets``."""
    return torch.optim.Adam([p for net in nets for p in net.parameters()], lr=lr, betas=betas)


class OneNetworkTask(Task):
    """A single network ``"net"`` trained on one loss, given by :meth:`_loss`."""

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(0-dim loss, raw network output) for a batch."""
        raise NotImplementedError

    def train_step(self, batch):
        loss, _ = self._loss(batch)
        self.optimize("net", loss)
        return {"loss": loss.detach()}

    def eval_step(self, batch):
        loss, output = self._loss(batch)
        return {"loss": loss}, self.colorizer().decode(output, batch["L"].shape[-2:])
