"""The small CNN whose penultimate features stand in for Inception in our FID, and its loader.

Trained by `muse train classifier` on the same data as the generators (no pretrained
networks can be downloaded). Its 128 ReLU features are what FID compares. Two shapes:

- ``pooling="flatten"`` (``weights/default.safetensors``): the 7x7 feature map is flattened
  into a dense layer, so the features know *where* every stroke is: a 1-pixel shift of real
  images scores 47x the FID floor. Its architecture and training budget are also what the
  Classification Accuracy Score trains (:mod:`.cas`).
- ``pooling="average"`` (``weights/shift.safetensors``): a third convolution, then global
  average pooling, trained with random shifts, so a feature is about *what* is drawn, not
  where. FID on it and precision/recall read these features.

The `classifier` plugin exposes both as a component.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.checkpoints import Field, cached_model
from engine.io import shipped_model
from engine.training import build_within_limit, load_checkpoint, load_module

WEIGHTS = Path(__file__).parent / "weights"


POOLINGS = ("flatten", "average")


class Classifier(nn.Module):
    """conv32-pool-conv64-pool, then fc(features) on the flattened map (``pooling="flatten"``) or
    conv(features)-global-average-pool (``"average"``), then fc(classes); square images of ``size``."""

    def __init__(self, classes: int, channels: int = 1, size: int = 28, features: int = 128, pooling: str = "flatten"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        trunk: list[nn.Module] = [
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        ]
        if pooling == "flatten":
            head: list[nn.Module] = [nn.Flatten(), nn.Linear(64 * (size // 4) ** 2, features), nn.ReLU()]
        else:
            head = [nn.Conv2d(64, features, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.body = nn.Sequential(*trunk, *head)
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(features, classes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate activations for images in [-1, 1]."""
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(images)))


@dataclass
class LoadedClassifier:
    network: Classifier
    classes: tuple[str, ...]
    size: int
    channels: int
    sha256: str


def build_classifier(config: dict[str, Any]) -> Classifier:
    """The network a classifier config describes (training, loading and CAS build it alike)."""
    return Classifier(len(config["classes"]), config["channels"], config["size"], config["features"],
                      config.get("pooling", "flatten"))


#: What a classifier checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("classes", list, 1, 10_000), Field("channels", int, choices=(1, 3)), Field("size", int, 4, 512),
          Field("features", int, 1, 8192), Field("pooling", str, choices=POOLINGS, required=False))


@cached_model
def _load(path: Path) -> LoadedClassifier:
    checkpoint = load_checkpoint(path, model="classifier", schema=CONFIG)
    config = checkpoint.config
    network = build_within_limit(lambda: build_classifier(config), path)
    load_module(network, checkpoint, "classifier").eval()
    return LoadedClassifier(network, tuple(config["classes"]), config["size"], config["channels"], checkpoint.sha256)


def load_classifier(value: str | Path) -> LoadedClassifier:
    """A shipped classifier by name (``default``, ``shift``) or a checkpoint path."""
    return _load(shipped_model(value, WEIGHTS, "classifier"))
