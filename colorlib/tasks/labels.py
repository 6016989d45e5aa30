"""Not a colorizer: :class:`LabelTask` classifies colour photos with the same
engine (the judge of notebook 05's semantic interpretability test), with
:func:`augment_photos`, the light flip-and-shift augmentation it trains with.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from colorlib.colorizer import Colorizer
from colorlib.lab import lab_to_rgb, merge_lab
from colorlib.tasks.base import OneNetworkTask, adam

__all__ = ["LabelTask", "augment_photos"]


class LabelTask(OneNetworkTask):
    """Classify colour photos (``batch["rgb"]`` -> ``batch["label"]``), cross-entropy.

    Not a colorization method: it trains the judge of notebook 05's semantic
    interpretability test (``colorlib.models.CifarClassifier``) with the same
    engine. Validation reports the loss and the accuracy; it predicts no ab, so
    :func:`colorlib.train.fit` skips the colour metrics.
    """

    kind = "labels"

    def __init__(
        self, model: nn.Module, lr: float = 1e-3, augment: bool = False, gray_input: bool = False
    ):
        config = {"lr": lr, "augment": augment}
        if gray_input:  # recorded only when on, so that runs saved before it existed resume
            config["gray_input"] = True
        super().__init__({"net": model}, {"net": adam([model], lr)}, config)

    def photos(self, batch: dict) -> torch.Tensor:
        """What the classifier sees: ``batch["rgb"]`` ``(N, 3, S, S)`` sRGB in [0, 1], or
        with ``gray_input`` the gray photo ``lab_to_rgb(L, a = b = 0)`` of the same shape."""
        if not self.config.get("gray_input"):
            return batch["rgb"]
        L = batch["L"].float()
        return lab_to_rgb(merge_lab(L, L.new_zeros(L.shape[0], 2, *L.shape[2:])))

    def _loss(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        with self.autocast():
            logits = self.nets["net"](self.photos(batch))
        return F.cross_entropy(logits.float(), batch["label"]), logits

    def train_step(self, batch):
        if self.config.get("augment"):  # what the classifier sees: L for a gray judge
            seen = "L" if self.config.get("gray_input") else "rgb"
            batch = {**batch, seen: augment_photos(batch[seen])}
        return super().train_step(batch)

    def eval_step(self, batch):
        loss, logits = self._loss(batch)
        accuracy = (logits.argmax(dim=1) == batch["label"]).float().mean()
        return {"loss": loss, "accuracy": accuracy}, None

    def colorizer(self) -> Colorizer:
        raise TypeError("a LabelTask classifies photos; it has no colorizer")


def augment_photos(rgb: torch.Tensor, shift: int = 4) -> torch.Tensor:
    """Random horizontal flips (each photo) and a random shift of up to ``shift`` pixels
    (reflect-padded; one shift per batch): the usual light augmentation for training a
    classifier on small photos. ``(N, 3, S, S)`` -> same shape; uses torch's RNG."""
    flip = torch.rand(rgb.shape[0], 1, 1, 1, device=rgb.device) < 0.5
    rgb = torch.where(flip, rgb.flip(-1), rgb)
    size = rgb.shape[-1]
    padded = F.pad(rgb, (shift, shift, shift, shift), mode="reflect")
    dy, dx = (int(v) for v in torch.randint(0, 2 * shift + 1, (2,)))
    return padded[..., dy : dy + size, dx : dx + size]
