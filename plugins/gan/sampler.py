"""Loading a GAN checkpoint and turning seeds into pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from engine.checkpoints import Field, cached_model

from plugins.imagekit.data import from_unit
from plugins.imagekit.checkpoint import load_network
from plugins.imagekit.sampling import seeded_latent

from .model import Generator, build_generator

#: What a GAN checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("latent", int, 1, 4096), Field("width", int, 1, 512), Field("size", int, 4, 512),
          Field("channels", int, choices=(1, 3)), Field("classes", list, 0, 10_000),
          Field("class_norm", bool, required=False))


@dataclass
class LoadedGan:
    generator: Generator
    classes: tuple[str, ...]
    sha256: str
    size: int
    channels: int

    @torch.no_grad()
    def render(self, latents: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """uint8 ``(N, C, H, W)`` images for latents (and labels when conditional)."""
        return from_unit(self.generator(latents, labels if self.classes else None))

    def seeds(self, seeds: list[int], label: int | None, truncation: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents scaled by ``truncation`` and labels (``label`` or each seed's own) for seeds."""
        pairs = [seeded_latent(seed, self.generator.latent, len(self.classes)) for seed in seeds]
        latents = torch.stack([z for z, _ in pairs]) * truncation
        labels = torch.tensor([label if label is not None else y for _, y in pairs], dtype=torch.int64)
        return latents, labels


@cached_model
def load_gan(path: Path) -> LoadedGan:
    """The generator in ``path`` (cached while the file is unchanged)."""
    generator, checkpoint = load_network(path, model="gan", schema=CONFIG, build=build_generator, prefix="generator")
    config = checkpoint.config
    return LoadedGan(generator, tuple(config["classes"]), checkpoint.sha256, config["size"], config["channels"])

