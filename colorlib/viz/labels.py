"""Human names for the keys of histories and results: one dict, one unit convention.

colorlib stores numbers under short keys (``"val_psnr"``, ``"train_loss_G_adv"``,
``"ab_l2"``). A figure shows each through :data:`QUANTITIES`: a name, a unit, the
direction that is better and the factor from the stored value to the shown one.

Units, one convention in every figure:

- ab distances in **Lab units** (not divided by 110), squared ones in Lab units²;
- PSNR in **dB**; SSIM as stored, 0 to 1;
- shares (AuC, classifier accuracy, Turing-test fooling rates) are stored as
  fractions in [0, 1] and **shown in %** (``scale = 100``);
- losses as the training criterion logs them (L1 and L2 on ab / 110, cross-entropy
  in nats), without a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["QUANTITIES", "Quantity", "label", "quantity"]


@dataclass(frozen=True)
class Quantity:
    """How a figure shows one stored number.

    Attributes:
        name: what it is, as a sentence would say it (``"PSNR"``).
        unit: its unit as shown (``"dB"``, ``"Lab units"``, ``"%"``), or ``""``.
        split: ``"train"`` or ``"validation"`` for a history's values, else ``""``.
        better: ``"lower"``, ``"higher"``, or ``None`` (no better direction, e.g.
            colourfulness, which should match the truth's).
        scale: shown value = stored value x ``scale`` (100 for fractions shown in %).
    """

    name: str
    unit: str = ""
    split: str = ""
    better: str | None = None
    scale: float = 1.0

    @property
    def label(self) -> str:
        """``"name (unit, split, lower is better)"``, leaving out the empty parts."""
        better = f"{self.better} is better" if self.better else ""
        parts = [part for part in (self.unit, self.split, better) if part]
        return f"{self.name} ({', '.join(parts)})" if parts else self.name


_TRAIN, _VAL = "train", "validation"
QUANTITIES = MappingProxyType(
    {
        # training histories (colorlib.train.fit): one value per epoch
        "train_loss": Quantity("Loss", split=_TRAIN),
        "val_loss": Quantity("Loss", split=_VAL),
        "train_loss_D": Quantity("Discriminator loss", split=_TRAIN),
        "train_loss_G_adv": Quantity("Generator adversarial loss", split=_TRAIN),
        "train_l1": Quantity("L1 on ab / 110", split=_TRAIN),
        "val_l1": Quantity("L1 on ab / 110", split=_VAL),
        "train_cycle": Quantity("Cycle-consistency loss", split=_TRAIN),
        "train_identity": Quantity("Identity loss", split=_TRAIN),
        "val_ab_l2": Quantity("ab L2", "Lab units", _VAL),
        "val_psnr": Quantity("PSNR", "dB", _VAL),
        "val_accuracy": Quantity("Top-1 accuracy", "%", _VAL, scale=100.0),
        "lr": Quantity("Learning rate"),
        # per-image results (colorlib.evaluate.evaluate and friends)
        "ab_l2": Quantity("ab L2", "Lab units", better="lower"),
        "ab_l2_squared": Quantity("Squared ab L2", "Lab units²", better="lower"),
        "auc": Quantity("AuC of the ab error", "%", better="higher", scale=100.0),
        "auc_rebalanced": Quantity("Rebalanced AuC", "%", better="higher", scale=100.0),
        "psnr": Quantity("PSNR", "dB", better="higher"),
        "ssim": Quantity("SSIM", "0 to 1", better="higher"),
        "colorfulness": Quantity("Colourfulness", "Hasler & Süsstrunk's M"),
        "colorfulness_true": Quantity("Colourfulness of the truth", "Hasler & Süsstrunk's M"),
        "accuracy": Quantity("Top-1 accuracy", "%", better="higher", scale=100.0),
        "fooling_rate": Quantity("Turing-test fooling rate", "%", better="higher", scale=100.0),
    }
)
"""Stored key -> :class:`Quantity`: the one place figures take names and units from."""


def quantity(key: str) -> Quantity:
    """The :class:`Quantity` of ``key``; an unknown key is named after itself
    (underscores as spaces), with no unit and scale 1."""
    return QUANTITIES.get(key) or Quantity(key.replace("_", " "))


def label(key: str) -> str:
    """The human label of ``key``, e.g. ``"val_psnr"`` -> ``"PSNR (dB, validation)"``."""
    return quantity(key).label
