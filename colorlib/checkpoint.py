"""The weight format: training checkpoints and shipped weight exports, read and written.

Two kinds of file, both read by :func:`load_checkpoint` with
``torch.load(weights_only=True)`` (tensors and plain types only: no pickled code):

- a **training checkpoint** (``"colorlib.train/1"``), written by
  :func:`colorlib.train.fit` after each epoch: the task's :func:`header`, every
  network's and optimizer's state, schedulers, RNG states and the history, enough to
  resume exactly (its layout is in :mod:`colorlib.resume`'s docstring);
- a **weight export** (``"colorlib.weights/3"``), written by :func:`export_weights`:
  the header and the predicting network only, its big matrices as int8 with one
  scale per output channel, the rest as fp16, or float32 where fp16 would overflow.
  Older exports still load: ``"colorlib.weights/1"`` (all fp16) and
  ``"colorlib.weights/2"`` (int8 and fp16), whose fp16 could overflow to inf (a
  warning says so; a current export with inf or NaN is refused). These ship in
  ``data/checkpoints``; :mod:`colorlib.pretrained` turns them into colorizers.

:class:`LoadedCheckpoint` ``.build()`` rebuilds the network from its recorded class
and constructor arguments (:func:`colorlib.tasks.build_network`), after checking the
header: the class must be one of :data:`NETWORK_CLASSES`, its arguments plain numbers
no larger than :data:`MAX_SETTING`, and the network it describes (first built on
PyTorch's ``meta`` device, which allocates nothing) must have at most
:data:`MAX_PARAMETERS` parameters and exactly the tensor shapes stored in the file. So a
crafted header can neither call another function nor ask for a network bigger than
the file's own weights. This module imports neither the training engine nor the
data, so reading weights costs neither.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from colorlib.io import atomic_path
from colorlib.models import build_network, unwrap

if TYPE_CHECKING:
    from colorlib.tasks import Task

__all__ = [
    "CHECKPOINT_FORMAT",
    "LEGACY_WEIGHTS_FORMATS",
    "WEIGHTS_FORMAT",
    "INT8_MIN_ELEMENTS",
    "COLORIZER_CLASSES",
    "MAX_PARAMETERS",
    "MAX_SETTING",
    "NETWORK_CLASSES",
    "LoadedCheckpoint",
    "dequantize_int8",
    "export_weights",
    "header",
    "load_checkpoint",
    "quantize_int8",
    "save_atomically",
]

CHECKPOINT_FORMAT = "colorlib.train/1"
WEIGHTS_FORMAT = "colorlib.weights/3"
LEGACY_WEIGHTS_FORMATS = ("colorlib.weights/1", "colorlib.weights/2")
"""Exports written before fp16 overflow was guarded against: inf in them warns."""
READABLE_WEIGHTS_FORMATS = (*LEGACY_WEIGHTS_FORMATS, WEIGHTS_FORMAT)
INT8_MIN_ELEMENTS = 4096
"""Weight matrices and kernels with at least this many elements ship as int8."""

COLORIZER_CLASSES = ("SeedCNN", "ZhangNet", "UNetGenerator", "ResnetGenerator")
"""The :mod:`colorlib.models` classes that colourise (normalised L -> ab or bin logits)."""

NETWORK_CLASSES = (*COLORIZER_CLASSES, "PatchDiscriminator", "CifarClassifier",
                   "TinyImageNetClassifier")  # fmt: skip
"""Every class a checkpoint header may name: :meth:`LoadedCheckpoint.build` calls
nothing else (a header naming ``receptive_field`` or ``__class__`` is refused)."""

MAX_SETTING = 4096
"""The largest magnitude of a number among a header's constructor arguments."""

MAX_PARAMETERS = 1 << 30
"""The most parameters a header's network may have (4 GB as float32)."""


def header(task: Task) -> dict:
    """What every checkpoint and weight export says about its task: kind, config,
    network specs and the name of the network that colourises."""
    return {
        "kind": task.kind,
        "config": task.config,
        "networks": task.network_specs(),
        "predict_network": task.predict_net,
    }


