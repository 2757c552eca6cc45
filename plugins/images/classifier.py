"""The small CNN whose penultimate features stand in for Inception in our FID.

Trained by `muse train classifier` on the same data as the generators (no pretrained
networks can be downloaded). Its 128 ReLU features are what FID compares.
"""

from __future__ import annotations

import torch
from torch import nn


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
