"""The small CNN whose penultimate features stand in for Inception in our FID, and its loader.

Trained by `muse train classifier` on the same data as the generators (no pretrained
networks can be downloaded). Its 128 ReLU features are what FID compares. The shipped network
is ``weights/default.safetensors`` here, next to the FID code that reads it; the `classifier`
plugin exposes it as a component.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine.checkpoints import Field, cached_model
from engine.io import shipped_model
from engine.training import build_within_limit, load_checkpoint, load_module

WEIGHTS = Path(__file__).parent / "weights"


class Classifier(nn.Module):
    """conv32-pool-conv64-pool-fc128-fc(classes), for square images of ``size`` pixels."""

    def __init__(self, classes: int, channels: int = 1, size: int = 28, features: int = 128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * (size // 4) ** 2, features), nn.ReLU(),
        )
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


#: What a classifier checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("classes", list, 1, 10_000), Field("channels", int, choices=(1, 3)), Field("size", int, 4, 512),
          Field("features", int, 1, 8192))


@cached_model
def _load(path: Path) -> LoadedClassifier:
    checkpoint = load_checkpoint(path, model="classifier", schema=CONFIG)
    config = checkpoint.config
    network = build_within_limit(lambda: Classifier(len(config["classes"]), config["channels"], config["size"],
                                                    config["features"]), path)
    load_module(network, checkpoint, "classifier").eval()
    return LoadedClassifier(network, tuple(config["classes"]), config["size"], config["channels"], checkpoint.sha256)


def load_classifier(value: str | Path) -> LoadedClassifier:
    """A shipped classifier by name (``default``) or a checkpoint path."""
    return _load(shipped_model(value, WEIGHTS, "classifier"))