def quantize_int8(weight: torch.Tensor) -> dict[str, torch.Tensor]:
    """Symmetric per-output-channel int8: ``weight ~= q * scale`` along dim 0.

    Written here rather than with ``torch.ao.quantization`` because the point is only
    to make shipped files small; the networks still run in float32 after
    :func:`dequantize_int8`. Each row (output channel) keeps its own scale
    ``max|row| / 127``, so the rounding error is at most ``scale / 2`` per weight.

    Args:
        weight: ``(C_out, ...)`` floating tensor, ``ndim >= 2``.

    Returns:
        ``{"q": int8 tensor shaped like weight, "scale": float32 (C_out,)}``.
    """
    rows = weight.detach().float().reshape(weight.shape[0], -1)
    scale = rows.abs().amax(dim=1).clamp_min(1e-12) / 127.0
    q = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return {"q": q.reshape(weight.shape), "scale": scale}


def dequantize_int8(packed: dict[str, torch.Tensor]) -> torch.Tensor:
    """Float32 weights back from :func:`quantize_int8`."""
    q, scale = packed["q"], packed["scale"].float()
    return q.float() * scale.reshape(-1, *([1] * (q.ndim - 1)))


def export_weights(
    task: Task, path: str | os.PathLike, image_size: int, description: str = ""
) -> Path:
    """Save the predicting network's weights, small, with the checkpoint header.

    The file (``"colorlib.weights/3"``) holds only ``kind``, ``config``, the network
    spec and its state dict, plus ``image_size`` (the side the network was trained
    at) and a one-line ``description``; no optimizer and no discriminator. Weight
    matrices and kernels of at least :data:`INT8_MIN_ELEMENTS` elements are stored as
    int8 with one scale per output channel (:func:`quantize_int8`), other floating
    tensors as fp16 (float32 for those beyond fp16's range, :data:`FP16_MAX`): about a
    quarter of the float32 size. The effect on predictions is
    measured in ``tests/test_train.py`` and stated where the weights are used.
    :func:`colorlib.pretrained.load` turns the file back into a float32 colorizer.
    """
    name = task.predict_net
    state, packed = {}, {}
    for key, value in unwrap(task.nets[name]).state_dict().items():
        value = value.detach().cpu()
        if value.is_floating_point() and value.ndim >= 2 and value.numel() >= INT8_MIN_ELEMENTS:
            packed[key] = quantize_int8(value)
        else:
            state[key] = _small(value)
    about = header(task)
    about["networks"] = {name: about["networks"][name]}
    payload = {
        "format": WEIGHTS_FORMAT,
        **about,
        "image_size": int(image_size),
        "description": str(description),
        "state": {"nets": {name: state}, "int8": {name: packed}},
    }
    path = Path(path)
    save_atomically(payload, path)
    return path


FP16_MAX = float(torch.finfo(torch.float16).max)
"""65,504: a small floating tensor whose magnitude exceeds this stays float32."""


def _small(value: torch.Tensor) -> torch.Tensor:
    """A small state tensor as exported: fp16 where fp16 holds it exactly enough, float32
    where it would overflow (a BatchNorm's ``running_var`` can pass 10^6 after bf16
    training; as fp16 it became inf and silenced whole channels), integers as they are."""
    if not value.is_floating_point():
        return value
    if value.numel() and float(value.abs().max()) > FP16_MAX:
        return value.float()
    return value.half()


def save_atomically(payload: dict, path: Path) -> None:
    """``torch.save(payload)`` to ``path`` through :func:`colorlib.io.atomic_path`.

    Raises:
        OSError: one line, ``"cannot write PATH: reason"``, whatever went wrong (torch
            reports a full disk as a RuntimeError); the old file, if any, is kept and
            no temporary file is left.
    """
    try:
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
    except OSError as err:
        raise OSError(f"cannot write {path}: {err.strerror or err}") from None
    except RuntimeError as err:  # torch's stream writer: "file write failed" on a full disk
        first = str(err).strip().splitlines()[0][:120] if str(err).strip() else "RuntimeError"
        raise OSError(f"cannot write {path} (is the disk full?): {first}") from None


