"""Loading a VAE checkpoint; encoding, decoding and label inference for the vae components."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

from engine.checkpoints import Field, cached_model

from plugins.imagekit.checkpoint import load_network
from plugins.imagekit.sampling import seeded_latent

from .model import VAE, build_vae, elbo_terms


#: What a VAE checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("latent", int, 1, 4096), Field("width", int, 1, 512), Field("size", int, 4, 512),
          Field("channels", int, choices=(1, 3)), Field("classes", list, 0, 10_000), Field("hidden", int, 1, 8192))


@dataclass
class LoadedVae:
    vae: VAE
    classes: tuple[str, ...]
    sha256: str
    size: int
    channels: int

    def condition(self, labels: torch.Tensor) -> torch.Tensor | None:
        return labels if self.classes else None

    @torch.no_grad()
    def decode(self, latents: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """uint8 images: the decoder's mean (pixel probabilities), not a noisy Bernoulli draw."""
        return torch.sigmoid(self.vae.decode(latents, self.condition(labels))).mul(255).round().to(torch.uint8)

    def seeds(self, seeds: list[int], label: int | None, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = [seeded_latent(seed, self.vae.latent, len(self.classes)) for seed in seeds]
        latents = torch.stack([z for z, _ in pairs]) * temperature
        return latents, torch.tensor([label if label is not None else y for _, y in pairs], dtype=torch.int64)

    @torch.no_grad()
    def infer_labels(self, images: torch.Tensor) -> torch.Tensor:
        """The class whose conditional ELBO explains each image best (a Bayes classifier for free)."""
        if not self.classes:
            return torch.zeros(len(images), dtype=torch.int64)
        scores = []
        for index in range(len(self.classes)):
            labels = torch.full((len(images),), index, dtype=torch.int64)
            nll, kl = elbo_terms(self.vae, images, labels, noise=torch.zeros(len(images), self.vae.latent))
            scores.append(nll + kl)
        return torch.stack(scores, 1).argmin(1)

    @torch.no_grad()
    def encode(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Posterior means for uint8 images."""
        mean, _ = self.vae.encode(images.float().div(255), self.condition(labels))
        return mean

    def soft(self, labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels, max(len(self.classes), 1)).float()


@cached_model
def load_vae(path: Path) -> LoadedVae:
    """The VAE in ``path`` (cached while the file is unchanged)."""
    vae, checkpoint = load_network(path, model="vae", schema=CONFIG, build=build_vae, prefix="vae")
    config = checkpoint.config
    return LoadedVae(vae, tuple(config["classes"]), checkpoint.sha256, config["size"], config["channels"])