@dataclass
class LoadedCheckpoint:
    """What :func:`load_checkpoint` returns; ``build()`` rebuilds the colourising network.

    Attributes:
        kind: task kind (``"regression"``, ``"classification"``, ...).
        config: task settings (``T``, ``centers`` for classification, ...).
        networks: ``{name: {"class", "kwargs"}}``.
        predict_network: name of the network that colourises.
        state_dicts: ``{name: state_dict}`` (all networks for a training checkpoint).
        epoch, step: progress when saved (None for weight exports).
        history: the per-epoch history (empty for weight exports).
        raw: the whole loaded dict.
    """

    kind: str
    config: dict
    networks: dict
    predict_network: str
    state_dicts: dict
    epoch: int | None
    step: int | None
    history: list
    raw: dict

    def skeleton(self, name: str | None = None) -> nn.Module:
        """Network ``name`` (default: the predicting one) built on the ``meta`` device:
        its shapes without memory, after the header checks of the module docstring.

        Raises:
            ValueError: one line: no such network, a class not in
                :data:`NETWORK_CLASSES`, unusable or too large constructor arguments,
                more than :data:`MAX_PARAMETERS` parameters, or weights of other shapes.
        """
        name = self.predict_network if name is None else name
        if not isinstance(self.networks, dict) or name not in self.networks:
            raise ValueError(f"the header describes no network {name!r}")
        cls, kwargs = _checked_spec(self.networks[name], name)
        described = f"{cls}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        try:
            with torch.device("meta"):
                module = build_network(cls, **kwargs)
        except (TypeError, ValueError, RuntimeError) as err:
            raise ValueError(f"the header's network {described} cannot be built ({err})") from None
        count = sum(p.numel() for p in module.parameters())
        if count > MAX_PARAMETERS:
            raise ValueError(
                f"the header's network {described} would have {count:,} parameters, more "
                f"than {MAX_PARAMETERS:,}"
            )
        _check_shapes(module, self.state_dicts.get(name), described)
        return module

    def build(self, name: str | None = None) -> nn.Module:
        """Instantiate network ``name`` (default: the predicting one) with its weights, float32.

        The header is checked first (:meth:`skeleton`), so nothing is allocated for a
        network the file's weights do not fill.
        """
        name = self.predict_network if name is None else name
        self.skeleton(name)
        spec = self.networks[name]
        module = build_network(spec["class"], **spec["kwargs"])
        module.load_state_dict(
            {
                k: v.float() if v.is_floating_point() else v
                for k, v in self.state_dicts[name].items()
            }
        )
        return module.eval()


def _checked_spec(spec: object, name: str) -> tuple[str, dict]:
    """``(class name, constructor kwargs)`` of a header's network spec, refused (one-line
    ValueError) unless the class is in :data:`NETWORK_CLASSES` and every argument is
    None, a bool or a finite number of magnitude at most :data:`MAX_SETTING`."""
    cls = spec.get("class") if isinstance(spec, dict) else None
    if not isinstance(cls, str) or cls not in NETWORK_CLASSES:
        raise ValueError(
            f"network {name!r} names class {_short(cls)}, not one of colorlib's networks "
            f"({', '.join(NETWORK_CLASSES)})"
        )
    kwargs = spec.get("kwargs")
    if kwargs is None:
        raise ValueError(
            f"network {name!r} ({cls}) was not built with colorlib.tasks.build_network, so "
            "its constructor arguments are unknown; build it yourself and load "
            "state_dicts[name]"
        )
    if not isinstance(kwargs, dict):
        raise ValueError(f"network {name!r} ({cls}): constructor arguments {_short(kwargs)}")
    for key, value in kwargs.items():
        if not (isinstance(key, str) and key.isidentifier() and _plain_setting(value)):
            raise ValueError(
                f"network {name!r} ({cls}): argument {_short(key)} = {_short(value)} is not "
                f"None, a bool or a number of magnitude at most {MAX_SETTING}"
            )
    return cls, kwargs


def _plain_setting(value: object) -> bool:
    """None, a bool, or a finite int or float no larger in magnitude than MAX_SETTING."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value) and abs(value) <= MAX_SETTING
    return False


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (a crafted header may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_shapes(module: nn.Module, state: object, described: str) -> None:
    """Refuse (one-line ValueError) a state dict whose names or shapes are not ``module``'s."""
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"no weights for the header's network {described}")
    wanted = {key: tuple(value.shape) for key, value in module.state_dict().items()}
    stored = {key: tuple(value.shape) for key, value in state.items()}
    if wanted == stored:
        return
    missing, extra = sorted(wanted.keys() - stored), sorted(stored.keys() - wanted)
    if missing or extra:
        example = f"missing {missing[:2]}" if missing else f"unexpected {_short(extra[:2])}"
    else:
        key = next(k for k in wanted if wanted[k] != stored[k])
        example = f"{key}: {stored[key]} in the file, {wanted[key]} in the network"
    raise ValueError(
        f"the weights in the file do not fit the header's network {described} ({example})"
    )


def load_checkpoint(path: str | os.PathLike) -> LoadedCheckpoint:
    """Read a training checkpoint or weight export with ``weights_only=True`` on the CPU."""
    try:
        raw = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise
    except Exception as err:  # torch raises many types for a corrupt or foreign file
        raise ValueError(f"{path}: not a readable checkpoint ({type(err).__name__})") from None
    if not isinstance(raw, dict) or raw.get("format") not in (
        CHECKPOINT_FORMAT,
        *READABLE_WEIGHTS_FORMATS,
    ):
        raise ValueError(f"{path}: not a colorlib checkpoint")
    try:
        return _loaded(raw, str(path))
    except (AttributeError, KeyError, TypeError) as err:  # a crafted or truncated file
        reason = f"no {err}" if isinstance(err, KeyError) else type(err).__name__
        raise ValueError(f"{path}: an incomplete colorlib checkpoint ({reason})") from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _check_finite(state_dicts: dict, file_format: object, where: str) -> None:
    """Refuse weights holding inf or NaN (a broken export or a diverged run); an export
    in a :data:`LEGACY_WEIGHTS_FORMATS` format only warns, since its fp16 could overflow
    (a BatchNorm ``running_var`` past 65,504 became inf, muting that channel)."""
    for name, state in state_dicts.items():
        for key, value in state.items():
            if torch.is_tensor(value) and value.is_floating_point() and not value.isfinite().all():
                if file_format in LEGACY_WEIGHTS_FORMATS:
                    warnings.warn(
                        f"{Path(where).name}: its {name} weight {key} overflowed fp16 when "
                        f"exported ({file_format}): its predictions are degraded; export the "
                        "weights again or retrain",
                        stacklevel=4,
                    )
                    continue
                raise ValueError(
                    f"its {name} weight {key} holds inf or NaN (a broken export or a "
                    "diverged run); export the weights again from a sound checkpoint"
                )


def _loaded(raw: dict, where: str) -> LoadedCheckpoint:
    """A :class:`LoadedCheckpoint` from a loaded file (int8 weights back to float32)."""
    state_dicts = dict(raw["state"]["nets"])
    for name, packed in raw["state"].get("int8", {}).items():
        state_dicts[name] = {
            **state_dicts[name],
            **{key: dequantize_int8(value) for key, value in packed.items()},
        }
    _check_finite(state_dicts, raw.get("format"), where)
    return LoadedCheckpoint(
        kind=raw["kind"],
        config=raw["config"],
        networks=raw["networks"],
        predict_network=raw["predict_network"],
        state_dicts=state_dicts,
        epoch=raw.get("epoch"),
        step=raw.get("step"),
        history=raw.get("history", []),
        raw=raw,
    )
